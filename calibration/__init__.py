"""Calibration: the published figures a baseline is fitted to, and the ABC-SMC fit (pyabc).

- ``targets.toml`` (beside this file): the targets, the free parameters and their priors;
- :mod:`.targets`: reads and validates a targets file;
- :mod:`.fit`: runs ABC-SMC, one progress line per generation, resumable;
- :mod:`.outputs`: the posterior, its predictive check, the calibrated scenario, the report.

Run it with ``crmsim calibrate calibration/targets.toml``.
"""

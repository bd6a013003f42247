"""Limits on what a person may ask of a run, in one place: the scenario validation and the CLI read them.

They keep a typo from running for days or filling memory: ``steps = 1000000000000``
is refused with the limit in the message, not attempted.
"""

__all__ = ["MAX_STEPS", "MAX_WARMUP", "MAX_INPUT_BYTES"]

MAX_STEPS = 100_000  # weeks recorded: nearly two thousand years, more than any question needs
MAX_WARMUP = 5_200  # weeks before the policy: a century
# A scenario or experiment file is a page or two of TOML; refusing anything far larger
# (``/dev/zero``, a log passed by mistake) keeps a typo from exhausting memory.
MAX_INPUT_BYTES = 1_000_000

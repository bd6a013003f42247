"""crmsim: an agent-based simulation of Citizen Relationship Management.

One namespace for every layer: the model (:mod:`crmsim.model`), sweeps and
comparisons (:mod:`crmsim.experiments`), the calibration
(:mod:`crmsim.calibration`), the pages (:mod:`crmsim.viz`), the texts they all
show (:mod:`crmsim.texts`) and, on top, the command line
(:mod:`crmsim.commands`, the ``crmsim`` program). Importing the package loads
none of them: ``import crmsim.model`` does not bring in the command line.
"""

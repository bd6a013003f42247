"""Exit codes: one per kind of failure, the same in every command, so that a script can tell them apart.

    0    done
    1    a run failed (the model raised); what finished is saved
    2    bad input: an option, a file or one of its fields, or a resume whose inputs were edited
    3    the engine could not be reached or was lost (a Dask scheduler)
    4    the work ran but has no answer to give (a calibration that fitted nothing, a rerun that did not
         reproduce its saved run)
    130  interrupted (Ctrl-C); 143 stopped by SIGTERM: what finished is saved
"""

from __future__ import annotations

import signal

OK = 0
RUN_FAILED = 1
USAGE = 2
ENGINE = 3
NO_ANSWER = 4
INTERRUPTED = 128 + signal.SIGINT
TERMINATED = 128 + signal.SIGTERM

"""``crmsim calibrate``: fit the baseline's free parameters to published figures by ABC-SMC (pyabc).

A stopped calibration resumes with ``--resume``; ``--leave-one-out`` refits
once per target without it and predicts it from the others. Exit codes: 2 bad
input, 3 the Dask scheduler cannot be reached, 4 nothing fitted, 130/143
interrupted (the finished generations are kept).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmsim.commands.common import PROG, CliError, warn
from crmsim.commands.engine import stopped
from crmsim.model.text import bounded_int, one_line, text_table
from crmsim.texts import exits
from crmsim.texts.i18n import _

if TYPE_CHECKING:
    from crmsim.calibration.targets import CalibrationSpec

__all__ = ["register", "calibrate"]

_CALIBRATE_DESCRIPTION = """\
Fit the baseline's free parameters to published figures by ABC-SMC (pyabc).
The targets file names the base scenario, the free parameters with their
priors, and the figures with their tolerance and source (see
calibration/targets.toml). One line per generation shows epsilon (the distance
of the runs kept, in tolerances), the acceptance rate, simulations so far and
time. Everything goes under --out/<name>/: pyabc's history.db (so a stopped
calibration resumes with --resume), the posterior, the posterior predictive
check, calibrated_baseline.toml and report.html (offline). A calibration saved
there with other inputs or by another model is never reused: --fresh discards
it and starts again.

examples:
  crmsim calibrate calibration/targets.toml
  crmsim calibrate calibration/targets.toml --resume
  crmsim calibrate calibration/targets.toml --dask local
  crmsim calibrate calibration/targets.toml --dask tcp://10.0.0.5:8786
  crmsim calibrate calibration/targets.toml --leave-one-out --particles 100 --generations 5

--leave-one-out refits once per target with that target left out and predicts
it from the others (--out/<name>_without_<target>/ each, the table in
--out/<name>_leave_one_out/leave_one_out.csv): a prediction inside the
tolerance means the other figures constrain it. Refits already saved are
reused if they were made from these inputs by today's model, refused
otherwise; with --fresh every refit is made again.
"""


def register(subparsers: Any) -> None:
    """Add ``calibrate`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "calibrate", help="fit the baseline to published figures by ABC-SMC (crmsim calibrate calibration/targets.toml)",
        description=_CALIBRATE_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("targets", metavar="TARGETS.toml", help="targets file, e.g. calibration/targets.toml")
    p.add_argument("--resume", action="store_true", help="go on with a stopped calibration in --out")
    p.add_argument("--fresh", action="store_true",
                   help="discard the calibration saved in --out (with --leave-one-out: every refit and "
                        "the table) and start again, e.g. after the model or the inputs changed")
    engine = p.add_mutually_exclusive_group()
    engine.add_argument("--dask", metavar="local|tcp://HOST:PORT",
                        help="run the simulations on Dask: 'local' starts a LocalCluster on 127.0.0.1, an address "
                             "joins a running scheduler")
    engine.add_argument("--workers", type=bounded_int(1, 4096), metavar="N",
                        help="local processes (default: one per core); 1 makes the fit reproducible, the same every time")
    p.add_argument("--out", default="results/calibration", metavar="DIR",
                   help="where the calibration's folder goes (default: results/calibration/)")
    p.add_argument("--leave-one-out", action="store_true",
                   help="refit once per target without it, and predict it from the others")
    p.add_argument("--particles", type=bounded_int(10, 100_000), metavar="N",
                   help="particles a generation, instead of the targets file's population_size")
    p.add_argument("--generations", type=bounded_int(1, 100), metavar="N",
                   help="at most this many generations, instead of the targets file's max_generations")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(handler=calibrate)


def calibrate(args: argparse.Namespace) -> int:
    """Handler of ``calibrate``."""
    import contextlib

    from crmsim.calibration.fit import DASK_BATCH, CalibrationError, calibrate, discard
    from crmsim.calibration.targets import TargetsError, load_targets
    from crmsim.experiments.evaluators.base import EvaluatorError
    from crmsim.experiments.evaluators.dask import DaskEvaluator, address_problem
    from crmsim.experiments.evaluators.processes import available_cores
    from crmsim.experiments.interrupt import Terminated, sigterm_as_interrupt
    from crmsim.experiments.limits import cap_workers

    try:
        spec = load_targets(args.targets)
    except TargetsError as err:
        raise CliError(str(err)) from None
    spec = _with_abc_overrides(spec, args)
    if args.dask is not None and (problem := address_problem(args.dask)) is not None:
        raise CliError(f"--dask: {problem}")
    if args.fresh and args.resume:
        raise CliError("--fresh: not with --resume; allowed: one of the two (--fresh discards the saved calibration)")
    if args.leave_one_out:
        from crmsim.calibration.crossvalidate import check_targets

        try:
            check_targets(spec)  # before any engine starts
        except CalibrationError as err:
            raise CliError(str(err)) from None
    say = (lambda text: None) if args.quiet else (lambda text: print(text, flush=True))
    folder = Path(args.out) / spec.name
    say(one_line(_("calibration {name} ({file}): {parameters} parameters, {targets} targets, {particles} particles a "
                   "generation, up to {generations} generations, into {folder}/").format(
        name=spec.name, file=args.targets, parameters=len(spec.priors), targets=len(spec.targets),
        particles=spec.abc.population_size, generations=spec.abc.max_generations, folder=folder)))
    with contextlib.ExitStack() as stack:
        import logging

        import pyabc

        logging.getLogger("ABC").setLevel(logging.WARNING)  # pyabc logs each step; the lines above replace it

        if args.dask is not None:
            try:
                evaluator = stack.enter_context(DaskEvaluator(args.dask))
            except EvaluatorError as err:
                raise CliError(f"--dask: {err}", exits.ENGINE) from None
            sampler = pyabc.sampler.DaskDistributedSampler(dask_client=evaluator.client, batch_size=DASK_BATCH)
            say(_("on {engine}").format(engine=evaluator.describe()))
        else:
            workers, warning = cap_workers(args.workers, available_cores())
            if warning:
                warn(warning)
            # On one core, pyabc's proposals come from our own Generator (calibration.draws):
            # the same file gives the same fit.
            sampler = pyabc.sampler.SingleCoreSampler() if workers == 1 else \
                pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers or available_cores())
        if args.leave_one_out:
            return _leave_one_out(spec, args, sampler, say)
        try:
            if args.fresh:
                discard(folder)
            with sigterm_as_interrupt():
                calibrate(spec, args.out, sampler, resume=args.resume, on_generation=lambda g: say(g.line()),
                          on_predictive=lambda i: i + 1 == spec.abc.predictive_draws and say(
                              _("posterior predictive: {n} runs done").format(n=i + 1)))
        except CalibrationError as err:
            raise CliError(str(err), _calibration_exit(err)) from None
        except KeyboardInterrupt as err:  # Ctrl-C or SIGTERM: the lock is released, the finished generations kept
            print("\n" + _("{prog}: {what}: the finished generations are saved; continue with the same command and "
                         "--resume").format(prog=PROG, what=stopped(err)), file=sys.stderr)
            return exits.TERMINATED if isinstance(err, Terminated) else exits.INTERRUPTED
    _print_fit(folder, say)
    return exits.OK


def _calibration_exit(err: Exception) -> int:
    """A calibration that ran and fitted nothing has no answer (4); any other refusal is bad input (2)."""
    from crmsim.calibration.fit import NothingFitted

    return exits.NO_ANSWER if isinstance(err, NothingFitted) else exits.USAGE


def _with_abc_overrides(spec: "CalibrationSpec", args: argparse.Namespace) -> "CalibrationSpec":
    """The targets file with --particles and --generations in place of its ABC settings."""
    import dataclasses

    changes = {key: value for key, value in (("population_size", args.particles),
                                             ("max_generations", args.generations)) if value is not None}
    return dataclasses.replace(spec, abc=spec.abc.model_copy(update=changes)) if changes else spec


def _leave_one_out(spec: "CalibrationSpec", args: argparse.Namespace, sampler: Any, say) -> int:
    import time

    from crmsim.calibration.crossvalidate import leave_one_out
    from crmsim.calibration.fit import CalibrationError

    started = time.monotonic()
    try:  # one sampler serves every refit: each calibration stops it on the way out, and it starts again
        table = leave_one_out(spec, args.out, lambda: sampler, fresh=args.fresh, say=say)
    except CalibrationError as err:
        raise CliError(str(err), _calibration_exit(err)) from None
    rows = [[r.left_out, f"{r.value:g} +- {r.tolerance:g}", f"{r.predicted_median:.3f}",
             _("{low} to {high}").format(low=f"{r.predicted_low:.3f}", high=f"{r.predicted_high:.3f}"),
             f"{r.miss_in_tolerances:+.2f}", _("yes") if r.within_tolerance else _("NO")] for r in table.itertuples()]
    say("")
    say(text_table([_("left out"), _("figure"), _("predicted"), _("90% interval"), _("miss (tolerances)"),
                    _("within")], rows))
    say("\n" + _("{n} refits in {minutes} min; wrote {file}").format(
        n=len(table), minutes=f"{(time.monotonic() - started) / 60:.1f}",
        file=Path(args.out) / (spec.name + "_leave_one_out") / "leave_one_out.csv"))
    return exits.OK


def _print_fit(folder: Path, say) -> None:
    import pandas as pd

    fits = pd.read_csv(folder / "fit.csv")
    rows = [[r.target, f"{r.value:g} +- {r.tolerance:g}", f"{r.predictive_median:.3f}",
             _("{low} to {high}").format(low=f"{r.predictive_low:.3f}", high=f"{r.predictive_high:.3f}"),
             _("yes") if r.within_tolerance else _("NO")] for r in fits.itertuples()]
    say("")
    say(text_table([_("target"), _("figure"), _("model"), _("90% interval"), _("within")], rows))
    say("")
    say(_("wrote {folder}/: {files}").format(folder=folder, files="report.html, calibrated_baseline.toml, "
                                             "posterior.parquet, predictive.parquet, fit.csv, parameters.csv, "
                                             "generations.csv, history.db"))

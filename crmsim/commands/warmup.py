"""``crmsim warmup``: how many weeks a scenario takes to settle, to choose its ``warmup`` (Welch's procedure)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from crmsim.commands.common import CliError, format_value, load, tolerance
from crmsim.model.text import bounded_int, one_line, text_table
from crmsim.texts import exits
from crmsim.texts.i18n import _

__all__ = ["register", "warmup"]

_WARMUP_DESCRIPTION = """\
Measure how many weeks a scenario takes to settle, to choose its `warmup`.
Runs the scenario from its initial state (no warm-up) for --years years,
--reps times, averages trust and knowledge metrics across runs week by week,
smooths them over 13 weeks and prints, for each, the week after which it stays
within --tolerance of its level over the last 3 years, or within twice its own
week-to-week wobble there if that is wider (Welch's procedure).

example:
  crmsim warmup scenarios/calibrated_baseline.toml --years 10 --reps 10
"""


def register(subparsers: Any) -> None:
    """Add ``warmup`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "warmup", help="measure how many weeks a scenario takes to settle (crmsim warmup scenarios/faq.toml)",
        description=_WARMUP_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO.toml", help="scenario file, e.g. scenarios/calibrated_baseline.toml")
    p.add_argument("--years", type=bounded_int(4, 200), default=10, metavar="N",
                   help="years to run from the initial state (default: 10; 4 to 200)")
    p.add_argument("--reps", type=bounded_int(1, 1000), default=10, metavar="N",
                   help="runs to average, each with its own seed (default: 10; at most 1000)")
    p.add_argument("--tolerance", type=tolerance, default=0.005, metavar="X",
                   help="how close to its long-run level a metric must stay (default: 0.005)")
    p.set_defaults(handler=warmup)


def warmup(args: argparse.Namespace) -> int:
    """Handler of ``warmup``."""
    from crmsim.experiments.warmup import WEEKS_PER_YEAR, settling

    tail_years = 3
    if args.years <= tail_years:
        raise CliError(f"--years: got {args.years}; allowed: at least {tail_years + 1} (the last {tail_years} "
                       f"years give the long-run level)")
    scenario = load(args.scenario, None)
    print(one_line(_("scenario {name} ({file}): {reps} runs of {years} years from the initial state, no "
                     "warm-up").format(name=scenario.name, file=args.scenario, reps=args.reps, years=args.years)),
          flush=True)
    rows = settling(scenario, years=args.years, replications=args.reps, tolerance=args.tolerance,
                    tail_years=tail_years, seed=scenario.seed,
                    on_run=lambda r: print("  " + _("run {i} of {n} done").format(i=r + 1, n=args.reps),
                                           file=sys.stderr, flush=True))
    limit = (args.years - tail_years) * WEEKS_PER_YEAR
    table = [[r.metric, format_value(r.start), format_value(r.steady), f"±{format_value(r.band)}",
              _("not settled") if r.settled_week >= limit else str(r.settled_week)] for r in rows]
    print()
    print(text_table([_("metric"), _("week 0"), _("long run"), _("within"), _("settled by week")], table))
    slowest = max(r.settled_week for r in rows)
    print()
    if slowest >= limit:
        print(_("some metric had not settled {limit} weeks in: run longer (--years), or loosen --tolerance").format(
            limit=limit))
    else:
        print(_("the slowest metric settles by week {week}: use warmup >= {week} (this scenario's warmup: "
                "{warmup})").format(week=slowest, warmup=scenario.warmup))
    return exits.OK

"""The ``discover`` subcommand: which lever values make a condition on a sweep's final metrics hold.

    crmsim discover results/<experiment>/ --where "lost_users < 0.05" [--method prim|cart] [--box N]
                                          [--mass-min X]

It reads the saved results (never runs a model; see ``experiments.discovery``),
prints PRIM's peeling trajectory (or CART's leaves), the chosen box's limits
with their quasi-p-values, the box in plain words and the levers that matter
for the condition, and writes beside the results:

- ``discover.html``: the same, with the interactive coverage-density trade-off
  (offline; ``viz.discover_report``);
- ``discover_box.toml``: a scenario at the box's centre (``experiments.box_scenario``).

Bad input (no results folder, a condition that cannot be read, names no saved
metric, or holds for no run or for every run, an unknown method, a box off the
trajectory) is one line on stderr naming what is wrong and what is allowed,
exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from crmsim.commands.common import fail, tolerance
from crmsim.texts.i18n import _, number, percent

__all__ = ["register", "discover"]

_DESCRIPTION = """\
Find the lever values where a condition on the final metrics holds, in a saved
sweep (best a Latin hypercube: experiments/discovery.toml), with PRIM or CART
(EMA Workbench). A box is a range of values for some levers; its coverage is
the share of the runs meeting the condition that fall in it, its density the
share of its runs that meet it. Prints the trajectory of boxes, the chosen
box's limits with PRIM's quasi-p-values and a reading in plain words, and
writes discover.html (offline) and discover_box.toml (a scenario at the box's
centre) in the results folder.

examples:
  crmsim discover results/discovery/ --where "lost_users < 0.05"
  crmsim discover results/discovery/ --where "lost_users < 0.2 and trust_mean > 0.55"
  crmsim discover results/discovery/ --where "redress_success > 0.1" --method cart
"""

SHOWN = 12  # boxes of a long trajectory printed; discover.html has them all


def _box(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: a whole number of at least 0 (a box's number)")
    return int(text)


def register(subparsers: Any) -> None:
    """Add ``discover`` to an argparse subparsers object (importing nothing heavy: ``crmsim --help`` stays instant)."""
    p = subparsers.add_parser(
        "discover", help="find the lever values where a condition on final metrics holds (PRIM, CART)",
        description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", metavar="results/EXPERIMENT/", help="a sweep's results folder")
    p.add_argument("--where", required=True, metavar="CONDITION",
                   help='a condition over final metrics, e.g. "lost_users < 0.05 and trust_mean > 0.5"')
    p.add_argument("--method", default="prim", metavar="prim|cart",
                   help="prim: a peeling trajectory of boxes (default); cart: a classification tree's leaves")
    p.add_argument("--box", type=_box, metavar="N",
                   help="the box to read, by its number (default: the one that keeps most of the runs meeting "
                        "the condition while raising the density most)")
    p.add_argument("--mass-min", type=tolerance, default=0.05, metavar="X",
                   help="the smallest box, as a share of the runs, between 0 and 1 (default: 0.05)")
    p.set_defaults(handler=discover)


def _trajectory_lines(discovery: Any) -> list[str]:
    import numpy as np

    from crmsim.model.text import text_table

    t = discovery.trajectory
    shown = t.index if len(t) <= SHOWN else sorted(
        {*np.linspace(0, len(t) - 1, SHOWN).round().astype(int), discovery.chosen})
    rows = [[str(r.box), percent(r.coverage), percent(r.density), percent(r.mass), str(r.restricted),
             _("<- chosen") if r.box == discovery.chosen else ""] for r in t.loc[shown].itertuples()]
    what = _("PRIM peeling trajectory") if discovery.method == "prim" else _("CART leaves")
    some = _("{shown} of {n} boxes; all in discover.html").format(shown=len(shown), n=len(t)) if len(shown) < len(t) \
        else _("{n} boxes").format(n=len(t))
    return [f"{what} ({some}):", text_table([_("box"), _("coverage"), _("density"), _("mass"), _("levers restricted"),
                                             ""], rows)]


def _limits_lines(discovery: Any) -> list[str]:
    import pandas as pd

    from crmsim.model.text import text_table
    from crmsim.viz.discover_report import qp_text

    limits = discovery.limits[discovery.limits["restricted"]]
    rows = []
    for _i, row in limits.iterrows():
        if isinstance(row.get("values"), list):
            box, sampled = ", ".join(row["values"]), ", ".join(row["range_values"])
        else:
            box = _("{low} to {high}").format(low=f"{row['low']:.3g}", high=f"{row['high']:.3g}")
            sampled = _("{low} to {high}").format(low=f"{row['range_low']:.3g}", high=f"{row['range_high']:.3g}")
        qp = ", ".join(qp_text(q) for q in (row["qp_low"], row["qp_high"]) if pd.notna(q)) or "-"
        rows.append([row["lever"], box, sampled, qp])
    head = _("box {box}: {n} of {levers} levers restricted").format(box=discovery.chosen, n=len(limits),
                                                                    levers=len(discovery.limits))
    return [head + ":", text_table([_("lever"), _("box"), _("sampled"), _("quasi-p")], rows)] if rows else \
        [head + "."]


def _base_file(manifest: dict[str, Any]) -> str | None:
    """The sweep's base scenario file as a path from here, if the manifest says where it was and it is still there."""
    spec_file, scenario = manifest.get("spec_file"), manifest["spec"].get("scenario")
    if not spec_file or not scenario:
        return None
    path = os.path.normpath(Path(spec_file).parent / scenario)
    return path if Path(path).is_file() else None


def discover(args: argparse.Namespace) -> int:
    """Handler of ``discover``."""
    from crmsim.experiments.analysis import load_results
    from crmsim.experiments.box_scenario import box_scenario
    from crmsim.experiments.discovery import QP_MAX, DiscoveryError, feature_scores, load_runs, parse_condition
    from crmsim.experiments.discovery import discover as find
    from crmsim.experiments.store import StoreError, atomic_write
    from crmsim.viz.discover_report import condition_label, discover_page, lever_label, reading

    root = Path(args.results)
    try:
        results = load_results(root)
        if any(f["name"] == "scenario" for f in results.manifest["factors"]):  # compare's: no lever to box
            return fail(f"{root}: written by crmsim compare, whose scenarios are not levers; allowed: a sweep that "
                         f"varies levers, e.g. crmsim sweep experiments/discovery.toml, then crmsim discover "
                         f"results/discovery/ --where ...")
        runs = load_runs(results)
        condition = parse_condition(args.where, runs.metrics, tuple(runs.levers.columns))
        discovery = find(runs, condition, args.method, box=args.box, mass_min=args.mass_min)
        scores, _skipped = feature_scores(runs.levers, {condition.text: condition.holds}, classify=True)
        page, box_file = root / "discover.html", root / "discover_box.toml"
        label = condition_label(condition)
        base_file = _base_file(results.manifest)
        scenario = box_scenario(runs, discovery, condition, results.manifest["base_scenario"], path=box_file,
                                label=label, base_file=base_file)
        text = discover_page(results.manifest["experiment"], runs, condition, discovery, scores, [box_file])
        atomic_write(box_file, lambda p: p.write_text(scenario, encoding="utf-8"))
        atomic_write(page, lambda p: p.write_text(text, encoding="utf-8"))
    except (StoreError, DiscoveryError) as err:
        return fail(str(err))
    except OSError as err:
        return fail(f"{root}: {err.strerror or err}")
    share = discovery.hits / discovery.runs
    words = f"  ({label})" if label != condition.text else ""
    out = [_("{experiment}: {runs}, {levers} levers varied; {hits} ({share}) meet {condition}{words}").format(
        experiment=results.manifest["experiment"], runs=runs.saved, levers=len(runs.levers.columns),
        hits=number(discovery.hits, 0), share=percent(share), condition=condition.text, words=words)]
    out += [_("note: {name} has no value in {n} runs; they do not meet the condition").format(name=name,
                                                                                           n=number(n, 0))
            for name, n in condition.missing.items()]
    out += ["", *_trajectory_lines(discovery), "", *_limits_lines(discovery)]
    if not discovery.box["significant"]:
        out.append(_("note: a restriction of this box has a quasi-p-value above {qp}: it may be noise (more runs "
                     "would tell)").format(qp=QP_MAX))
    out += ["", reading(discovery, runs)]
    top = scores.head(3)
    if not top.empty:
        out.append(_("levers that matter most for it (extra-trees feature scores): {levers}").format(levers=", ".join(
            f"{lever_label(r.lever, runs.paths)} {r.score:.2f}" for r in top.itertuples())))
    out += ["", _("wrote {file}").format(file=page),
            _("wrote {file}: the box's centre as a scenario; set it beside the sweep's base:").format(file=box_file),
            f"    crmsim compare {base_file or 'BASE.toml'} {box_file}"]
    print("\n".join(out))
    sys.stdout.flush()
    return 0

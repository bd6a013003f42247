"""Scenario discovery on a saved sweep: where in lever space does a condition on the final metrics hold?

A researcher or a workshop asks "which combinations of levers keep lost users
under 5%?", not "what does policy X do?". This module answers from a sweep's
saved results ("run, save, then analyse": it never runs a model), with EMA
Workbench's own algorithms rather than copies of them:

- :func:`load_runs`: one row per saved run, its varied levers and final metrics;
- :func:`parse_condition`: ``"lost_users < 0.05 and trust_mean > 0.5"``, read
  safely (only metric names, numbers, comparisons, arithmetic, ``and``, ``or``,
  ``not``) and evaluated by a small evaluator over its syntax tree that checks
  every part is a number or a truth where one is needed (``pandas.eval`` raised
  on ``not metric`` or ``... and 1``); a run whose metric is missing (NaN) does
  not meet it;
- :func:`discover`: PRIM's peeling trajectory (``ema_workbench.analysis.prim``)
  or CART's leaves (``ema_workbench.analysis.cart``), and the box chosen on it,
  with each lever's limits and PRIM's quasi-p-values;
- :func:`feature_scores`: extra trees (``ema_workbench.analysis.feature_scoring``)
  of every varied lever against each outcome: which levers matter at all.

A box is read with two numbers: its *coverage*, the share of the runs meeting
the condition that fall in the box, and its *density*, the share of the box's
runs that meet it. Peeling trades one for the other; by default the box chosen
keeps most of the runs meeting the condition while raising the density most
(see :func:`_best`).

Every random choice is seeded (:data:`SEED`), so the same results give the same
boxes and scores. EMA Workbench warns on import (ipyparallel, altair) and
inside PRIM (pandas deprecations); :func:`quiet_ema` keeps these from users.

Examples
--------
>>> metrics = pd.DataFrame({"lost_users": [0.01, 0.2, 0.04], "trust_mean": [0.6, 0.7, 0.4]})
>>> parse_condition("lost_users < 0.05 and trust_mean > 0.5", metrics).holds.tolist()
[True, False, False]
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import functools
import logging
import warnings
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import pandas as pd

from crmsim.experiments.analysis import Results
from crmsim.experiments.design import Factor
from crmsim.texts.i18n import _, number

__all__ = ["DiscoveryError", "Runs", "Condition", "Discovery", "METHODS", "SEED", "MIN_RUNS", "QP_MAX", "load_runs",
           "parse_condition", "discover", "feature_scores", "quiet_ema", "toml_text", "category_text"]

SEED = 20240611  # extra trees and CART's tie-breaking: the same results give the same answer
MIN_RUNS = 20  # fewer runs with a value than this, and a metric gets no feature scores
QP_MAX = 0.05  # a restriction with a higher quasi-p-value may be noise: the default box has none
EXAMPLE = '"lost_users < 0.05 and trust_mean > 0.5"'


class DiscoveryError(ValueError):
    """A question discover cannot answer as asked; one line for a person, naming what is allowed."""


@contextlib.contextmanager
def quiet_ema() -> Iterator[None]:
    """Silence EMA Workbench's own warnings and matplotlib's font-cache notice, and only those.

    EMA warns on import that ipyparallel and altair are missing (backends and
    plots crmsim does not use) and, inside PRIM, about pandas deprecations in
    its own code; importing it builds matplotlib's font cache the first time.
    None of it is about the user's data.
    """
    mpl = logging.getLogger("matplotlib")
    level = mpl.level
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"ema_workbench(\.|$)")
        mpl.setLevel(logging.ERROR)
        try:
            yield
        finally:
            mpl.setLevel(level)


# --- the runs -------------------------------------------------------------------------------


def category_text(value: Any) -> str:
    """The category a listed lever value is in PRIM and CART: its text in a scenario file (true, faq, 0.5)."""
    return toml_text(value).strip('"')


def toml_text(value: Any) -> str:
    """A value in TOML: ``true``, ``"faq"``, ``0.6``, ``["faq", "forum"]``."""
    if isinstance(value, list):
        return "[" + ", ".join(toml_text(v) for v in value) + "]"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value.item() if isinstance(value, np.generic) else value)


@dataclass(frozen=True)
class Runs:
    """One row per saved run (index: run id): the varied levers and the final metrics.

    A lever given as a list of names or true/false is a pandas category of its
    values' text (``"true"``), which PRIM and CART treat as categories, not numbers.
    """

    levers: pd.DataFrame
    metrics: pd.DataFrame
    factors: tuple[Factor, ...]
    paths: dict[str, str]
    saved: str  # "1,200 runs" or "600 of 1,200 runs"

    def factor(self, name: str) -> Factor:
        return next(f for f in self.factors if f.name == name)


def _categorical(factor: Factor) -> bool:
    return factor.discrete and not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                       for v in factor.values or ())


def load_runs(results: Results) -> Runs:
    """The runs of a sweep's results (``analysis.load_results``); DiscoveryError if it varies no lever."""
    names = results.factor_names
    if not names:
        raise DiscoveryError(f"{results.root}: this sweep varies no lever, so there is nothing to discover; "
                             f"allowed: results of a sweep with a [vary] table, e.g. experiments/discovery.toml")
    final = results.final
    metrics = final.pivot(index="run_id", columns="metric", values="value")
    metrics = metrics[[m for m in results.manifest["final"] if m in metrics.columns]]
    metrics.columns.name = None
    levers = final.drop_duplicates("run_id").set_index("run_id").loc[metrics.index, names]
    for factor in results.factors:
        if _categorical(factor):
            levers[factor.name] = pd.Categorical(levers[factor.name].map(category_text),
                                                 categories=[category_text(v) for v in factor.values or ()])
    total = results.manifest["run_count"]
    saved = _("{n} runs").format(n=number(len(metrics), 0)) if len(metrics) == total else \
        _("{n} of {total} runs").format(n=number(len(metrics), 0), total=number(total, 0))
    return Runs(levers, metrics, tuple(results.factors), dict(results.manifest["paths"]), saved)


# --- the condition ----------------------------------------------------------------------------

_NODES = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.Invert, ast.USub, ast.UAdd,
          ast.Compare, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq, ast.BinOp, ast.Add, ast.Sub, ast.Mult,
          ast.Div, ast.BitAnd, ast.BitOr, ast.Name, ast.Load, ast.Constant)
MAX_CONDITION = 2000  # characters: far more than any condition a person writes, and far below Python's nesting limit
_COMPARE = {ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal,
            ast.Eq: np.equal, ast.NotEq: np.not_equal}
_ARITHMETIC = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}


class _NotACondition(Exception):
    """A part of the condition used the wrong way round (a number where a truth is needed, or the reverse)."""

    def __init__(self, node: ast.AST, needs: str):
        super().__init__(node, needs)
        self.node, self.needs = node, needs


def _evaluate(node: ast.AST, columns: dict[str, np.ndarray]) -> tuple[str, Any]:
    """("number" | "truth", value) of ``node``: a small, total evaluator, so no input can raise from inside pandas.

    ``and``/``&``, ``or``/``|`` and ``not``/``~`` join truths; comparisons turn numbers into truths; + - * / work
    on numbers. Anything else is refused with the part that is wrong.
    """
    def number(n: ast.AST) -> Any:
        kind, value = _evaluate(n, columns)
        if kind != "number":
            raise _NotACondition(n, "a number (a metric, a constant or a sum of them)")
        return value

    def truth(n: ast.AST) -> Any:
        kind, value = _evaluate(n, columns)
        if kind != "truth":
            raise _NotACondition(n, "a comparison such as lost_users < 0.23")
        return value

    if isinstance(node, ast.Expression):
        return _evaluate(node.body, columns)
    if isinstance(node, ast.Constant):
        return "number", float(node.value)
    if isinstance(node, ast.Name):
        return "number", columns[node.id]
    if isinstance(node, ast.BoolOp):
        join = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        return "truth", functools.reduce(join, [truth(v) for v in node.values])
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
        join = np.logical_and if isinstance(node.op, ast.BitAnd) else np.logical_or
        return "truth", join(truth(node.left), truth(node.right))
    if isinstance(node, ast.BinOp):
        return "number", _ARITHMETIC[type(node.op)](number(node.left), number(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert)):
        return "truth", np.logical_not(truth(node.operand))
    if isinstance(node, ast.UnaryOp):
        return "number", -number(node.operand) if isinstance(node.op, ast.USub) else number(node.operand)
    if isinstance(node, ast.Compare):
        values = [number(node.left), *(number(c) for c in node.comparators)]
        parts = [_COMPARE[type(op)](a, b) for op, a, b in zip(node.ops, values, values[1:])]
        return "truth", functools.reduce(np.logical_and, parts)
    raise _NotACondition(node, "metric names, numbers and comparisons")


@dataclass(frozen=True)
class Condition:
    """A condition over final metrics: its text, the metrics it reads, and whether each run meets it."""

    text: str
    names: tuple[str, ...]
    holds: np.ndarray
    missing: dict[str, int]  # metric -> runs where it has no value (they do not meet the condition)


def _names(tree: ast.AST, where: str) -> list[str]:
    """The names ``tree`` reads, after checking it holds nothing but a condition's parts."""
    names = []
    for node in ast.walk(tree):
        if not isinstance(node, _NODES) or (isinstance(node, ast.Constant) and (
                isinstance(node.value, bool) or not isinstance(node.value, (int, float)))):
            shown = ast.get_source_segment(where, node) or type(node).__name__
            raise DiscoveryError(f"--where: {shown!r} is not allowed in a condition; allowed: metric names, numbers, "
                                 f"< <= > >= == !=, + - * /, and, or, not; e.g. {EXAMPLE}")
        if isinstance(node, ast.Name):
            names.append(node.id)
    return list(dict.fromkeys(names))


def parse_condition(where: str, metrics: pd.DataFrame, levers: tuple[str, ...] = ()) -> Condition:
    """Evaluate ``where`` on each run's final metrics (columns of ``metrics``); DiscoveryError if it cannot be.

    Only the metrics' names may appear: a lever's name, a function call or an
    attribute is refused before anything is evaluated.
    """
    allowed = list(metrics.columns)
    lever_names = {n for lever in levers for n in (lever, lever.rsplit(".", 1)[-1])}  # levers.forum, or forum
    if len(where) > MAX_CONDITION:
        raise DiscoveryError(f"--where: {len(where):,} characters; allowed: a condition of at most {MAX_CONDITION:,} "
                             f"characters, e.g. {EXAMPLE}")
    # As in pandas' own parser, & and | join comparisons (Python would bind them tighter than <).
    where = where.replace("&", " and ").replace("|", " or ")
    try:
        tree = ast.parse(where.strip(), mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        raise DiscoveryError(f"--where: cannot read {where!r} as a condition; allowed: metric names compared with "
                             f"numbers, joined by and, or, not; e.g. {EXAMPLE}") from None
    names = _names(tree, where.strip())
    for name in names:
        if name in allowed:
            continue
        if name in lever_names:
            raise DiscoveryError(f"--where: {name} is a varied lever, not a metric: the condition is over final "
                                 f"metrics, and discover finds the lever values where it holds; allowed: "
                                 f"{', '.join(allowed)}")
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise DiscoveryError(f"--where: unknown metric {name!r}{hint}; allowed: the final metrics of this sweep: "
                             f"{', '.join(allowed)}")
    if not names:
        raise DiscoveryError(f"--where: {where!r} names no metric; allowed: a condition over final metrics, "
                             f"e.g. {EXAMPLE}")
    columns = {name: metrics[name].to_numpy(dtype=float) for name in names}
    try:
        with np.errstate(all="ignore"):
            kind, holds = _evaluate(tree, columns)
    except _NotACondition as err:
        shown = ast.get_source_segment(where.strip(), err.node) or where.strip()
        raise DiscoveryError(f"--where: {shown!r} is used where {err.needs} is needed; allowed: metrics compared "
                             f"with numbers, joined by and, or, not; e.g. {EXAMPLE}") from None
    except RecursionError:
        raise DiscoveryError(f"--where: {where[:40]!r}... is nested too deeply; allowed: a condition such as "
                             f"{EXAMPLE}") from None
    if kind != "truth":
        raise DiscoveryError(f"--where: {where!r} is not a condition (true or false for each run); allowed: "
                             f"comparisons such as {EXAMPLE}")
    holds = np.broadcast_to(np.asarray(holds, dtype=bool), (len(metrics),)).copy()
    missing = {name: int(np.isnan(values).sum()) for name, values in columns.items() if np.isnan(values).any()}
    return Condition(where.strip(), tuple(names), holds, missing)


def _check_splits(condition: Condition, metrics: pd.DataFrame) -> None:
    """DiscoveryError unless some runs meet the condition and some do not: there is no box to find otherwise."""
    hits, n = int(condition.holds.sum()), len(condition.holds)
    if 0 < hits < n:
        return
    ranges = "; ".join(f"{name} ranges from {np.nanmin(metrics[name]):.4g} to {np.nanmax(metrics[name]):.4g}"
                       if metrics[name].notna().any() else f"{name} has no value in any run"
                       for name in condition.names)
    which = "none" if hits == 0 else "all"
    raise DiscoveryError(f"--where: {condition.text} holds for {which} of the {n:,} runs ({ranges}); allowed: a "
                         f"condition some runs meet and others do not")


# --- boxes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discovery:
    """The boxes a method found, and the one chosen.

    ``trajectory``: one row per box (PRIM: each step of peeling and pasting;
    CART: each leaf), with ``box``, ``coverage``, ``density``, ``mass`` (share
    of all runs in the box), ``runs``, ``restricted`` (how many levers the box
    limits), ``levers`` (their names) and ``significant`` (no restriction has a
    quasi-p-value above :data:`QP_MAX`; always true for CART). ``limits``: one row per varied lever
    of the chosen box: ``low``/``high`` (numbers) or ``values`` (categories),
    the sampled ``range_low``/``range_high`` or ``range_values``, whether each
    side is ``restricted``, and PRIM's quasi-p-values ``qp_low``/``qp_high``
    (NaN where a side is not restricted, and for CART).
    """

    method: str
    trajectory: pd.DataFrame
    chosen: int
    limits: pd.DataFrame
    hits: int
    runs: int

    @property
    def box(self) -> pd.Series:
        """The chosen box's row of the trajectory."""
        return self.trajectory.loc[self.chosen]


def _best(trajectory: pd.DataFrame, share: float) -> int:
    """The box that keeps most of the runs meeting the condition while raising its density most.

    Its score is coverage x (density - share) / (1 - share), ``share`` being the
    share of all runs that meet the condition: 0 for the box of all runs and
    for a box no denser than it, 1 for a box holding exactly those runs. Unlike
    the harmonic mean of coverage and density, it does not settle for the box of
    all runs when most runs already meet the condition. A restriction whose
    quasi-p-value is above :data:`QP_MAX` may be noise (Bryant and Lempert
    2010), so boxes with one are passed over, unless every box that restricts
    anything has one (a small sweep): the box then says so (``significant``).
    """
    c, d = trajectory["coverage"], trajectory["density"]
    score = c * (d - share) / (1 - share)
    sound = trajectory["significant"] & (trajectory["restricted"] > 0)
    if sound.any():
        score = score.where(sound, -np.inf)
    return int(trajectory.loc[score.idxmax(), "box"])


def _limits(lim: pd.DataFrame, init: pd.DataFrame, runs: Runs, qp: dict[str, list[float]]) -> pd.DataFrame:
    """One row per lever: the box's limits against the sampled range, and the quasi-p-values of its restrictions."""
    rows = []
    for name in runs.levers.columns:
        factor = runs.factor(name)
        low, high = lim.loc[0, name], lim.loc[1, name]
        q = [np.nan if v == -1 else float(v) for v in qp.get(name, [-1, -1])]
        if isinstance(low, set):
            order = [category_text(v) for v in factor.values or ()]
            values = [v for v in order if v in low]
            restricted = low != init.loc[0, name]
            rows.append({"lever": name, "values": values, "range_values": order, "restricted_low": restricted,
                         "restricted_high": False, "qp_low": q[0], "qp_high": np.nan})
            continue
        sampled_low, sampled_high = factor.bounds if not factor.discrete else (min(factor.values), max(factor.values))
        cut_low, cut_high = bool(low != init.loc[0, name]), bool(high != init.loc[1, name])
        # A side the box does not cut is the sampled bound, not the most extreme value drawn.
        rows.append({"lever": name, "low": float(low if cut_low else sampled_low),
                     "high": float(high if cut_high else sampled_high), "range_low": float(sampled_low),
                     "range_high": float(sampled_high), "restricted_low": cut_low, "restricted_high": cut_high,
                     "qp_low": q[0], "qp_high": q[1]})
    table = pd.DataFrame(rows)
    table["restricted"] = table["restricted_low"] | table["restricted_high"]
    return table


def _restricted(lim: pd.DataFrame, init: pd.DataFrame) -> list[str]:
    return [name for name in init.columns if any(lim.loc[i, name] != init.loc[i, name] for i in (0, 1))]


def _trajectory(stats: list[dict[str, Any]], lims: list[pd.DataFrame], init: pd.DataFrame, n: int,
                qp: list[dict[str, list[float]]]) -> pd.DataFrame:
    rows = []
    for i, (s, lim) in enumerate(zip(stats, lims)):
        levers = _restricted(lim, init)
        rows.append({"box": i, "coverage": float(s["coverage"]), "density": float(s["density"]),
                     "mass": float(s["mass"]), "runs": int(round(s["mass"] * n)), "restricted": len(levers),
                     "levers": ", ".join(levers),
                     "significant": all(v <= QP_MAX for sides in qp[i].values() for v in sides if v != -1)})
    return pd.DataFrame(rows)


def _prim(x: pd.DataFrame, y: np.ndarray, mass_min: float) -> tuple[pd.DataFrame, list, list, list]:
    """PRIM's first box: the initial box, the limits and stats of each step, and the quasi-p-values of each."""
    from ema_workbench.analysis import prim

    finder = prim.Prim(x, y, peel_alpha=0.05, mass_min=mass_min)
    box = finder.find_box()
    stats = box.peeling_trajectory[["coverage", "density", "mass"]].to_dict("records")
    return finder.box_init, box.box_lims, stats, box.p_values


def _cart(x: pd.DataFrame, y: np.ndarray, mass_min: float) -> tuple[pd.DataFrame, list, list, list]:
    """CART's leaves as boxes: the initial box, each leaf's limits and stats (no quasi-p-values)."""
    from ema_workbench.analysis import cart
    from ema_workbench.analysis.scenario_discovery_util import RuleInductionType, _make_box
    from sklearn.tree import DecisionTreeClassifier

    # A leaf's limits fall between two values (10.5 between 10 and 11); pandas refuses to write those into the
    # integer columns of the box CART copies from x, so whole-number levers are given as floats.
    x = x.astype({name: float for name in x.columns if pd.api.types.is_integer_dtype(x[name])})
    finder = cart.CART(x, y, mass_min=mass_min, mode=RuleInductionType.BINARY)
    # CART.build_tree leaves sklearn's tree unseeded, so ties between equally good splits would be broken by the
    # global RNG; the same tree, seeded, gives the same leaves on every call.
    finder.clf = DecisionTreeClassifier(min_samples_leaf=max(1, int(mass_min * len(x))), random_state=SEED)
    finder.clf.fit(finder._x, finder.y)
    return _make_box(x), finder.boxes, finder.stats, [{} for _ in finder.boxes]


_FINDERS = {"prim": _prim, "cart": _cart}
METHODS = tuple(_FINDERS)


def discover(runs: Runs, condition: Condition, method: str = "prim", *, box: int | None = None,
             mass_min: float = 0.05) -> Discovery:
    """PRIM's trajectory or CART's leaves for ``condition``, and the chosen box (``box``, or :func:`_best`'s)."""
    if method not in METHODS:
        raise DiscoveryError(f"--method: got {method!r}; allowed: {', '.join(METHODS)}")
    _check_splits(condition, runs.metrics)
    x = runs.levers.reset_index(drop=True)
    y = condition.holds.copy()
    with quiet_ema():
        init, lims, stats, qp = _FINDERS[method](x, y, mass_min)
    trajectory = _trajectory(stats, lims, init, len(x), qp)
    chosen = _best(trajectory, float(y.mean())) if box is None else box
    if not 0 <= chosen < len(trajectory):
        what = "boxes on PRIM's trajectory" if method == "prim" else "CART leaves"
        raise DiscoveryError(f"--box: got {box}; allowed: 0 to {len(trajectory) - 1} (the {len(trajectory)} {what})")
    return Discovery(method, trajectory, chosen, _limits(lims[chosen], init, runs, qp[chosen]), int(y.sum()), len(y))


# --- feature scores ---------------------------------------------------------------------------


def feature_scores(levers: pd.DataFrame, outcomes: dict[str, np.ndarray], *,
                   classify: bool = False) -> tuple[pd.DataFrame, dict[str, str]]:
    """Extra-trees feature scores of every lever for each outcome: how much of the outcome's variation each explains.

    ``levers`` has one row per run; each outcome one value per run (runs with
    NaN are left out of that outcome). Returns a long table (``outcome``,
    ``lever``, ``score``, ``rank``; an outcome's scores sum to 1, rank 1 is the
    lever that matters most) and, per outcome left out, the reason.
    """
    with quiet_ema():
        from ema_workbench.analysis import feature_scoring
        from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

    mode = RuleInductionType.CLASSIFICATION if classify else RuleInductionType.REGRESSION
    x = levers.reset_index(drop=True)
    rows, skipped = [], {}
    for name, values in outcomes.items():
        y = np.asarray(values, dtype=float)
        ok = ~np.isnan(y)
        if ok.sum() < MIN_RUNS:
            skipped[name] = f"only {int(ok.sum())} runs have a value; feature scores need at least {MIN_RUNS}"
            continue
        if np.ptp(y[ok]) == 0:
            skipped[name] = "it does not vary"
            continue
        with quiet_ema():
            scores, _importances = feature_scoring.get_ex_feature_scores(
                x[ok].reset_index(drop=True), y[ok].astype(bool) if classify else y[ok], mode=mode,
                max_features=max(1, round(x.shape[1] / 3)), oob_score=False, random_state=SEED)
        scores = scores.iloc[:, 0]
        for rank, (lever, score) in enumerate(scores.items(), start=1):
            rows.append({"outcome": name, "lever": lever, "score": float(score), "rank": rank})
    return pd.DataFrame(rows, columns=["outcome", "lever", "score", "rank"]), skipped

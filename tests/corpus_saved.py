"""Damaged or edited saved files, and bad options on saved folders, for the commands that resume or reuse them.

Every saved file is checked before it is trusted (issue 33, point 3): a comparison's or a sweep's manifest,
design and parts, a worlds run's candidates and state, a frontier's evaluations and state, a calibration's
history and inputs, leave-one-out's refits, and a worlds file read by compare and patterns. Each case starts
from a real saved run (:func:`build_saved` makes one of each, once), copies it, breaks one thing, and runs the
command that would read it: it must end with exit 2 and one line containing the case's words, no traceback, no
hang, and nothing added or removed (tests/test_bad_input_corpus.py).

A case is a :class:`SavedCase`: which saved run it starts from, what it breaks in the copy, the command (built
from the copy's folder and the original's), and the words the refusal must contain.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
SMALL = 'steps = 3\nwarmup = 10\nseed = 3\n[population]\nn_citizens = 150\nprescribers_per_1000 = 26.7\n'


@dataclass(frozen=True)
class SavedCase:
    name: str
    base: str | None  # the saved run it starts from (a key of build_saved), or None for an empty folder
    damage: Callable[[Path], Any]  # breaks one thing in the copy
    argv: Callable[[Path, Path], list[Any]]  # the command, from the copy's folder and the original's
    expect: str


# --- the saved runs every case starts from --------------------------------------------------------------------

def worlds_spec(folder: Path, candidates: int = 4) -> Path:
    """tests/test_worlds.py's tiny worlds file, with figures its tiny world meets, so that worlds are kept."""
    from tests.test_worlds import _tiny

    spec = _tiny(folder, candidates)
    targets = folder / "targets.toml"
    text = targets.read_text().replace("value = 0.45", "value = 0.3").replace("value = 0.69", "value = 0.4")
    targets.write_text(text)
    return spec


def toy_frontier(path: Path, **change: Any) -> Path:
    """tests/test_frontier.py's toy search, smaller still: 150 citizens, 3 weeks, 16 settings."""
    from tests.test_frontier import toy, write

    data = toy(evaluations=16, population=8, snapshot_every=8)
    data.update({"steps": 3, "set": {**data["set"], "population.n_citizens": 150, "warmup": 4}, **change})
    return write(path, data)


def two_targets(folder: Path) -> Path:
    """tests/test_calibration.py's tiny targets file with a second parameter and target, for leave-one-out."""
    from tests.test_calibration import _tiny

    text = _tiny(folder, 1).read_text().replace(
        "[[target]]", '[[parameter]]\nname = "online_intercept"\nlow = -4.0\nhigh = 2.0\n[[target]]', 1)
    text += ('[[target]]\nname = "online_users"\nquantity = "online_users"\nvalue = 0.5\ntolerance = 0.05\n'
             'source = "a test"\ncomparable = "itself"\n')
    path = folder / "two.toml"
    path.write_text(text, encoding="utf-8")
    return path


def scenarios(folder: Path) -> tuple[Path, Path]:
    """Two small scenario files: the baseline and the FAQ policy."""
    base, faq = folder / "base.toml", folder / "faq.toml"
    base.write_text(f'name = "base"\n{SMALL}', encoding="utf-8")
    faq.write_text(f'name = "faq"\npolicy = "faq"\n{SMALL}', encoding="utf-8")
    return base, faq


def build_saved(folder: Path) -> dict[str, Path]:
    """One finished run of each command, each in its own folder (its inputs, and its outputs under ``out``)."""
    from crmsim.commands import main
    from tests.test_calibration import _tiny
    from tests.test_patterns import _file

    made = {name: folder / name for name in ("compare", "sweep", "worlds", "frontier", "calibration", "loo",
                                               "patterns")}
    for path in made.values():
        path.mkdir()
    base, faq = scenarios(made["compare"])
    (made["sweep"] / "base.toml").write_text(f'name = "base"\n{SMALL}', encoding="utf-8")
    (made["sweep"] / "exp.toml").write_text('name = "tinyexp"\nscenario = "base.toml"\nreplications = 2\n'
                                            '[vary]\nfaq_quality = [0.0, 0.5]\n', encoding="utf-8")
    _file(made["patterns"])
    commands = [
        ["compare", base, faq, "--reps", "2", "--out", made["compare"] / "out"],
        ["sweep", made["sweep"] / "exp.toml", "--out", made["sweep"] / "out"],
        ["worlds", worlds_spec(made["worlds"]), "--work", made["worlds"] / "work", "--out",
         made["worlds"] / "worlds.parquet"],
        ["frontier", toy_frontier(made["frontier"] / "toy.toml"), "--out", made["frontier"] / "out"],
        ["calibrate", _tiny(made["calibration"], 1), "--workers", "1", "--out", made["calibration"] / "out"],
        ["calibrate", two_targets(made["loo"]), "--leave-one-out", "--particles", "10", "--workers", "1", "--out",
         made["loo"] / "out"],
    ]
    for command in commands:
        engine = [] if command[0] == "calibrate" else ["--sequential"]
        with contextlib.redirect_stdout(io.StringIO()):
            assert main([*map(str, command), *engine, "--quiet"]) == 0, command
    return made


def prepare(case: SavedCase, saved: dict[str, Path], tmp_path: Path) -> tuple[list[str], list[Path]]:
    """Copy the case's saved run into ``tmp_path``, break it; return the command and the folders to watch."""
    copy = tmp_path / "s"
    if case.base is None:
        copy.mkdir()
        original = saved["compare"]
    else:
        original = saved[case.base]
        shutil.copytree(original, copy)
    case.damage(copy)
    return [str(a) for a in case.argv(copy, original)], [tmp_path, original]


# --- what breaks a file --------------------------------------------------------------------------------------

def _path(folder: Path, relative: str) -> Path:
    """``folder / relative``, where ``{store}`` stands for the one sweep folder under out/ (compare's or sweep's)."""
    if "{store}" in relative:
        store = next(p for p in sorted((folder / "out").iterdir()) if p.is_dir())
        relative = relative.format(store=store.relative_to(folder))
    return folder / relative


def write_text(relative: str, text: str | bytes) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = _path(folder, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.rmtree(path)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return damage


def edit_json(relative: str, change: Callable[[Any], Any]) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = _path(folder, relative)
        path.write_text(json.dumps(change(json.loads(path.read_text()))))
    return damage


def set_key(key: str, value: Any) -> Callable[[Any], Any]:
    return lambda data: {**data, key: value}


def drop_key(key: str) -> Callable[[Any], Any]:
    return lambda data: {k: v for k, v in data.items() if k != key}


def remove(relative: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = _path(folder, relative)
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return damage


def truncate(relative: str, keep: float = 0.5) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = _path(folder, relative)
        path.write_bytes(path.read_bytes()[:int(path.stat().st_size * keep)])
    return damage


def edit_table(relative: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = _path(folder, relative)
        change(pd.read_parquet(path)).to_parquet(path, index=False)
    return damage


def both(*damages: Callable[[Path], Any]) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        for one in damages:
            one(folder)
    return damage


def nothing(folder: Path) -> None:
    """A case whose fault is in the command line, not in a file."""


def first_part(folder: Path) -> Path:
    return sorted(folder.glob("out/*/parts/part-*.parquet"))[0]


def edit_part(change: Callable[[pa.Table], pa.Table], meta: dict[bytes, bytes] | None = None, *, keep: bool = True
              ) -> Callable[[Path], None]:
    """Rewrite the first part of a sweep: its table changed, its metadata (the sweep's identity) kept and updated
    with ``meta``, or (``keep`` false) as ``change`` left it."""
    def damage(folder: Path) -> None:
        part = first_part(folder)
        table = pq.read_table(part)
        changed = change(table)
        if keep:
            changed = changed.replace_schema_metadata({**(table.schema.metadata or {}), **(meta or {})})
        pq.write_table(changed, part)
    return damage


def copy_part(folder: Path) -> None:
    part = first_part(folder)
    shutil.copy(part, part.with_name(part.name.replace("part-0", "part-8")))


def edit_row(column: str, value: Any, row: int = 0) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.loc[frame.index[row], column] = value
        return frame
    return change


# --- compare and sweep: the manifest, the design, the parts -------------------------------------------------------

def _compare(copy: Path, original: Path, *extra: Any) -> list[Any]:
    return ["compare", original / "base.toml", original / "faq.toml", "--reps", "2", "--sequential", "--quiet",
            "--out", copy / "out", *extra]


def _sweep(copy: Path, original: Path, *extra: Any) -> list[Any]:
    return ["sweep", original / "exp.toml", "--sequential", "--quiet", "--out", copy / "out", "--resume", *extra]


MANIFEST, DESIGN, PARTS = "{store}/manifest.json", "{store}/design.parquet", "{store}/parts"


def _column(name: str, values: Callable[[pa.Table], Any]) -> Callable[[pa.Table], pa.Table]:
    return lambda t: t.set_column(t.schema.get_field_index(name), name, values(t))


def _resolved(m: dict[str, Any]) -> dict[str, Any]:
    return {**m, "resolved": {**m["resolved"], "base": {**m["resolved"]["base"], "trust_gain": 0.5}}}


# (case, what breaks a sweep's folder, the words its refusal must contain): under compare and sweep --resume
STORE_FAULTS: list[tuple[str, Callable[[Path], Any], str]] = [
    ("manifest-not-json", write_text(MANIFEST, "{"), "manifest.json: cannot read"),
    ("manifest-empty", write_text(MANIFEST, ""), "manifest.json: cannot read"),
    ("manifest-binary", write_text(MANIFEST, b"\xff\xfe\x00"), "manifest.json: cannot read"),
    ("manifest-list", write_text(MANIFEST, "[]"), "not a table of fields"),
    ("manifest-string", write_text(MANIFEST, '"x"'), "not a table of fields"),
    ("manifest-object", write_text(MANIFEST, "{}"), "experiment: missing"),
    ("manifest-run-count", edit_json(MANIFEST, set_key("run_count", 99)), "run_count: got 99"),
    ("manifest-replications-zero", edit_json(MANIFEST, set_key("replications", 0)), "replications"),
    ("manifest-replications-text", edit_json(MANIFEST, set_key("replications", "2")), "replications"),
    ("manifest-design-kind", edit_json(MANIFEST, set_key("design", {"kind": "nope"})), "design.kind"),
    ("manifest-no-final", edit_json(MANIFEST, set_key("final", [])), "final"),
    ("manifest-factors-text", edit_json(MANIFEST, set_key("factors", "x")), "factors"),
    ("manifest-no-model", edit_json(MANIFEST, drop_key("model")), "--fresh"),
    ("manifest-model-null", edit_json(MANIFEST, set_key("model", None)), "older crmsim"),
    ("manifest-other-model", edit_json(MANIFEST, set_key("model", {"crmsim": "0.0", "code": "0000"})),
     "another model"),
    ("manifest-model-half", edit_json(MANIFEST, set_key("model", {"code": "0000"})), "another model"),
    ("manifest-no-resolved", edit_json(MANIFEST, drop_key("resolved")), "were not recorded"),
    ("manifest-resolved-text", edit_json(MANIFEST, set_key("resolved", "x")), "were not recorded"),
    ("manifest-resolved-edited", edit_json(MANIFEST, _resolved), "trust_gain (0.5 then"),
    ("manifest-spec-edited", edit_json(MANIFEST, lambda m: {**m, "spec": {**m["spec"], "seed": 99}}),
     "changed since this sweep started"),
    ("manifest-base-edited", edit_json(MANIFEST, set_key("base_scenario", {})), "changed since this sweep started"),
    ("manifest-identity", edit_json(MANIFEST, set_key("identity", "sha256:another")), "not a part of this sweep"),
    ("manifest-removed", remove(MANIFEST), "holds result parts but no manifest.json"),
    ("design-removed", remove(DESIGN), "no design.parquet here"),
    ("design-not-parquet", write_text(DESIGN, "x"), "design.parquet: damaged"),
    ("design-empty", write_text(DESIGN, b""), "design.parquet: damaged"),
    ("design-truncated", truncate(DESIGN), "design.parquet: damaged"),
    ("design-other-points", edit_table(DESIGN, lambda f: pd.concat([f, f])), "does not match manifest.json"),
    ("part-copied", copy_part, "also in"),
    ("part-of-another-sweep", edit_part(lambda t: t, {b"crmsim.identity": b"sha256:x", b"crmsim.experiment": b"x"}),
     "by experiment 'x'"),
    ("part-without-identity", edit_part(lambda t: t.replace_schema_metadata({}), None, keep=False),
     "without this sweep's identity"),
    ("part-extra-column", edit_part(lambda t: t.append_column("colour", pa.array(["red"] * len(t)))),
     "are not this sweep's"),
    ("part-no-rows", edit_part(lambda t: t.slice(0, 0)), "holds no rows"),
    ("part-run-outside", edit_part(_column("run_id", lambda t: pa.compute.add(t["run_id"], 1000))),
     "outside this sweep"),
    ("part-kind", edit_part(_column("kind", lambda t: pa.array(["odd"] * len(t)))), "kind 'odd'"),
    ("part-run-cut-short", edit_part(lambda t: t.slice(0, len(t) - 1)), "final rows"),
    ("parts-a-file", both(remove(PARTS), write_text(PARTS, "x")), "is a file, not a folder"),
]


def compare_cases() -> list[SavedCase]:
    """Every manifest, design and part fault, under compare (which resumes by itself) and sweep --resume."""
    out = []
    for name, damage, expect in STORE_FAULTS:
        out.append(SavedCase(f"compare-{name}", "compare", damage, _compare, expect))
    for name, damage, expect in STORE_FAULTS[::3]:  # the sweep reads the same store: a third of them again
        out.append(SavedCase(f"sweep-{name}", "sweep", damage, _sweep, expect))
    out += [
        SavedCase("compare-html-a-folder", "compare", lambda f: (f / "out/base_vs_faq/compare.html").unlink() or
                  (f / "out/base_vs_faq/compare.html").mkdir(), _compare, "the runs are saved"),
        SavedCase("compare-out-a-file", None, write_text("afile", "x"),
                  lambda c, o: _compare(c, o)[:-1] + [c / "afile"], "afile is a file"),
        SavedCase("compare-out-under-a-file", None, write_text("afile", "x"),
                  lambda c, o: _compare(c, o)[:-1] + [c / "afile" / "below"], "afile is a file"),
        SavedCase("compare-fresh-bad-worlds-file", "compare", nothing,
                  lambda c, o: _compare(c, o, "--fresh", "--worlds", "2", "--worlds-file", c / "nope.parquet"),
                  "nope.parquet: no such file"),
        SavedCase("compare-fresh-worlds-file-a-folder", "compare", lambda f: (f / "w.parquet").mkdir(),
                  lambda c, o: _compare(c, o, "--fresh", "--worlds", "2", "--worlds-file", c / "w.parquet"),
                  "w.parquet"),
        SavedCase("compare-fresh-worlds-file-not-parquet", "compare", write_text("w.parquet", "x"),
                  lambda c, o: _compare(c, o, "--fresh", "--worlds", "2", "--worlds-file", c / "w.parquet"),
                  "not a readable Parquet file"),
        SavedCase("compare-worlds-file-without-worlds", "compare", nothing,
                  lambda c, o: _compare(c, o, "--worlds-file", c / "w.parquet"), "--worlds-file: given without"),
        SavedCase("compare-worlds-missing-default", None, nothing, lambda c, o: _compare(c, o, "--worlds", "2"),
                  "calibration/worlds.parquet: no such file"),
        SavedCase("sweep-fresh-and-resume", "sweep", nothing, lambda c, o: _sweep(c, o, "--fresh"),
                  "--fresh: not with --resume"),
        SavedCase("sweep-again-without-resume", "sweep", nothing, lambda c, o: _sweep(c, o)[:-1],
                  "already holds a sweep"),
        SavedCase("sweep-fresh-out-under-a-file", None, write_text("afile", "x"),
                  lambda c, o: ["sweep", ROOT / "experiments" / "paper_question.toml", "--fresh", "--out",
                                c / "afile" / "below"], "afile is a file"),
    ]
    return out


# --- a worlds file, read by compare --worlds and patterns --worlds ----------------------------------------------

def worlds_file(path: Path, frame: Callable[[pd.DataFrame], pd.DataFrame] = lambda f: f,
                provenance: Callable[[Any], Any] = lambda p: p, raw: bytes | None = None) -> Path:
    """A worlds file read_worlds accepts (tests/test_compare_worlds.py), then its table and provenance edited."""
    from crmsim.calibration.worlds import METADATA_KEY
    from tests.test_compare_worlds import _worlds_file

    _worlds_file(path, {"trust_gain": [0.08, 0.1, 0.12]})
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[METADATA_KEY])
    edited = pa.Table.from_pandas(frame(table.to_pandas()), preserve_index=False)
    text = raw if raw is not None else json.dumps(provenance(meta)).encode()
    pq.write_table(edited.replace_schema_metadata({METADATA_KEY: text}), path)
    return path


def _with(**changes: Any) -> Callable[[Any], Any]:
    return lambda p: {**p, **changes}


# fault: (what is edited, the words its refusal must contain)
WORLDS_FAULTS: dict[str, tuple[dict[str, Any], str]] = {
    "duplicate world": (dict(frame=lambda f: f.assign(world=[0, 1, 1])), "world: got [0, 1, 1]"),
    "world -1": (dict(frame=lambda f: f.assign(world=[-1, 0, 1])), "world: got [-1, 0, 1]"),
    "a gap": (dict(frame=lambda f: f.assign(world=[0, 1, 5])), "each once"),
    "worlds as text": (dict(frame=lambda f: f.assign(world=["a", "b", "c"])), "world: got ['a', 'b'"),
    "outside the believed range": (dict(frame=lambda f: f.assign(trust_gain=[0.08, 0.1, 0.5])),
                                   "trust_gain = 0.5"),
    "outside the prior": (dict(frame=lambda f: f.assign(trust_disposition=0.95)), "trust_disposition = 0.95"),
    "not a number": (dict(frame=lambda f: f.assign(trust_gain=["a", "b", "c"])), "trust_gain = 'a'"),
    "nan": (dict(frame=lambda f: f.assign(trust_gain=[0.1, float("nan"), 0.1])), "trust_gain = nan"),
    "missing column": (dict(frame=lambda f: f.drop(columns="trust_gain")), "column trust_gain: missing"),
    "no world column": (dict(frame=lambda f: f.drop(columns="world")), "column world: missing"),
    "no fitted parameter": (dict(provenance=_with(fitted=[], priors={})), "fitted: missing or empty"),
    "a lever fitted": (dict(frame=lambda f: f.assign(faq_quality=0.5),
                            provenance=_with(fitted=["trust_disposition", "faq_quality"],
                                             priors={"trust_disposition": [0.4, 0.7], "faq_quality": [0.0, 1.0]})),
                       "faq_quality: a policy lever"),
    "a lever assumed": (dict(frame=lambda f: f.assign(faq_quality=0.5),
                             provenance=lambda p: {**p, "assumptions": {**p["assumptions"], "faq_quality": [0, 1]}}),
                        "faq_quality: a policy lever"),
    "not a parameter": (dict(provenance=lambda p: {**p, "assumptions": {"colour": [0, 1]}}),
                        "colour: not a parameter"),
    "priors not the fitted": (dict(provenance=_with(priors={})), "priors"),
    "a prior upside down": (dict(provenance=_with(priors={"trust_disposition": [0.7, 0.4]})), "priors"),
    "assumption range malformed": (dict(provenance=_with(assumptions={"trust_gain": "wide"})), "assumptions"),
    "provenance a list": (dict(provenance=lambda p: [p]), "not a table of fields"),
    "provenance not json": (dict(raw=b"{not json"), "provenance"),
    "no model stamp": (dict(provenance=lambda p: {k: v for k, v in p.items() if k != "model"}), "model: missing"),
    "another model": (dict(provenance=_with(model={"crmsim": "0.0", "code": "0000"})), "drawn by another model"),
    "a value no scenario takes": (dict(frame=lambda f: f.assign(trust_disposition=[0.5, 1.5, 0.5]),
                                       provenance=_with(priors={"trust_disposition": [0.0, 2.0]})), "world 1"),
}


def worlds_file_cases() -> list[SavedCase]:
    """Every worlds-file fault under compare --worlds and patterns --worlds; and worlds files that are not one."""
    def compare(c: Path, o: Path) -> list[Any]:
        return _compare(c, o, "--worlds", "2", "--worlds-file", c / "w.parquet")

    def patterns(c: Path, o: Path) -> list[Any]:
        return _patterns(c, o, "--worlds", "2", "--worlds-file", c / "w.parquet")

    faults = [(fault.replace(" ", "-"), lambda folder, edits=edits: worlds_file(folder / "w.parquet", **edits), expect)
              for fault, (edits, expect) in WORLDS_FAULTS.items()]
    faults += [("file-not-parquet", write_text("w.parquet", "world\n0\n"), "not a readable Parquet"),
               ("file-empty", write_text("w.parquet", b""), "not a readable Parquet"),
               ("file-a-folder", lambda f: (f / "w.parquet").mkdir(), "w.parquet"),
               ("file-missing", nothing, "no such file"),
               ("file-no-provenance", lambda f: pd.DataFrame({"world": [0]}).to_parquet(f / "w.parquet"),
                "has no worlds provenance"),
               ("file-truncated", both(lambda f: worlds_file(f / "w.parquet"), truncate("w.parquet")),
                "not a readable Parquet")]
    out = []
    for name, damage, expect in faults:
        out.append(SavedCase(f"compare-worlds-{name}", None, damage, compare, expect))
        out.append(SavedCase(f"patterns-worlds-{name}", "patterns", damage, patterns, expect))
    out.append(SavedCase("compare-more-worlds-than-held", None, lambda f: worlds_file(f / "w.parquet"),
                         lambda c, o: _compare(c, o, "--worlds", "5", "--worlds-file", c / "w.parquet"), "holds 3"))
    return out


# --- patterns: its output folder and options ---------------------------------------------------------------------

def _patterns(copy: Path, original: Path, *extra: Any) -> list[Any]:
    return ["patterns", copy / "patterns.toml", "--sequential", "--quiet", "--out", copy / "out", *extra]


def patterns_cases() -> list[SavedCase]:
    """patterns' output folder and its worlds options."""
    def out_as(target: str) -> Callable[[Path, Path], list[Any]]:
        return lambda c, o: _patterns(c, o)[:-1] + [c / target]

    return [
        SavedCase("patterns-out-a-file", "patterns", write_text("afile", "x"), out_as("afile"), "afile is a file"),
        SavedCase("patterns-out-under-a-file", "patterns", write_text("afile", "x"), out_as("afile/below"),
                  "afile is a file"),
        SavedCase("patterns-its-folder-a-file", "patterns", write_text("out/tiny", "x"), _patterns,
                  "is a file, not a folder"),
        SavedCase("patterns-worlds-file-without-worlds", "patterns", nothing,
                  lambda c, o: _patterns(c, o, "--worlds-file", c / "w.parquet"), "--worlds-file: given without"),
        SavedCase("patterns-worlds-missing-default", "patterns", nothing, lambda c, o: _patterns(c, o, "--worlds", "1"),
                  "calibration/worlds.parquet: no such file"),
    ]


# --- worlds --resume: candidates and state -----------------------------------------------------------------------

CANDIDATES = "work/tiny_worlds/candidates.parquet"
WORLDS_STATE = "work/tiny_worlds/worlds.json"


def _worlds(copy: Path, original: Path, *extra: Any, resume: bool = True) -> list[Any]:
    return ["worlds", copy / "worlds.toml", "--work", copy / "work", "--out", copy / "resumed.parquet",
            "--sequential", "--quiet", *(["--resume"] if resume else []), *extra]


def worlds_cases() -> list[SavedCase]:
    """worlds --resume on saved candidates, state and posterior that do not hold; --out and --work."""
    table = lambda change: edit_table(CANDIDATES, change)  # noqa: E731
    faults = [
        ("drop-distance", table(lambda f: f.drop(columns="distance")), "column distance: missing"),
        ("drop-kept", table(lambda f: f.drop(columns="kept")), "column kept: missing"),
        ("drop-a-quantity", table(lambda f: f.drop(columns="q_online")), "column q_online: missing"),
        ("drop-a-value", table(lambda f: f.drop(columns="trust_gain")), "column trust_gain: missing"),
        ("drop-candidate", table(lambda f: f.drop(columns="candidate")), "column candidate: missing"),
        ("extra-column", table(lambda f: f.assign(colour="red")), "column colour"),
        ("columns-reordered", table(lambda f: f[list(f.columns[::-1])]), "columns out of order"),
        ("rows-duplicated", table(lambda f: pd.concat([f, f])), "saved twice"),
        ("a-row-twice", table(lambda f: pd.concat([f, f.head(1)])), "saved twice"),
        ("value-outside-believed", table(edit_row("trust_gain", 99.0)), "trust_gain = 99.0"),
        ("value-not-drawn", table(edit_row("trust_gain", 0.1)), "but the draw gives"),
        ("fitted-not-drawn", table(edit_row("trust_disposition", 0.3)), "trust_disposition = 0.3"),
        ("value-nan", table(edit_row("trust_loss", float("nan"))), "trust_loss = nan"),
        ("candidate-not-drawn", table(edit_row("candidate", 77)), "candidate 77: not drawn"),
        ("candidate-negative", table(edit_row("candidate", -1)), "candidate -1: not drawn"),
        ("candidate-fraction", table(lambda f: f.assign(candidate=f["candidate"] + 0.5)), "not drawn"),
        ("kept-flipped", table(edit_row("kept", False)), "disagree"),
        ("kept-as-text", table(lambda f: f.assign(kept=f["kept"].map(str))), "disagree"),
        ("quantity-edited", table(edit_row("q_trusting", 0.9)), "disagree"),
        ("quantity-infinite", table(edit_row("q_online", float("inf"))), "not a number"),
        ("quantity-as-text", table(lambda f: f.assign(q_online="x")), "not a number"),
        ("distance-edited", table(edit_row("distance", 0.0)), "disagree"),
        ("distance-nan", table(edit_row("distance", float("nan"))), "disagree"),
        ("state-not-json", write_text(WORLDS_STATE, "{"), "worlds.json: damaged"),
        ("state-list", write_text(WORLDS_STATE, "[]"), "not the state"),
        ("state-seconds-text", edit_json(WORLDS_STATE, set_key("seconds", "x")), "not the state"),
        ("state-seconds-negative", edit_json(WORLDS_STATE, set_key("seconds", -5)), "not the state"),
        ("state-seconds-missing", edit_json(WORLDS_STATE, drop_key("seconds")), "not the state"),
        ("state-other-identity", edit_json(WORLDS_STATE, set_key("identity", "x")), "another worlds file"),
        ("state-other-model", edit_json(WORLDS_STATE, set_key("model", {"crmsim": "0.0", "code": "0"})),
         "another model"),
        ("state-no-model", edit_json(WORLDS_STATE, drop_key("model")), "another model"),
        ("state-removed", remove(WORLDS_STATE), "holds no worlds run to resume"),
        ("posterior-edited", _other_posterior, "another worlds file"),
        ("posterior-removed", remove("post.parquet"), "post.parquet: no such file"),
        ("posterior-damaged", write_text("post.parquet", "x"), "not a readable Parquet"),
    ]
    out = [SavedCase(f"worlds-{name}", "worlds", damage, _worlds, expect) for name, damage, expect in faults]
    out += [
        SavedCase("worlds-again-without-resume", "worlds", nothing, lambda c, o: _worlds(c, o, resume=False),
                  "already holds a worlds run"),
        SavedCase("worlds-out-a-csv", "worlds", nothing, lambda c, o: _worlds(c, o, "--out", c / "w.csv"),
                  "not a .parquet file path"),
        SavedCase("worlds-out-a-folder", "worlds", lambda f: (f / "w.parquet").mkdir(),
                  lambda c, o: _worlds(c, o, "--out", c / "w.parquet"), "not a .parquet file path"),
        SavedCase("worlds-out-in-work", "worlds", nothing,
                  lambda c, o: _worlds(c, o, "--out", c / "work" / "tiny_worlds" / "candidates.parquet"),
                  "inside the work folder"),
        SavedCase("worlds-out-under-a-file", "worlds", write_text("afile", "x"),
                  lambda c, o: _worlds(c, o, "--out", c / "afile" / "w.parquet"), "afile is a file"),
        SavedCase("worlds-work-under-a-file", "worlds", write_text("afile", "x"),
                  lambda c, o: _worlds(c, o, resume=False)[:2] + ["--work", c / "afile", "--out", c / "x.parquet"],
                  "afile is a file; allowed: --work a folder"),
    ]
    return out


def _other_posterior(folder: Path) -> None:
    """Another posterior where the worlds file points: the run in the work folder is not of this one."""
    from crmsim.calibration.posterior_file import write_posterior

    write_posterior(folder / "post.parquet", pd.DataFrame({"trust_disposition": [0.5], "weight": [1.0]}),
                    {"trust_disposition": (0.3, 0.8)}, targets_file="targets.toml", calibration="tiny", inputs="x")


# --- frontier --resume: evaluations and state --------------------------------------------------------------------

EVALUATIONS = "out/toy/evaluations.parquet"
FRONTIER_STATE = "out/toy/frontier.json"


def _frontier(copy: Path, original: Path, *extra: Any, resume: bool = True) -> list[Any]:
    return ["frontier", copy / "toy.toml", "--out", copy / "out", "--sequential", "--quiet",
            *(["--resume"] if resume else []), *extra]


def rehash(folder: Path) -> None:
    """What an editor who also fixed the state file's hash would do."""
    state = json.loads((folder / FRONTIER_STATE).read_text())
    state["evaluations_sha256"] = hashlib.sha256((folder / EVALUATIONS).read_bytes()).hexdigest()
    (folder / FRONTIER_STATE).write_text(json.dumps(state))


def _cheapest(value: float) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.loc[frame["public_cost_per_citizen"].idxmin(), "public_cost_per_citizen"] = value
        return frame
    return change


FRONTIER_TAMPERING: list[tuple[str, Callable[[pd.DataFrame], pd.DataFrame], str]] = [
    ("cost-negative", _cheapest(-1000.0), "public_cost_per_citizen = -1000.0"),
    ("cost-nan", _cheapest(float("nan")), "public_cost_per_citizen = nan"),
    ("cost-infinite", _cheapest(float("inf")), "public_cost_per_citizen = inf"),
    ("share-above-1", edit_row("non_take_up_bottom", 1.5), "non_take_up_bottom = 1.5"),
    ("share-negative", edit_row("non_take_up_bottom", -0.5), "non_take_up_bottom = -0.5"),
    ("error-negative", edit_row("non_take_up_bottom_se", -0.1), "non_take_up_bottom_se = -0.1"),
    ("error-nan", edit_row("public_cost_per_citizen_se", float("nan")), "public_cost_per_citizen_se = nan"),
    ("lever-outside", edit_row("counter_staff", 55.0), "counter_staff = 55.0"),
    ("lever-below", edit_row("funded_prescribers", -0.2), "funded_prescribers = -0.2"),
    ("lever-text", lambda f: f.assign(counter_staff="x"), "counter_staff = 'x'"),
    ("objective-dropped", lambda f: f.drop(columns="non_take_up_bottom"), "column non_take_up_bottom: missing"),
    ("lever-dropped", lambda f: f.drop(columns="counter_staff"), "column counter_staff: missing"),
    ("extra-column", lambda f: f.assign(colour=1.0), "columns"),
    ("rows-duplicated", lambda f: pd.concat([f, f]), "evaluation: got"),
    ("setting-twice", lambda f: pd.concat([f, f.head(1)]).assign(evaluation=range(len(f) + 1)), "twice"),
    ("row-dropped", lambda f: f.iloc[1:], "evaluation: got"),
    ("renumbered", lambda f: f.assign(evaluation=f["evaluation"] + 1), "evaluation: got"),
]


def frontier_cases() -> list[SavedCase]:
    """Each tampering twice (caught by the state's hash; with the hash fixed, by the contents), damage, state."""
    out = []
    for name, change, expect in FRONTIER_TAMPERING:
        out.append(SavedCase(f"frontier-{name}", "frontier", edit_table(EVALUATIONS, change), _frontier,
                             "changed since the search saved it"))
        out.append(SavedCase(f"frontier-{name}-rehashed", "frontier", both(edit_table(EVALUATIONS, change), rehash),
                             _frontier, expect))
    faults = [
        ("evaluations-truncated", truncate(EVALUATIONS), "changed since the search saved it"),
        ("evaluations-emptied", write_text(EVALUATIONS, b""), "changed since the search saved it"),
        ("evaluations-removed", remove(EVALUATIONS), "missing, though"),
        ("evaluations-truncated-rehashed", both(truncate(EVALUATIONS), rehash), "cannot be read"),
        ("state-not-json", write_text(FRONTIER_STATE, "{"), "frontier.json: damaged"),
        ("state-list", write_text(FRONTIER_STATE, "[]"), "not the state"),
        ("state-seconds-null", edit_json(FRONTIER_STATE, set_key("seconds", None)), "not the state"),
        ("state-finished-text", edit_json(FRONTIER_STATE, set_key("finished", "yes")), "not the state"),
        ("state-no-identity", edit_json(FRONTIER_STATE, drop_key("identity")), "not the state"),
        ("state-other-identity", edit_json(FRONTIER_STATE, set_key("identity", "x")), "another file"),
        ("state-other-model", edit_json(FRONTIER_STATE, set_key("model", {"crmsim": "0", "code": "0"})),
         "another model"),
        ("state-no-hash", edit_json(FRONTIER_STATE, lambda s: {k: v for k, v in s.items() if "sha256" not in k}),
         "changed since the search saved it"),
        ("state-removed", remove(FRONTIER_STATE), "not a frontier search"),
    ]
    out += [SavedCase(f"frontier-{name}", "frontier", damage, _frontier, expect) for name, damage, expect in faults]
    out += [
        SavedCase("frontier-again-without-resume", "frontier", nothing, lambda c, o: _frontier(c, o, resume=False),
                  "already holds a search"),
        SavedCase("frontier-damaged-state-without-resume", "frontier", write_text(FRONTIER_STATE, "{"),
                  lambda c, o: _frontier(c, o, resume=False), "already holds a search"),
        SavedCase("frontier-out-under-a-file", "frontier", write_text("afile", "x"),
                  lambda c, o: ["frontier", c / "toy.toml", "--out", c / "afile", "--sequential"],
                  "afile is a file"),
        SavedCase("frontier-too-many-runs", None,
                  lambda f: toy_frontier(f / "big.toml", replications=1000).write_text(
                      (f / "big.toml").read_text().replace('"evaluations" = 16', '"evaluations" = 200000')),
                  lambda c, o: ["frontier", c / "big.toml", "--out", c / "out", "--sequential"], "200,000,000 runs"),
        SavedCase("frontier-too-many-runs-with-policies", None,
                  lambda f: toy_frontier(f / "big.toml", replications=100_000).write_text(
                      (f / "big.toml").read_text().replace('"evaluations" = 16',
                                                           '"evaluations" = 9\n"policies" = ["faq", "public_qa"]')),
                  lambda c, o: ["frontier", c / "big.toml", "--out", c / "out", "--sequential"], "1,100,000 runs"),
        SavedCase("frontier-objective-undefined-in-a-run", None, _undefined_objective,
                  lambda c, o: ["frontier", c / "nan.toml", "--out", c / "out", "--sequential", "--quiet"],
                  "search.objectives.redress_success: undefined (NaN)"),
        SavedCase("frontier-validate-too-many-runs", None,
                  lambda f: toy_frontier(f / "big.toml", replications=1000).write_text(
                      (f / "big.toml").read_text().replace('"evaluations" = 16', '"evaluations" = 200000')),
                  lambda c, o: ["validate", c / "big.toml"], "at most 1,000,000 runs"),
    ]
    return out


def _undefined_objective(folder: Path) -> None:
    """A search whose second objective a short run of 100 citizens leaves undefined: nobody contests in 2 weeks."""
    from tests.test_frontier import toy, write

    data = toy(evaluations=16, population=8, snapshot_every=8,
               objectives={"public_cost_per_citizen": {"epsilon": 0.2}, "redress_success": {"epsilon": 0.01}})
    data.update(steps=2, set={**data["set"], "population.n_citizens": 100, "warmup": 2})
    write(folder / "nan.toml", data)


# --- calibrate: its history and inputs, and leave-one-out's refits ----------------------------------------------

def _calibrate(copy: Path, original: Path, *extra: Any) -> list[Any]:
    return ["calibrate", copy / "tiny.toml", "--workers", "1", "--quiet", "--out", copy / "out", *extra]


def _loo(copy: Path, original: Path, *extra: Any, particles: str = "10") -> list[Any]:
    return ["calibrate", copy / "two.toml", "--leave-one-out", "--particles", particles, "--workers", "1", "--quiet",
            "--out", copy / "out", *extra]


def _replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = folder / relative
        path.write_text(path.read_text().replace(old, new))
    return damage


def _own_scenario(folder: Path) -> None:
    """The copy's targets file pointed at the copy's scenario, which is then edited."""
    spec = folder / "two.toml"
    text = spec.read_text()
    start = text.index('scenario = "') + len('scenario = "')
    old = text[start:text.index('"', start)]
    spec.write_text(text.replace(old, str(folder / "small.toml")))
    (folder / "small.toml").write_text((folder / "small.toml").read_text().replace("warmup = 10", "warmup = 11"))


def calibrate_cases() -> list[SavedCase]:
    """A calibration's history and inputs under --resume, option clashes, and leave-one-out's refits."""
    history, inputs = "out/tiny/history.db", "out/tiny/inputs.json"
    refit = "out/tiny_without_non_take_up"

    def resume(c: Path, o: Path) -> list[Any]:
        return _calibrate(c, o, "--resume")

    out = [
        SavedCase("calibrate-history-garbage", "calibration", write_text(history, b"not a database" * 10),
                  resume, "history.db is damaged"),
        SavedCase("calibrate-history-empty", "calibration", write_text(history, b""),
                  resume, "history.db is damaged"),
        SavedCase("calibrate-history-truncated", "calibration", truncate(history, 0.05),
                  resume, "history.db"),
        SavedCase("calibrate-history-removed", "calibration", remove(history),
                  resume, "holds no calibration to resume"),
        SavedCase("calibrate-inputs-not-json", "calibration", write_text(inputs, "{"),
                  resume, "inputs.json is missing or damaged"),
        SavedCase("calibrate-inputs-list", "calibration", write_text(inputs, "[]"),
                  resume, "not a table of inputs"),
        SavedCase("calibrate-inputs-removed", "calibration", remove(inputs),
                  resume, "inputs.json is missing"),
        SavedCase("calibrate-inputs-other-model", "calibration",
                  edit_json(inputs, set_key("model", {"crmsim": "0", "code": "0"})),
                  resume, "another model"),
        SavedCase("calibrate-inputs-edited-seed", "calibration", edit_json(inputs, set_key("seed", 4)),
                  resume, "seed (4 then, 3 now)"),
        SavedCase("calibrate-resume-other-particles", "calibration", nothing,
                  lambda c, o: _calibrate(c, o, "--resume", "--particles", "11"), "abc.population_size"),
        SavedCase("calibrate-again-without-resume", "calibration", nothing, _calibrate,
                  "already holds a calibration"),
        SavedCase("calibrate-fresh-and-resume", "calibration", nothing,
                  lambda c, o: _calibrate(c, o, "--fresh", "--resume"), "--fresh: not with --resume"),
        SavedCase("calibrate-one-target-leave-one-out", "calibration", nothing,
                  lambda c, o: _calibrate(c, o, "--leave-one-out"), "at least two targets"),
        SavedCase("calibrate-one-target-leave-one-out-fresh", "calibration", nothing,
                  lambda c, o: _calibrate(c, o, "--leave-one-out", "--fresh"), "at least two targets"),
        SavedCase("calibrate-out-under-a-file", "calibration", write_text("afile", "x"),
                  lambda c, o: _calibrate(c, o)[:-1] + [c / "afile" / "below"], "afile is a file"),
        SavedCase("calibrate-fresh-out-under-a-file", "calibration", write_text("afile", "x"),
                  lambda c, o: _calibrate(c, o, "--fresh")[:-2] + [c / "afile", "--fresh"], "afile is a file"),
        SavedCase("loo-priors", "loo", _replace("two.toml", "low = -4.0", "low = -3.0"), _loo,
                  "parameter[1].low (-4.0 then, -3.0 now)"),
        SavedCase("loo-figure", "loo", _replace("two.toml", "value = 0.5", "value = 0.55"), _loo, "target"),
        SavedCase("loo-seed", "loo", _replace("two.toml", "seed = 3", "seed = 4"), _loo, "seed (3 then, 4 now)"),
        SavedCase("loo-steps", "loo", _replace("two.toml", "steps = 8", "steps = 9"), _loo, "steps (8 then, 9 now)"),
        SavedCase("loo-scenario", "loo", _own_scenario, _loo, "scenario"),
        SavedCase("loo-particles", "loo", nothing, lambda c, o: _loo(c, o, particles="12"), "abc.population_size"),
        SavedCase("loo-other-model", "loo",
                  lambda f: [edit_json(str(p.relative_to(f)), set_key("model", {"crmsim": "0", "code": "0"}))(f)
                             for p in f.glob("out/*/inputs.json")], _loo, "another model"),
        SavedCase("loo-inputs-removed", "loo", remove(f"{refit}/inputs.json"), _loo, "missing or damaged"),
        SavedCase("loo-posterior-of-the-other-refit", "loo",
                  lambda f: shutil.copy(f / "out/tiny_without_online_users/posterior.parquet",
                                        f / refit / "posterior.parquet"), _loo, "another calibration"),
        SavedCase("loo-posterior-damaged", "loo", write_text(f"{refit}/posterior.parquet", b"PAR1"), _loo,
                  "posterior.parquet"),
        SavedCase("loo-posterior-truncated", "loo", truncate(f"{refit}/posterior.parquet"), _loo,
                  "posterior.parquet"),
        SavedCase("loo-posterior-without-provenance", "loo",
                  edit_table(f"{refit}/posterior.parquet", lambda f: f), _loo, "has no provenance"),
        SavedCase("loo-generations-removed", "loo", remove(f"{refit}/generations.csv"), _loo, "generations.csv"),
        SavedCase("loo-refit-a-file", "loo", both(remove(refit), write_text(refit, "x")), _loo, "is a file"),
        SavedCase("loo-table-folder-a-file", "loo", both(remove("out/tiny_leave_one_out"),
                                                         write_text("out/tiny_leave_one_out", "x")), _loo,
                  "tiny_leave_one_out: is a file"),
        SavedCase("loo-history-damaged-mid-refit", "loo",
                  both(remove(f"{refit}/posterior.parquet"), write_text(f"{refit}/history.db", b"x" * 100)), _loo,
                  "history.db is damaged"),
    ]
    return out


def all_cases() -> list[SavedCase]:
    """Every saved-file case, by command."""
    return [*compare_cases(), *worlds_file_cases(), *patterns_cases(), *worlds_cases(), *frontier_cases(),
            *calibrate_cases()]


SAVED_CASES = all_cases()
assert len({c.name for c in SAVED_CASES}) == len(SAVED_CASES), "case names must be unique"

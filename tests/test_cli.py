"""The ``crmsim`` command line, run for real (subprocess) and in-process (``crmsim.commands.main``)."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import math
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmsim.commands import main
from crmsim.commands.common import format_value
from crmsim.model.text import one_line
from crmsim.model.administrations import MISSION_FIELDS, MISSIONS
from crmsim.model.metrics import INFO, METRICS
from crmsim.model.model import CrmModel
from crmsim.model.params import PARAMS, SECTIONS
from crmsim.model.policies import POLICIES
from crmsim.model.scenario import FIELD_PATHS, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
FAQ = SCENARIOS / "faq.toml"


# -- helpers -------------------------------------------------------------------------------------
def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m crmsim ARGS`` in a fresh interpreter, from the repo root."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "crmsim", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def call(*args: str) -> tuple[int, str, str]:
    """Run ``crmsim.commands.main(args)`` in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as stop:  # main returns its code, but accept an exit too
            code = stop.code if isinstance(stop.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(code: int, err: str, *needles: str) -> str:
    assert code == 2
    assert "Traceback" not in err
    assert err.endswith("\n") and len(err.splitlines()) == 1, f"not one line: {err!r}"
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"
    return err


# -- subprocess: the real command ----------------------------------------------------------------
def test_python_m_crmsim_run_writes_parquet(tmp_path: Path):
    out = tmp_path / "faq.parquet"
    done = cli("run", "scenarios/faq.toml", "--steps", "4", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0] == "scenario faq (scenarios/faq.toml): policy faq, 10000 citizens, 4 steps after a 208-week warm-up, seed 42"
    for metric in METRICS:
        assert any(line.split()[:1] == [metric] for line in lines), metric
    table = pd.read_parquet(out)
    assert len(table) == 5
    assert list(table["step"]) == [0, 1, 2, 3, 4]


def test_python_m_crmsim_bad_file_is_one_line_no_traceback(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('policy = "faq"\n[levers]\nfaq_quality = 2.5\n')
    done = cli("run", str(bad))
    assert done.returncode == 2
    assert done.stdout == ""
    assert_one_line_error(done.returncode, done.stderr, "bad.toml", "levers.faq_quality", "2.5")


def test_python_m_crmsim_bad_out_extension():
    done = cli("run", "scenarios/faq.toml", "--out", "x.txt")
    assert_one_line_error(done.returncode, done.stderr, "x.txt", "--out")
    assert not (ROOT / "x.txt").exists()


def test_python_m_crmsim_validate_and_help():
    done = cli("validate", *sorted(str(p.relative_to(ROOT)) for p in SCENARIOS.glob("*.toml")))
    assert done.returncode == 0, done.stderr
    assert all(line.startswith("ok scenarios/") for line in done.stdout.splitlines())
    done = cli("--help")
    assert done.returncode == 0
    assert "crmsim run scenarios/faq.toml --steps 20 --out faq.parquet" in done.stdout


# -- run -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix,read", [(".parquet", pd.read_parquet), (".csv", pd.read_csv)])
def test_run_writes_the_series(tmp_path: Path, suffix, read):
    out = tmp_path / "sub" / f"series{suffix}"  # a missing folder is created
    code, stdout, err = call("run", str(FAQ), "--steps", "6", "--out", str(out))
    assert (code, err) == (0, "")
    table = read(out)
    assert len(table) == 7
    assert list(table.columns) == ["scenario", "policy", "seed", "step", *METRICS]  # each row says which run
    assert set(zip(table["scenario"], table["policy"], table["seed"])) == {("faq", "faq", 42)}
    assert str(out) in stdout and "7 rows" in stdout
    # The file holds the same numbers as a direct run with the same seed.
    direct = CrmModel(load_scenario(FAQ)).run(6)
    pd.testing.assert_frame_equal(table.drop(columns=["scenario", "policy", "seed"]).reset_index(drop=True),
                                  direct.reset_index(drop=True), check_dtype=False, check_exact=False, rtol=1e-12)


def test_run_out_parquet_says_what_each_metric_is_and_whose_rows_they_are(tmp_path: Path):
    """A file read without crmsim still tells each metric's label, unit and direction (model.metrics.INFO)."""
    import pyarrow.parquet as pq

    from crmsim.experiments.described import read_metrics

    out = tmp_path / "two.parquet"
    code, _, err = call("run", str(FAQ), str(SCENARIOS / "digital_first.toml"), "--steps", "2", "--seed", "9",
                        "--out", str(out))
    assert (code, err) == (0, "")
    schema = pq.read_schema(out)
    described = read_metrics(schema)
    assert list(described) == list(METRICS)
    for name in METRICS:
        info = INFO[name]
        assert described[name] == {"label": info.label, "unit": info.unit, "direction": info.direction,
                                   "better": info.better}
        assert schema.field(name).metadata[b"unit"] == info.unit.encode()
    assert schema.field("lost_users").metadata[b"direction"] == b"lower"
    table = pd.read_parquet(out)
    assert table.groupby(["scenario", "policy", "seed"]).size().to_dict() == {
        ("digital_first", "digital_first", 9): 3, ("faq", "faq", 9): 3}


@pytest.mark.parametrize("out", ["x.txt", "x", "x.parquet.gz", "results.json"])
def test_run_bad_out_extension(tmp_path: Path, out):
    code, stdout, err = call("run", str(FAQ), "--out", str(tmp_path / out))
    assert_one_line_error(code, err, out, "--out")
    assert stdout == ""
    assert not (tmp_path / out).exists()


@pytest.mark.parametrize("steps", ["0", "-3", "x", "1.5", "100001", "1000000000000"])
def test_run_bad_steps(steps):
    code, _, err = call("run", str(FAQ), "--steps", steps)
    assert_one_line_error(code, err, "--steps")


@pytest.mark.parametrize("seed", ["-1", "abc", str(2**63)])
def test_run_bad_seed(seed):
    code, _, err = call("run", str(FAQ), "--seed", seed)
    assert_one_line_error(code, err, "--seed")


def test_run_prints_header_and_every_metric_with_nan_as_na():
    code, out, err = call("run", str(FAQ), "--steps", "1")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"scenario faq ({FAQ}): policy faq, 10000 citizens, 1 steps after a 208-week warm-up, seed 42"
    # What the figures are: after 1 policy week, rates over the last 52 weeks, 51 of them before the policy.
    assert lines[2].startswith("Final figures after 1 policy week: ") and "over the last 52 weeks" in lines[2]
    assert "Of those 52 weeks, 51 came before the policy switched on: use --steps 52" in lines[2]
    final = CrmModel(load_scenario(FAQ)).run(1).iloc[-1]
    printed = {line.split()[0]: line.split()[1] for line in lines[4:] if line.split()[:1] != ["metric"]}
    assert set(printed) == set(METRICS)
    for metric in METRICS:
        if math.isnan(final[metric]):
            assert printed[metric] == "n/a"
        else:
            assert float(printed[metric]) == pytest.approx(final[metric], abs=1e-3, rel=1e-3)
    assert "nan" not in out.lower().split()


def test_format_value():
    assert format_value(float("nan")) == "n/a"
    assert format_value(None) == "n/a"
    assert format_value(0.5) == "0.5000"
    assert format_value(0.25, signed=True) == "+0.2500"
    assert format_value(1e-5) == "1.000e-05"


def test_run_seed_option_overrides_the_file(tmp_path: Path):
    a, b, c = (tmp_path / f"{x}.csv" for x in "abc")
    assert call("run", str(FAQ), "--steps", "3", "--seed", "7", "--out", str(a))[0] == 0
    code, out, _ = call("run", str(FAQ), "--steps", "3", "--seed", "7", "--out", str(b))
    assert code == 0 and "seed 7" in out.splitlines()[0]
    assert call("run", str(FAQ), "--steps", "3", "--out", str(c))[0] == 0
    assert a.read_text() == b.read_text()  # same seed, same run
    assert a.read_text() != c.read_text()  # the file's seed (42) differs


def test_run_several_scenarios_side_by_side(tmp_path: Path):
    base, mediated = SCENARIOS / "supply_front_office.toml", SCENARIOS / "full_mediation.toml"
    out = tmp_path / "both.parquet"
    code, stdout, err = call("run", str(base), str(mediated), "--steps", "3", "--out", str(out))
    assert (code, err) == (0, "")
    lines = stdout.splitlines()
    assert lines[0].startswith("scenario 1: supply_front_office")
    assert lines[1].startswith("scenario 2: full_mediation")
    header = next(line for line in lines if line.startswith("metric"))
    assert header.split()[1:3] == ["supply_front_office", "full_mediation"]
    assert "change" in header
    rows = {line.split()[0]: line.split()[1:4] for line in lines if line.split()[:1] and line.split()[0] in METRICS}
    assert set(rows) == set(METRICS)
    assert all(len(cells) == 3 for cells in rows.values())
    meaning = next(line for line in lines if line.startswith("redress_success"))
    assert meaning.endswith("Redress success (share of cases, higher is better)")  # metrics.INFO, for people
    assert any("crmsim compare" in line for line in lines)  # one run each: where to get the uncertainty
    table = pd.read_parquet(out)
    assert len(table) == 2 * 4
    assert table.columns[0] == "scenario"
    assert table.groupby("scenario").size().to_dict() == {"supply_front_office": 4, "full_mediation": 4}


def test_run_three_scenarios_has_no_change_column():
    files = [str(SCENARIOS / f"{n}.toml") for n in ("faq", "public_qa", "community_forum")]
    code, out, _ = call("run", *files, "--steps", "1")
    assert code == 0
    header = next(line for line in out.splitlines() if line.startswith("metric"))
    assert header.split() == ["metric", "faq", "public_qa", "community_forum", "meaning"]


def test_run_checks_every_scenario_before_running_any(tmp_path: Path):
    bad = tmp_path / "second.toml"
    bad.write_text("steps = 0\n")
    out = tmp_path / "never.csv"
    code, stdout, err = call("run", str(FAQ), str(bad), "--out", str(out))
    assert_one_line_error(code, err, "second.toml", "steps")
    assert stdout == "" and not out.exists()


# -- bad scenario files: run and validate --------------------------------------------------------
BAD_FILES = {
    "unknown_field.toml": ('policy = "faq"\n[levers]\nfaq_qualty = 0.5\n', "levers.faq_qualty"),
    "out_of_range.toml": ("[population]\nbasic_skills_share = 1.5\n", "population.basic_skills_share"),
    "unknown_policy.toml": ('policy = "free_lunch"\n', "policy"),
    "wrong_type.toml": ('[population]\nn_citizens = "many"\n', "population.n_citizens"),
    "unknown_mission.toml": ("[administrations.post_office]\ncomplexity = 0.5\n", "administrations.post_office"),
    "mission_range.toml": ("[administrations.tax_office]\ncomplexity = -1\n", "administrations.tax_office.complexity"),
    "malformed.toml": ('policy = "faq\nsteps = 3\n', "not valid TOML"),
    "duplicate_key.toml": ("steps = 3\nsteps = 4\n", "not valid TOML"),
    "bad_topology.toml": ('[network]\ntopology = "ring"\n', "network.topology"),
}


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_one_line_naming_file_and_field(tmp_path: Path, command, name):
    text, field = BAD_FILES[name]
    path = tmp_path / name
    path.write_text(text)
    code, out, err = call(command, str(path))
    assert_one_line_error(code, err, name, field)
    assert out == ""


@pytest.mark.parametrize("command", ["run", "validate"])
def test_missing_file(tmp_path: Path, command):
    code, out, err = call(command, str(tmp_path / "nowhere.toml"))
    assert_one_line_error(code, err, "nowhere.toml", "no such file")


@pytest.mark.parametrize("command", ["run", "validate"])
def test_folder_instead_of_file(tmp_path: Path, command):
    code, _, err = call(command, str(tmp_path))
    assert_one_line_error(code, err, tmp_path.name)


def test_run_error_is_prefixed_with_the_program_name(tmp_path: Path):
    path = tmp_path / "x.toml"
    path.write_text("seed = -4\n")
    code, _, err = call("run", str(path))
    assert_one_line_error(code, err, "x.toml", "seed")
    assert err.startswith("crmsim: error: ")


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize("content", ["a a\n", "just-one-node\n", "<graphml", ""])
def test_bad_network_file(tmp_path: Path, command, content):
    net = tmp_path / ("net.graphml" if content.startswith("<") else "net.edgelist")
    net.write_text(content)
    path = tmp_path / "town.toml"
    path.write_text(f'[network]\ntopology = "file"\nnetwork_file = "{net.name}"\n')
    code, _, err = call(command, str(path))
    assert_one_line_error(code, err, "town.toml", "network.network_file", net.name)


@pytest.mark.parametrize("command", ["run", "validate"])
def test_missing_network_file(tmp_path: Path, command):
    path = tmp_path / "town.toml"
    path.write_text('[network]\ntopology = "file"\nnetwork_file = "absent.edgelist"\n')
    code, _, err = call(command, str(path))
    assert_one_line_error(code, err, "town.toml", "network.network_file", "absent.edgelist")


@pytest.mark.parametrize("command", ["run", "validate"])
def test_model_value_error_at_construction(tmp_path: Path, command):
    """A complete network over too many citizens passes the schema but the model refuses it."""
    path = tmp_path / "huge.toml"
    path.write_text('[population]\nn_citizens = 6000\n[network]\ntopology = "complete"\n')
    code, _, err = call(command, str(path))
    assert_one_line_error(code, err, "huge.toml", "5000")


def test_key_with_a_line_break_still_gives_one_line(tmp_path: Path):
    path = tmp_path / "nl.toml"
    path.write_text('[levers]\n"faq\\nquality" = 1\n')
    code, _, err = call("validate", str(path))
    assert_one_line_error(code, err, "nl.toml", "levers.faq\\nquality")


def test_one_line():
    assert one_line("a\nb\r\nc\u2028d") == "a\\nb\\r\\nc\\u2028d"
    assert len(one_line("x\x0by\x0cz\x1c\x85").splitlines()) == 1
    assert one_line("\x1b[31mred") == "\\x1b[31mred"  # no terminal escapes
    assert one_line("été: ok") == "été: ok"


def test_run_scenario_name_with_a_line_break(tmp_path: Path):
    path = tmp_path / "named.toml"
    path.write_text('name = "two\\nlines"\n')
    code, out, err = call("run", str(path), "--steps", "1")
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith("scenario two\\nlines (")


# -- validate ------------------------------------------------------------------------------------
def test_validate_mixed_files(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[levers]\nforum = 3\n")
    code, out, err = call("validate", str(FAQ), str(bad), str(SCENARIOS / "digital_first.toml"))
    assert code == 2
    assert out.splitlines() == [f"ok {FAQ}", f"ok {SCENARIOS / 'digital_first.toml'}"]
    assert_one_line_error(code, err, "bad.toml", "levers.forum")


def test_validate_needs_a_file():
    code, _, err = call("validate")
    assert_one_line_error(code, err, "FILE")


# -- policies and the bare command ---------------------------------------------------------------
def test_policies_lists_every_policy_with_its_levers():
    code, out, err = call("policies")
    assert (code, err) == (0, "")
    blocks = {block.splitlines()[0].split()[0]: block for block in out.strip().split("\n\n")}
    assert list(blocks) == list(POLICIES)
    for name, policy in POLICIES.items():
        block = blocks[name]
        assert f"(paper {policy.paper}" in block.splitlines()[0]
        assert policy.summary in block
        for lever, value in policy.levers.items():
            shown = ("true" if value else "false") if isinstance(value, bool) else repr(value)
            assert f"{lever} = {shown}" in block
        if policy.includes:
            assert f"includes: {', '.join(policy.includes)}" in block
    assert "faq_quality = 0.6" in blocks["full_mediation"]  # the strongest setting among its parts (faq)
    assert "counter_staff = 0.2" in blocks["new_public_management"]


def test_no_command_prints_help_and_exits_zero():
    code, out, _ = call()
    assert code == 0
    assert "run" in out and "validate" in out and "policies" in out


def test_version_names_crmsim_and_mesa():
    from importlib.metadata import version

    proc = cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"crmsim {version('crmsim')} (mesa {version('mesa')}")


def test_run_prints_json_and_csv_for_scripts(tmp_path: Path):
    import csv
    import json

    code, out, err = call("run", str(FAQ), str(SCENARIOS / "digital_first.toml"), "--steps", "2", "--format", "json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert [s["name"] for s in data["scenarios"]] == ["faq", "digital_first"]
    assert set(data["scenarios"][0]["metrics"]) == set(METRICS)
    final = CrmModel(load_scenario(FAQ)).run(2).iloc[-1]
    assert data["scenarios"][0]["metrics"]["trust_mean"] == pytest.approx(final["trust_mean"], abs=1e-12)

    code, out, err = call("run", str(FAQ), "--steps", "2", "--format", "csv", "--out", str(tmp_path / "s.csv"))
    assert code == 0 and "wrote" in err  # the note goes to stderr: stdout is only the CSV
    rows = list(csv.reader(out.splitlines()))
    assert rows[0] == ["metric", "faq"] and [r[0] for r in rows[1:]] == list(METRICS)
    assert all(r[1] == "" or math.isfinite(float(r[1])) for r in rows[1:])  # NaN is an empty cell


def test_unknown_command():
    code, _, err = call("simulate")
    assert_one_line_error(code, err, "simulate")


def test_help_exits_zero():
    code, out, _ = call("run", "--help")
    assert code == 0
    assert "--out FILE" in out and "example" in out


# -- hypothesis: malformed scenario files never crash validate -----------------------------------
BASES = [tomllib.loads(p.read_text(encoding="utf-8")) for p in sorted(SCENARIOS.glob("*.toml"))]
FIELD_LIST = sorted(FIELD_PATHS)
NUMERIC = sorted(
    [f"{p.section}.{p.name}" for p in PARAMS.values()
     if p.kind in (int, float) and (p.low is not None or p.high is not None)]
    + [f"administrations.{m}.{f}" for m in MISSIONS for f in MISSION_FIELDS]
)
FILE_NAMES = ["scenario.toml", "my case.toml", "été à paris.toml", "x", "a.b.c.toml", "#hash.toml"]


def _bounds(path: str) -> tuple[float | None, float | None]:
    parts = path.split(".")
    if parts[0] == "administrations":
        _, lo, hi = MISSION_FIELDS[parts[2]]
        return lo, hi
    p = PARAMS[parts[1]]
    return p.low, p.high


def _toml_string(text: str) -> str:
    escaped = []
    for ch in text:
        if ch in '"\\':
            escaped.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            escaped.append(f"\\u{ord(ch):04x}")
        else:
            escaped.append(ch)
    return '"' + "".join(escaped) + '"'


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_string(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def _toml_dumps(data: dict, path: tuple[str, ...] = ()) -> str:
    """A small TOML writer (scalars first, then tables), enough for the fuzz cases."""
    lines = [f"{_toml_string(k)} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for key, value in data.items():
        if isinstance(value, dict):
            sub = path + (key,)
            lines.append("\n[" + ".".join(_toml_string(p) for p in sub) + "]")
            lines.append(_toml_dumps(value, sub))
    return "\n".join(lines)


keys = st.text(st.characters(codec="utf-8"), max_size=12)
scalars = st.one_of(
    st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.text(st.characters(codec="utf-8"), max_size=20),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)).map(lambda d: d.replace(microsecond=0)),
    st.dates(),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(keys, inner, max_size=3)), max_leaves=6)


def _set(data: dict, path: list[str], value) -> None:
    target = data
    for part in path[:-1]:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    target[path[-1]] = value


@st.composite
def _mutation(draw, data: dict) -> None:
    kind = draw(st.sampled_from(["unknown_key", "wrong_type", "out_of_range", "policy", "table_shape", "delete"]))
    if kind == "unknown_key":
        table = draw(st.sampled_from([[], *([s] for s in SECTIONS), ["administrations", "tax_office"],
                                      ["administrations"]]))
        _set(data, table + [draw(keys)], draw(values))
    elif kind == "wrong_type":
        _set(data, draw(st.sampled_from(FIELD_LIST)).split("."), draw(values))
    elif kind == "out_of_range":
        path = draw(st.sampled_from(NUMERIC))
        lo, hi = _bounds(path)
        delta = draw(st.sampled_from([1e-9, 0.5, 1, 1000, 2**70]))
        choices = [float("nan"), float("inf"), float("-inf")]
        choices += [lo - delta] if lo is not None else []
        choices += [hi + delta] if hi is not None else []
        _set(data, path.split("."), draw(st.sampled_from(choices)))
    elif kind == "policy":
        policy = st.one_of(st.sampled_from(list(POLICIES)), st.text(max_size=15))
        data["policy"] = draw(st.one_of(policy, st.lists(policy, max_size=3), values))
    elif kind == "table_shape":
        where = draw(st.sampled_from([*SECTIONS, "administrations"]))
        if where == "administrations" and draw(st.booleans()):
            mission = draw(st.one_of(st.sampled_from(list(MISSIONS)), keys))
            _set(data, ["administrations", mission], draw(values))
        else:
            data[where] = draw(values)
    elif data:
        data.pop(draw(st.sampled_from(sorted(data))))


@st.composite
def malformed_files(draw) -> bytes:
    form = draw(st.sampled_from(["dict", "dict", "dict", "text", "text", "bytes"]))
    if form == "bytes":
        return draw(st.one_of(st.binary(max_size=200),
                              st.binary(max_size=20).map(lambda b: b"\xff\xfe" + b + b'\npolicy = "faq"\n')))
    data = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        draw(_mutation(data))
    text = _toml_dumps(data)
    if form == "text":
        cut = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["truncate", "insert", "delete", "duplicate_line", "colon"]))
        if edit == "truncate":
            text = text[:cut]
        elif edit == "insert":
            text = text[:cut] + draw(st.text(st.sampled_from('[]{}"\'=#.,\\\n \t0x-+e') | st.characters(codec="utf-8"),
                                             min_size=1, max_size=4)) + text[cut:]
        elif edit == "delete":
            text = text[:cut] + text[cut + draw(st.integers(1, 10)):]
        elif edit == "duplicate_line":
            lines = text.splitlines()
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                lines.insert(i, lines[i])
            text = "\n".join(lines)
        else:
            text = text.replace("=", ":", 1)
    return text.encode("utf-8")


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(SCENARIOS / "networks", folder / "networks")  # so small_town_network's file resolves
    return folder


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(content=malformed_files(), name=st.sampled_from(FILE_NAMES))
def test_validate_never_crashes_on_malformed_files(fuzz_dir: Path, content: bytes, name: str):
    path = fuzz_dir / name
    path.write_bytes(content)
    code, out, err = call("validate", str(path))
    assert code in (0, 2)
    assert "Traceback" not in out and "Traceback" not in err
    if code == 2:
        assert out == ""
        assert err.endswith("\n") and len(err.splitlines()) == 1, err
        assert err[:-1].isprintable(), err
        assert name in err
    else:
        assert err == ""
        assert out == f"ok {path}\n"


def test_an_experiment_without_a_design_table_is_validated_as_an_experiment(capsys, tmp_path):
    exp = tmp_path / "no_design.toml"
    exp.write_text(f'scenario = "{FAQ}"\nsteps = 2\n[vary]\nlevers.faq_quality = [0.0, 0.5]\n')
    assert main(["validate", str(exp)]) == 0
    assert capsys.readouterr().out == f"ok {exp}\n"


def test_validate_reads_experiment_files_too(capsys, tmp_path):
    shipped = sorted(str(p) for p in (ROOT / "experiments").glob("*.toml"))
    assert shipped and main(["validate", *shipped]) == 0
    assert capsys.readouterr().out.count("ok ") == len(shipped)
    bad = tmp_path / "bad_experiment.toml"
    bad.write_text('scenario = "x.toml"\n[design]\nkind = "nope"\n')
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad_experiment.toml" in err and "design.kind" in err


# -- warmup ---------------------------------------------------------------------------------------
def test_warmup_measures_each_state_metric_and_recommends_a_warm_up(tmp_path: Path):
    from crmsim.experiments.warmup import STEADY_METRICS

    small = tmp_path / "small.toml"
    small.write_text('name = "small"\n[population]\nn_citizens = 150\nprescribers_per_1000 = 20\n')
    code, out, err = call("warmup", str(small), "--years", "4", "--reps", "2")
    assert code == 0, err
    assert out.splitlines()[0].startswith("scenario small")
    table = {line.split()[0]: line.split() for line in out.splitlines()[2:] if line.split()}
    assert set(STEADY_METRICS) <= set(table)
    assert out.rstrip().splitlines()[-1].startswith(("the slowest metric settles by week", "some metric had not"))
    assert err.count("done") == 2  # one progress line per run


@pytest.mark.parametrize(("args", "needle"), [(["--years", "3"], "--years"), (["--tolerance", "2"], "tolerance"),
                                               (["--reps", "0"], "reps")])
def test_warmup_refuses_bad_options_in_one_line(args, needle):
    code, out, err = call("warmup", str(FAQ), *args)
    assert_one_line_error(code, err, needle)


def test_settled_week_follows_welchs_reading_of_a_known_curve():
    import numpy as np

    from crmsim.experiments.warmup import settled_week

    weeks = np.arange(800)
    steady, band, week = settled_week(0.4 + 0.2 * np.exp(-weeks / 40), tolerance=0.005, window=13, tail=156)
    assert steady == pytest.approx(0.4, abs=1e-6) and band == 0.005
    assert week == pytest.approx(40 * np.log(0.2 / 0.005), abs=8)  # 148 weeks, give or take the smoothing
    flat = settled_week(np.full(400, 0.3), tolerance=0.005, window=13, tail=156)
    assert flat == (pytest.approx(0.3), 0.005, 0)

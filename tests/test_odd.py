"""docs/ODD.md stays true to the code: generated tables, parameters, policies, phases."""

import ast
import inspect
import re
import textwrap
import tomllib

import pytest

from crmsim.model import odd
from crmsim.model.model import CrmModel
from crmsim.model.params import PARAMS
from crmsim.model import phases
from crmsim.model.policies import POLICIES
from crmsim.model.scenario import parse_scenario

TEXT = odd.ODD_PATH.read_text(encoding="utf-8")


def _section(text, number):
    """The body of top-level ODD section ``number`` (from '## <number>.' to the next '## ')."""
    match = re.search(rf"^## {number}\. .*?(?=^## )", text, flags=re.S | re.M)
    assert match, f"section {number} not found in {odd.ODD_PATH}"
    return match.group(0)


def _hand_written(text):
    """The document without its generated block."""
    start, end = text.index(odd.BEGIN), text.index(odd.END)
    return text[:start] + text[end:]


def test_generated_block_matches_the_code():
    assert odd.generated_block(TEXT) == odd.parameter_tables(), (
        "docs/ODD.md parameter tables are stale: run `.venv/bin/python -m crmsim.model.odd`"
    )


def test_check_mode_reports_a_stale_document(tmp_path, capsys):
    fresh = tmp_path / "ODD.md"
    fresh.write_text(TEXT, encoding="utf-8")
    assert odd.main(["--check", "--path", str(fresh)]) == 0

    stale = tmp_path / "stale.md"
    stale.write_text(TEXT.replace("| `faq_quality` |", "| `faq_quality_old` |"), encoding="utf-8")
    capsys.readouterr()
    assert odd.main(["--check", "--path", str(stale)]) == 1
    message = capsys.readouterr().out
    assert message.count("\n") == 1 and "stale" in message

    assert odd.main(["--path", str(stale)]) == 0  # regenerating fixes it
    assert stale.read_text(encoding="utf-8") == TEXT


def test_missing_markers_are_an_error(tmp_path):
    broken = tmp_path / "ODD.md"
    broken.write_text("# no markers here\n", encoding="utf-8")
    assert odd.main(["--check", "--path", str(broken)]) == 2


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_every_parameter_appears_in_the_odd(name):
    assert re.search(rf"\b{name}\b", TEXT), f"{name} missing from docs/ODD.md"


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_every_parameter_is_described_outside_the_generated_tables(name):
    """Each parameter is used somewhere in the hand-written text (a functional form, a scale...)."""
    assert re.search(rf"\b{name}\b", _hand_written(TEXT)), f"{name} only appears in the generated table"


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_every_policy_appears_in_the_odd(name):
    assert f"`{name}`" in TEXT


def _phase_calls():
    """Names of the model.phases functions CrmModel.step calls, in order."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(CrmModel.step)))
    names = [node.func.id for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)]
    return [n for n in names if inspect.isfunction(getattr(phases, n, None))]


def test_every_phase_of_the_step_has_a_submodel():
    called = _phase_calls()
    assert len(called) == 8  # the eight weekly phases of DESIGN section 3
    submodels = _section(TEXT, 7)
    for name in called:
        assert f"`{name}`" in submodels, f"phase {name} has no submodel in section 7 of docs/ODD.md"
    schedule = _section(TEXT, 3)
    positions = [schedule.index(f"`{name}`") for name in called]
    assert positions == sorted(positions), "section 3 lists the phases in another order than CrmModel.step"


def test_the_scenario_example_is_valid():
    example = re.search(r"```toml\n(.*?)```", _section(TEXT, 6), flags=re.S)
    assert example, "section 6 has no TOML example"
    parse_scenario(tomllib.loads(example.group(1)), "docs/ODD.md example")

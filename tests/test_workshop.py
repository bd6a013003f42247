"""``crmsim new-scenario`` writes a commented copy that runs like its base; ``crmsim explain`` says it in words."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crmsim.commands import main
from crmsim.texts.labels import LEVER_GROUPS
from crmsim.model import CrmModel, load_scenario
from crmsim.model.params import PARAMS

ROOT = Path(__file__).resolve().parents[1]
FAQ = ROOT / "scenarios" / "faq.toml"
BASELINE = ROOT / "scenarios" / "calibrated_baseline.toml"
LEVERS = [name for group in LEVER_GROUPS.values() for name in group]


def crmsim(capsys, *args) -> tuple[int, str, str]:
    code = main(["--lang", "en", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def final(path: Path) -> pd.Series:
    """The final metrics of a scenario file, run on its own seed."""
    return CrmModel(load_scenario(path)).run(load_scenario(path).steps).iloc[-1]


def test_a_new_scenario_lists_every_lever_and_runs_exactly_like_its_base(tmp_path, capsys):
    target = tmp_path / "my_faq.toml"
    code, out, err = crmsim(capsys, "new-scenario", "--from", FAQ, target)
    assert code == 0 and err == "" and f"crmsim validate {target.as_posix()}" in out
    text = target.read_text(encoding="utf-8")
    assert f"from {FAQ.as_posix()}" in text and f"crmsim validate {target.as_posix()}" in text
    lines = text.splitlines()
    for lever in LEVERS:
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{lever} = "))
        comment = " ".join(line.lstrip("# ") for line in lines[at - 4:at] if line.startswith("#"))
        assert PARAMS[lever].meaning[:30] in comment, lever  # its help text just above it
    assert "faq_quality = 0.6" in lines and 'name = "my_faq"' in lines
    assert crmsim(capsys, "validate", target)[0] == 0
    copy, base = load_scenario(target), load_scenario(FAQ)
    assert copy.flat() == base.flat() and copy.seed == base.seed
    pd.testing.assert_series_equal(final(target), final(FAQ))


def test_a_copy_keeps_a_network_file_administrations_and_life_events(tmp_path, capsys):
    base = tmp_path / "town.toml"
    network = (ROOT / "scenarios" / "networks" / "example.edgelist").as_posix()
    base.write_text(f"""name = "town"
policy = ["faq", "redress_procedure"]
steps = 8
warmup = 20
seed = 5
[network]
topology = "file"
network_file = "{network}"
[levers]
forum = 0.3
[administrations.tax_office]
complexity = 0.7
[life_events.moving]
rate = 0.2
""", encoding="utf-8")
    (tmp_path / "workshop").mkdir()
    target = tmp_path / "workshop" / "town_2.toml"
    assert crmsim(capsys, "new-scenario", "--from", base, target)[0] == 0
    text = target.read_text(encoding="utf-8")
    assert 'network_file = "../' in text and "[administrations.tax_office]" in text and "forum = 0.3" in text
    copy, original = load_scenario(target), load_scenario(base)
    assert copy.world() == original.world() and copy.flat() == original.flat()  # every value, levers spelled out
    assert (copy.policy, copy.steps, copy.seed) == (original.policy, original.steps, original.seed)
    pd.testing.assert_series_equal(final(target), final(base))


def test_a_bare_name_goes_to_scenarios_and_nothing_is_overwritten(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert crmsim(capsys, "new-scenario", "--from", FAQ, "workshop_1")[0] == 0
    written = tmp_path / "scenarios" / "workshop_1.toml"
    before = written.read_bytes()
    code, _out, err = crmsim(capsys, "new-scenario", "--from", BASELINE, "workshop_1")
    assert code == 2 and "scenarios/workshop_1.toml: already exists" in err and err.count("\n") == 1
    assert written.read_bytes() == before and [p.name for p in written.parent.iterdir()] == ["workshop_1.toml"]


@pytest.mark.parametrize("args, words", [
    (["my faq"], "NAME: got 'my faq'; allowed: letters, digits"),
    (["../x"], "NAME: got '../x'"),
    (["x.txt/"], "NAME: got 'x.txt/'"),
    (["--from", "missing.toml", "x"], "missing.toml: no such file"),
])
def test_bad_input_to_new_scenario_is_one_line(args, words, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = args if "--from" in args else ["--from", str(FAQ), *args]
    code, out, err = crmsim(capsys, "new-scenario", *argv)
    assert code == 2 and words in err and err.count("\n") == 1 and out == ""
    assert not (tmp_path / "scenarios").exists()


def test_explain_says_every_lever_and_what_differs_from_the_baseline(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = crmsim(capsys, "explain", "scenarios/digital_first.toml")
    assert code == 0 and err == ""
    assert "Counter staff" in out and "0.2×" in out and "Push to online" in out
    for group, levers in LEVER_GROUPS.items():
        assert f"  {group}\n" in out and all(f"    {label} " in out for label in levers.values())
    differs = out.split("Different from the baseline (scenarios/calibrated_baseline.toml):\n")[1].splitlines()
    assert differs == ["  policy: supply_front_office -> digital_first",
                       "  Counter staff (levers.counter_staff): 1× -> 0.2×",
                       "  Push to online (levers.online_push): 0 logit -> 0.5 logit"]


def test_explain_names_other_parameters_and_an_unchanged_file(tmp_path, capsys):
    changed = tmp_path / "bigger.toml"
    changed.write_text('policy = "supply_front_office"\nseed = 42\n[population]\nn_citizens = 5000\n'
                       '[administrations.tax_office]\ncomplexity = 0.7\n', encoding="utf-8")
    out = crmsim(capsys, "explain", changed, "--baseline", BASELINE)[1]
    differs = out.split(":\n")[-1].splitlines()
    assert "  population.n_citizens: 10,000 people -> 5,000 people" in differs
    assert "  administrations.tax_office.complexity: 0.5 -> 0.7" in differs
    assert not any("levers." in line for line in differs)
    same = crmsim(capsys, "explain", BASELINE, "--baseline", BASELINE)[1]
    assert same.endswith("nothing: it runs like the baseline\n")


def test_explain_in_french_and_with_a_missing_baseline(tmp_path, capsys):
    for argv in (["--lang", "fr", "explain", str(FAQ), "--baseline", str(BASELINE)],
                 ["explain", str(FAQ), "--baseline", str(BASELINE), "--lang", "fr"]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "Qualité de la FAQ" in out and "Différences avec la référence" in out
        assert "Qualité de la FAQ (levers.faq_quality) : 0 -> 0,6" in out
    code, _out, err = crmsim(capsys, "explain", FAQ, "--baseline", tmp_path / "none.toml")
    assert code == 2 and "none.toml: no such file" in err and "--baseline" in err and err.count("\n") == 1

"""``crmsim compare --country CODE``: every compared file runs in that country, the output says which, and an
unknown code is one line listing the codes there are.

A file that names its own country is run in the asked one too (with a
warning naming it): the comparison is paired, replicate r of every file
sharing its population, so the files must share their world; and a header
that says "in Denmark" must be true of every column. Tiny scenarios (200
citizens, a 10-week warm-up, 4 weeks recorded, 2 paired runs).
"""

from __future__ import annotations

import json

import pytest

from crmsim.experiments.compare import comparison_experiment
from crmsim.model.countries import available, country_values
from tests.experiments_util import crmsim_in_process

TINY = 'warmup = 10\nsteps = 4\nseed = 5\n[population]\nn_citizens = 200\nprescribers_per_1000 = 20\n'


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("country")
    out = {}
    for name, extra in (("base", 'policy = "supply_front_office"\n'), ("faq_pl", 'policy = "faq"\ncountry = "pl"\n')):
        out[name] = folder / f"{name}.toml"
        out[name].write_text(f'name = "{name}"\n{extra}{TINY}', encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def in_denmark(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    done = crmsim_in_process("compare", files["base"], files["faq_pl"], "--country", "dk", "--reps", "2",
                             "--sequential", "--quiet", "--out", out)
    assert done.returncode == 0, done.stderr
    return done, out / "base_vs_faq_pl_in_dk"


def test_every_file_runs_in_the_country_asked_with_its_own_other_values(in_denmark):
    _done, root = in_denmark
    scenarios = json.loads((root / "manifest.json").read_text(encoding="utf-8"))["scenarios"]
    denmark = country_values("dk")["population"]
    for name, scenario in scenarios.items():
        assert scenario["country"] == "dk", name
        assert scenario["population"]["basic_skills_share"] == denmark["basic_skills_share"]
        assert scenario["population"]["n_citizens"] == 200  # the file's own value kept
    assert scenarios["faq_pl"]["policy"] == "faq"


def test_the_output_and_the_page_name_the_country_and_the_file_whose_own_country_gave_way(in_denmark, files):
    done, root = in_denmark
    assert done.stdout.splitlines()[0] == ("In Denmark (dk): every scenario runs with that country's published "
                                           "indicators (scenarios/countries/dk.toml).")
    assert done.stderr == (f"crmsim: warning: {files['faq_pl']} names country pl: compared in dk here, as every "
                           f"file (--country), with its other values kept\n")
    assert "<title>Comparison: base / faq pl, in Denmark</title>" in (root / "compare.html").read_text("utf-8")


def test_without_country_each_file_keeps_its_own(files):
    experiment = comparison_experiment([str(files["base"]), str(files["faq_pl"])], 2, None, None)
    assert {label: s.country for label, s in experiment.scenarios.items()} == {"base": None, "faq_pl": "pl"}


def test_an_unknown_code_is_one_line_listing_the_codes_and_nothing_is_made(files, tmp_path):
    done = crmsim_in_process("compare", files["base"], files["faq_pl"], "--country", "xx", "--reps", "2",
                             "--sequential", "--out", tmp_path / "out")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("crmsim: error: --country: unknown country 'xx'; allowed: one of ")
    assert done.stderr.count("\n") == 1 and all(code in done.stderr for code in available())
    assert not (tmp_path / "out").exists()

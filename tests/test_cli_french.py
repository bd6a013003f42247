"""``crmsim --lang fr``: the main commands say nothing of ours in English.

Each command runs in this process on tiny scenarios (200 citizens, a 10-week
warm-up, a few weeks recorded). Its output is searched for every English text
of the catalogue that has a French translation, cut at its placeholders
(``{name}: {done} of {total} runs`` gives `` of `` and `` runs``): a piece of
at least three words that the French does not also contain must not appear.
Numbers, file names and identifiers (policy keys, metric names) are the same
in both languages and are not searched for.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from crmsim.experiments.progress import ProgressLines
from crmsim.texts.i18n import LOCALE_DIR, language
from tests.experiments_util import crmsim_in_process

TINY = 'warmup = 10\nsteps = 4\nseed = 5\n[population]\nn_citizens = 200\nprescribers_per_1000 = 20\n'


@pytest.fixture(scope="module")
def english() -> list[str]:
    """The English pieces of three words or more that the French catalogue translates away."""
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "crmsim.po").open("rb") as source:
        catalogue = read_po(source, locale="fr")
    pieces = set()
    for message in catalogue:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        french = " ".join(message.string if isinstance(message.string, tuple) else (message.string,))
        for text in ids:
            for piece in re.split(r"\{[a-z_]*\}", text):
                piece = piece.strip(" ,.;:()")
                if len(piece.split()) >= 3 and piece not in french:
                    pieces.add(piece)
    assert len(pieces) > 300  # the catalogue was read, this branch's texts with it
    return sorted(pieces)


def english_in(output: str, pieces: list[str]) -> list[str]:
    return [piece for piece in pieces if piece in output]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tiny")
    files = {}
    for name, policy in (("base", "supply_front_office"), ("faq", "faq")):
        files[name] = folder / f"{name}.toml"
        files[name].write_text(f'name = "{name}"\npolicy = "{policy}"\n{TINY}', encoding="utf-8")
    files["bad"] = folder / "bad.toml"
    files["bad"].write_text("[levers]\nfaq_quality = 1.5\n", encoding="utf-8")
    return files


def test_the_search_finds_english_when_there_is_some(english):
    english_run = crmsim_in_process("--lang", "en", "policies").stdout
    assert english_in(english_run, english)  # the same search on the English output finds plenty


def test_policies_in_french(english):
    done = crmsim_in_process("--lang", "fr", "policies")
    assert done.returncode == 0 and done.stderr == ""
    assert english_in(done.stdout, english) == []
    assert "faq  (article 2.2)" in done.stdout and "Qualité de la FAQ (référence 0.0)" in done.stdout


def test_run_in_french_says_after_how_many_policy_weeks_and_over_which_window(english, tiny, tmp_path):
    done = crmsim_in_process("--lang", "fr", "run", tiny["faq"], "--steps", "3", "--out", tmp_path / "faq.parquet")
    assert done.returncode == 0 and done.stderr == ""
    assert english_in(done.stdout, english) == []
    lines = done.stdout.splitlines()
    assert lines[0].startswith("scénario faq (") and "200 citoyens" in lines[0]
    # 13 weeks run in all (10 of warm-up): the yearly window covers them, 10 from before the policy
    assert lines[2].startswith("Chiffres finaux après 3 semaines de politique")
    assert "sur les 13 dernières semaines" in lines[2] and "Sur ces 13 semaines, 10 précèdent" in lines[2]
    assert lines[4].split()[:2] == ["indicateur", "valeur"]


def test_validate_in_french_has_the_form_of_every_error(english, tiny):
    done = crmsim_in_process("--lang", "fr", "validate", tiny["faq"], tiny["bad"])
    assert done.returncode == 2
    assert done.stdout == f"ok {tiny['faq']}\n"
    assert done.stderr.startswith(f"crmsim : erreur : {tiny['bad']}: levers.faq_quality") and \
        done.stderr.count("\n") == 1
    assert english_in(done.stdout + done.stderr, english) == []
    english_run = crmsim_in_process("validate", tiny["bad"])  # the same form as every command's errors
    assert english_run.stderr.startswith(f"crmsim: error: {tiny['bad']}: levers.faq_quality")


def test_compare_in_french_from_its_progress_to_its_files(english, tiny, tmp_path):
    done = crmsim_in_process("--lang", "fr", "compare", tiny["base"], tiny["faq"], "--reps", "2", "--sequential",
                             "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    assert english_in(done.stdout + done.stderr, english) == []
    assert "4 simulations sur 4 (100%)" in done.stdout  # the progress lines
    assert "sur séquentiel (1 processus)" in done.stdout and "écrit " in done.stdout


def test_progress_written_by_the_background_thread_keeps_the_commands_language():
    lines: list[str] = []
    with language("fr"):
        progress = ProgressLines("exp", total=10, done=0, write=lines.append, every_seconds=None)
    progress.update(4)  # outside the block, as the thread that polls it is
    thread = threading.Thread(target=progress._emit)
    thread.start()
    thread.join()
    assert lines[0].startswith("exp : 4 simulations sur 10 (40%), ") and lines[1].startswith("exp : 4 simulations")

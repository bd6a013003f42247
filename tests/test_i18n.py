"""The French catalogue: it parses, has each text once and translated, covers every metric and lever text,
and a French sweep report is left with no English metric label."""

from __future__ import annotations

import collections
import doctest
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from crmsim.experiments.evaluators import SequentialEvaluator
from crmsim.experiments.runner import run_sweep
from crmsim.experiments.spec import load_experiment
from crmsim.texts import labels
from crmsim.texts.i18n import LOCALE_DIR, language
from crmsim.texts.labels import LEVER_GROUPS, METRIC_GROUPS, lever_label, metric_label, param_help
from crmsim.model.metrics import INFO
from crmsim.model.params import params_in
from crmsim.viz.report import write_report
from tests.experiments_util import PAIRED_SWEEP, write_experiment

PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "crmsim.po"


@pytest.fixture(scope="module")
def catalogue():
    with PO.open("rb") as source:
        # a plural's id is (singular, plural): it is looked up by its singular, as ngettext does
        return {m.id[0] if isinstance(m.id, tuple) else m.id: m.string for m in read_po(source, locale="fr") if m.id}


def test_the_catalogue_parses_with_each_text_once_and_translated(catalogue):
    ids = re.findall(r'^msgid "(.*)"$', PO.read_text(encoding="utf-8"), re.M)
    twice = [text for text, n in collections.Counter(ids).items() if n > 1 and text]
    assert twice == []  # a duplicate msgid breaks the compiled catalogue
    assert len(catalogue) == len(ids) - 1  # every entry parsed (the header is the empty msgid)
    assert [text for text, french in catalogue.items() if not french] == []


def test_every_metric_and_lever_text_has_its_french(catalogue):
    texts = {t for info in INFO.values() for t in (info.label, info.unit, info.reading, info.better)}
    texts |= {p.meaning for p in params_in("levers")}
    texts |= set(LEVER_GROUPS) | {label for group in LEVER_GROUPS.values() for label in group.values()}
    texts |= set(METRIC_GROUPS)
    assert sorted(texts - set(catalogue)) == []


def test_texts_are_translated_when_read_not_when_imported():
    assert (metric_label("trust_mean"), lever_label("levers.faq_quality")) == ("Mean trust", "FAQ quality")
    with language("fr"):
        assert (metric_label("trust_mean"), lever_label("levers.faq_quality")) == ("Confiance moyenne",
                                                                                  "Qualité de la FAQ")
        assert param_help("faq_quality").startswith("FAQ ou assistance : part de la connaissance manquante")
    assert metric_label("trust_mean") == "Mean trust"
    failed, tried = doctest.testmod(labels)
    assert tried > 0 and failed == 0


def test_a_french_sweep_report_has_no_english_metric_label(tmp_path, catalogue):
    path = write_experiment(tmp_path, PAIRED_SWEEP.replace('at_end = ["trust_mean", "knowledge_mean", '
                                                           '"knowledge_gini", "take_up"]', 'at_end = "all"'))
    with SequentialEvaluator() as evaluator:
        root = run_sweep(load_experiment(path), tmp_path / "out", evaluator).root
    write_report(root, lang="fr")
    page = (root / "report.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "Moyennes par point du plan" in page
    labels = {info.label for info in INFO.values() if catalogue[info.label] != info.label}
    assert len(labels) > 20
    assert sorted(label for label in labels if label in page) == []
    assert catalogue["Knowledge inequality (Gini)"] in page and "Qualité de la FAQ" in page
    write_report(root)  # the language is the call's, not left behind: English again
    assert "Knowledge inequality (Gini)" in (root / "report.html").read_text(encoding="utf-8")


def test_every_text_of_the_teachers_page_has_its_french(catalogue):
    """The page's texts that are not literal ``_("...")`` calls: chart captions, colourings, channels, offices."""
    from crmsim.model.administrations import MISSIONS
    from crmsim.viz.page_charts import CHARTS
    from crmsim.viz.page_network import COLOURINGS

    texts = [chart.caption for chart in CHARTS] + [mission.label for mission in MISSIONS.values()]
    for colouring in COLOURINGS.values():
        texts += [colouring.label, *colouring.legend]
    missing = [text for text in texts if text not in catalogue]
    assert missing == []


def test_every_literal_text_of_crmsim_has_its_french(catalogue):
    """Every ``_("...")`` and ``ngettext`` text in the code, as Babel's extractor finds it."""
    from babel.messages.extract import extract_from_file

    root = Path(__file__).resolve().parents[1]
    found = {}
    for folder in ("crmsim", "model", "experiments", "viz", "calibration"):
        for path in sorted((root / folder).rglob("*.py")):
            for _line, text, _comments, _context in extract_from_file("python", path, keywords={"_": None,
                                                                                              "ngettext": (1, 2)}):
                found[text if isinstance(text, str) else text[0]] = path.relative_to(root).as_posix()
    assert len(found) > 200  # the extractor did find the code's texts
    assert {text: path for text, path in found.items() if text not in catalogue} == {}


def test_the_page_server_threads_speak_the_language_crmsim_was_started_in(monkeypatch):
    """``crmsim --lang fr viz`` sets CRMSIM_LANG; Solara renders in threads that carry no context of ours."""
    import threading

    from crmsim.texts.i18n import LANGUAGE_VARIABLE, _

    monkeypatch.setenv(LANGUAGE_VARIABLE, "fr")
    seen = []
    thread = threading.Thread(target=lambda: seen.append(_("Compare with")))
    thread.start()
    thread.join()
    assert seen == ["Comparer avec"]
    with language("en"):  # a context's own choice wins over the process's
        assert _("Compare with") == "Compare with"

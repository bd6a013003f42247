# make run   - set up .venv if needed, then answer the paper's question: every policy against the baseline
# make test  - set up .venv (and Debian's chromium, for the browser tests) if needed, then run the test suite
# make bench - the step benchmark (crmsim vs Mesa's virus_on_network)
# make viz   - show a scenario live in the browser, offline (crmsim viz; Ctrl-C stops it)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: run test bench viz odd clean

# The paper's question: every policy and composite against the calibrated baseline, on paired runs
# added five at a time until each verdict is decided or the budget (40) is spent (crmsim compare);
# ends with the verdict table and compare.html.
POLICIES := faq public_qa community_forum personal_space single_front_office funded_prescribers \
	redress_procedure transparent_feedback co_design opinion_poll ratings_reviews digital_first \
	new_public_management democratic_governance full_mediation

run: $(STAMP)
	$(VENV)/bin/crmsim compare scenarios/calibrated_baseline.toml $(POLICIES:%=scenarios/%.toml)

# One pytest worker per core (pytest-xdist; worksteal: an idle worker takes queued tests from a busy one), and
# the 15 slowest tests at the end, so that a test that grows is seen.
test: $(STAMP) $(CHROMIUM)
	$(PY) -m pytest -q -n auto --dist worksteal --durations=15

bench: $(STAMP)
	$(PY) benchmarks/bench_step.py

viz: $(STAMP)
	$(VENV)/bin/crmsim viz

odd: $(STAMP)
	$(PY) -m crmsim.model.odd

$(VENV)/bin/python:
	@python=$$(tools/find-python) || exit 1; \
	echo "creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)

# The folders model/, experiments/ and viz/ are installed under one namespace
# (crmsim.model, crmsim.experiments, crmsim.viz: see pyproject.toml), editable, so an
# edit shows at once. setuptools warns on every such install that a folder named like a
# package could shadow it; with the namespace none can, so its warnings are not shown.
$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The browser tests drive Debian's Chromium (Playwright's own download needs the internet).
$(CHROMIUM):
	@if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "the browser tests need Debian's Chromium at $(CHROMIUM): sudo apt-get install chromium" >&2; exit 1; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# make run   - set up .venv if needed, then run the baseline and a mediated scenario side by side
# make test  - set up .venv if needed, then run the test suite
# make bench - the step benchmark (crmsim vs Mesa's virus_on_network)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench odd clean

run: $(STAMP)
	$(VENV)/bin/crmsim run scenarios/supply_front_office.toml scenarios/full_mediation.toml

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench_step.py

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

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

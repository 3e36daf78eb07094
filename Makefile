# The two commands of the README: `make run` and `make test`. Everything else is a step they share.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
PORT ?= 5000
LANGS := en fr it es ca nl pt ar tr

.PHONY: run test test-suite test-once install install-dev compile-translations translations migrate demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The app's own dependencies only: what `make run` needs.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The test tools too (pytest, Playwright, schemathesis, ruff…): what `make test` needs.
$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

CATALOGS := $(foreach lang,$(LANGS),translations/$(lang)/LC_MESSAGES/messages.mo)

compile-translations: install $(CATALOGS)

# each catalog compiled when its .po changed, not at every run
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile -d translations -l $*

# Extract the interface strings, merge them into every catalog, compile. Translate, then run it again.
translations: install
	$(BIN)/pybabel extract --ignore-dirs '.* __pycache__' -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project "IMPPULSE Survey" -o translations/messages.pot .
	@for lang in $(LANGS); do \
		if [ -f translations/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i translations/messages.pot -d translations -l $$lang; \
		else \
			$(BIN)/pybabel init -i translations/messages.pot -d translations -l $$lang; \
		fi; \
	done
	$(BIN)/pybabel compile -d translations

migrate: compile-translations
	$(FLASK) db upgrade

demo: migrate
	PORT=$(PORT) $(FLASK) imppulse demo
	@touch $(DEMO_STAMP)

# Migrations and demo data again only when they changed, or when the database or the logins are gone: a second
# `make run` goes straight to serving.
DEMO_STAMP := instance/.demo-loaded
$(DEMO_STAMP): $(wildcard migrations/versions/*.py) $(wildcard imppulse_survey/demo/*) | compile-translations
	@$(MAKE) --no-print-directory demo

run: compile-translations
	@if [ ! -f instance/demo-logins.txt ] || { [ -z "$$DATABASE_URL" ] && [ ! -f instance/imppulse.sqlite3 ]; }; then \
		rm -f $(DEMO_STAMP); fi
	@$(MAKE) --no-print-directory $(DEMO_STAMP)
	@echo; echo "IMPPULSE Survey: http://127.0.0.1:$(PORT)/  (staff: http://127.0.0.1:$(PORT)/en/staff/login)"
	@cat instance/demo-logins.txt; echo
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The whole suite: what depends on the database (test-suite, which CI runs on SQLite and on PostgreSQL), then the
# browser, axe, schemathesis and property tests, which do not (test-once, which CI runs once, on SQLite).
test: test-suite test-once

test-suite: install-dev compile-translations
	$(BIN)/pytest -m "not single_pass" $(PYTEST_ARGS)

test-once: install-dev compile-translations
	$(BIN)/pytest -m single_pass $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache translations/*/LC_MESSAGES/*.mo

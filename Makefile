# The two commands of the README: `make run` and `make test`. Everything else is a step they share.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
PORT ?= 5000
LANGS := en fr it es ca nl pt

.PHONY: run test install install-dev compile-translations translations migrate demo clean

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

compile-translations: install
	$(BIN)/pybabel compile -d translations

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
	$(FLASK) imppulse demo

run: demo
	@echo; echo "IMPPULSE Survey: http://127.0.0.1:$(PORT)/  (staff: http://127.0.0.1:$(PORT)/en/staff/login)"
	@cat instance/demo-logins.txt; echo
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install-dev compile-translations
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache translations/*/LC_MESSAGES/*.mo

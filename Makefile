.PHONY: run test lint format bench messages

# Install what is missing, migrate, load the demo, start web + worker + beat (Ctrl-C stops them).
run:
	scripts/run.sh

# Install what is missing, make sure PostGIS and Redis run, lint and run the whole test suite.
test:
	scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy .

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

# Gather the strings to translate (templates, Python, page scripts) into locale/en/, then compile them.
# Translate every new entry in the .po files: tests/core/test_i18n_english.py fails on a missing one.
I18N_IGNORE = --ignore=.venv --ignore=var --ignore=node_modules --ignore=vendor --ignore='*/vendor/*' --ignore=tests
messages:
	.venv/bin/python manage.py makemessages -l en -d django --no-obsolete --add-location=file $(I18N_IGNORE)
	.venv/bin/python manage.py makemessages -l en -d djangojs --no-obsolete --add-location=file $(I18N_IGNORE)
	.venv/bin/python manage.py compilemessages $(I18N_IGNORE)

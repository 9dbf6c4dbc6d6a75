.PHONY: run test lint format bench

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

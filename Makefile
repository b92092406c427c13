# The README's two commands: `make demo` and `make test`.
.PHONY: setup demo test lint clean-db guide-screenshots

setup:
	scripts/setup

demo:
	scripts/setup
	.venv/bin/sigkel demo

test:
	scripts/setup --dev
	.venv/bin/python -m pytest

lint:
	.venv/bin/ruff check .

clean-db:
	-.venv/bin/sigkel db stop
	rm -rf var/pgdata

guide-screenshots:  # retake the user guide screenshots (docs/panduan/img) with the browser tests
	scripts/setup --dev && SIGKEL_GUIDE_SCREENSHOTS=1 .venv/bin/python -m pytest -q tests/browser

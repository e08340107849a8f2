# Auberge — the two commands: `make run` (demo on SQLite, no server needed) and `make test`
# (the whole suite on real PostgreSQL and Redis).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# make test talks to the local servers unless told otherwise
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/auberge
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
# the suite runs in this many processes (pytest-xdist), a test file per process at a time
PYTEST_WORKERS ?= 2

.PHONY: install run test lint format bench messages clean

$(VENV)/.installed: requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

run: install
	@DJANGO_DEBUG=True $(PY) manage.py migrate --noinput -v0
	@DJANGO_DEBUG=True $(PY) manage.py seed_demo
	@echo "Auberge on http://$(HOST):$(PORT)/  (Ctrl-C stops the web server, worker and beat)"
	@DJANGO_DEBUG=True bash -c 'trap "kill 0" EXIT INT TERM; \
	  $(VENV)/bin/celery -A config worker --pool=solo --loglevel=WARNING & \
	  $(VENV)/bin/celery -A config beat --loglevel=WARNING & \
	  $(PY) manage.py runserver $(HOST):$(PORT)'

test: install
	@DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
	  $(PY) scripts/check_services.py
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
	  AUBERGE_TESTING=1 DJANGO_DEBUG=False AUBERGE_ALLOW_INSECURE_KEY=1 AUBERGE_MANIFEST_STATIC=0 \
	  $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
	  $(PY) benchmarks/run.py

messages: install
	cd $(CURDIR) && $(PY) manage.py makemessages -l fr -l en --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf var/ $(VENV)

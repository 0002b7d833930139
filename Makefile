# The two commands of the README: `make run` and `make test`. Each installs what it needs.
PYTHON ?= $(shell command -v python3.10 2>/dev/null || echo python3.10)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test install browser nginx

run: $(STAMP)
	$(BIN)/xiaoer run

# All tests, twice: on the embedded defaults, then on PostgreSQL and Redis when reachable.
test: $(STAMP) browser nginx
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/python -m tests.with_services $(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "pip==24.0"
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

# Browser tests drive Debian's Chromium (Playwright cannot download its own here); the
# CJK font makes their screenshots readable (without it Chinese shows as boxes).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@fc-list 2>/dev/null | grep -qi "CJK" || { \
	  echo "installing a CJK font for readable screenshots"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; }; }

# The multi-replica topology test puts Debian's nginx in front of the replicas.
nginx:
	@test -x /usr/sbin/nginx || command -v nginx >/dev/null 2>&1 || { \
	  echo "installing Debian's nginx for the topology test"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }; }

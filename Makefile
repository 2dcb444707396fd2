# lifq: `make demo` and `make test` bootstrap everything they need themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.lifq-installed
PYTEST_ARGS ?=

.PHONY: demo test bootstrap tools clean

demo: bootstrap
	$(BIN)/lifq demo

test: bootstrap
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bootstrap: $(STAMP) tools

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,boards,formal]'
	touch $@

# Icarus Verilog (and lz4 headers, for Verilator's FST waves) come from the
# system: install them when we may, else say what to do.
tools:
	@missing=""; \
	command -v iverilog >/dev/null 2>&1 || missing="$$missing iverilog"; \
	test -f /usr/include/lz4.h || missing="$$missing liblz4-dev"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "lifq: installing$$missing with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "lifq: missing system packages:$$missing: install them, e.g. 'sudo apt-get install$$missing'" >&2; \
	    exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

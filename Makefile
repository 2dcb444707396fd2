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

# Icarus Verilog comes from the system: install it when we may, else say what to do.
tools:
	@command -v iverilog >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "lifq: installing Icarus Verilog with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iverilog >/dev/null; \
	  else \
	    echo "lifq: Icarus Verilog (iverilog) is missing: install it, e.g. 'sudo apt-get install iverilog'" >&2; \
	    exit 1; \
	  fi; }

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# gateproof: two commands do all set-up on a fresh machine.
#   make test   install what is missing, then pass gateproof's own tests (selftests/)
#   make demo   install what is missing, start the reference deployment, run every phase
#               against it, write the report, stop the deployment
#   make bench  every figure the project promises beside its target, one table
#               (BENCH_ARGS=--quick: without the 50,000-model and cold runs)
#   make faults the fault matrix: every fault of the catalogue against one reference stack,
#               then 20 healthy full runs; prints the table, rewrites docs/fault-matrix.md

VENV      ?= .venv
PYTHON    ?= python3
BIN       := $(VENV)/bin
# Debian packages of the reference deployment: binary -> package
DEB_BINS  := /usr/bin/redis-server:redis-server \
             /usr/bin/prometheus:prometheus \
             /usr/bin/promtool:prometheus \
             /usr/bin/prometheus-alertmanager:prometheus-alertmanager \
             /usr/bin/prometheus-node-exporter:prometheus-node-exporter \
             /usr/bin/prometheus-redis-exporter:prometheus-redis-exporter \
             /usr/sbin/sshd:openssh-server \
             /usr/bin/ssh:openssh-client
SELFTEST_ARGS ?=
# selftests run in xdist workers, one file per worker at a time (its fixtures and order kept),
# each worker with its own reference stack in its own port range: most of a selftest's time
# is spent waiting on the stack (cooldowns, rate-limit minutes), not on the CPU
SELFTEST_WORKERS ?= 2
BENCH_ARGS ?=
FAULTS_ARGS   ?=

.PHONY: test demo bench faults setup debs venv lint clean

setup: debs venv

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

debs:
	@missing=""; \
	for pair in $(DEB_BINS); do \
	  bin=$${pair%%:*}; pkg=$${pair##*:}; \
	  [ -x "$$bin" ] || missing="$$missing $$pkg"; \
	done; \
	missing=$$(echo $$missing | tr ' ' '\n' | sort -u | tr '\n' ' '); \
	if [ -n "$$(echo $$missing | tr -d ' ')" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "missing Debian packages. Run as root:"; \
	    echo "  apt-get update && apt-get install -y $$missing"; \
	    exit 1; \
	  fi; \
	fi

lint: venv
	$(BIN)/ruff check src selftests tests bench setup.py
	$(BIN)/ruff format --check src selftests tests bench setup.py
	$(BIN)/mypy
	@# tests and each selftest folder on their own: every folder has its own conftest module
	@for dir in tests selftests/*/; do $(BIN)/mypy --strict --no-error-summary $$dir || exit 1; done

test: setup lint
	$(BIN)/pytest selftests -n $(SELFTEST_WORKERS) --dist loadfile -p no:cacheprovider -W error \
	  --durations=25 $(SELFTEST_ARGS)

demo: setup
	$(BIN)/gateproof demo --allow-destructive

bench: setup
	$(BIN)/python bench/all.py $(BENCH_ARGS)

faults: setup
	$(BIN)/python -m gateproof.stack.faults --write-doc docs/fault-matrix.md $(FAULTS_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info runs reports

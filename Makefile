# alertops.remediation — the two commands a new user types: `make demo` and `make test`.
# Everything they need is set up here: Debian packages, the .venv, the collection link, the
# offline ansible-test bootstrap. Nothing outside this checkout is changed except apt packages.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT        := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV        := $(ROOT)/.venv
BIN         := $(VENV)/bin
PY          := $(BIN)/python
BUILD       := $(ROOT)/.build
COLL_ROOT   := $(BUILD)/collections
COLL_LINK   := $(COLL_ROOT)/ansible_collections/alertops/remediation
SANITY_DIR  := $(BUILD)/sanity/ansible_collections/alertops/remediation
FLOOR_CORE  := 2.16
FLOOR_VENV  := $(BUILD)/floor-venv
DOCS_VENV   := $(BUILD)/docs-venv
# ansible-test keeps its cache under ~/.ansible; a private HOME keeps it inside the checkout.
TEST_HOME   := $(BUILD)/home
# galaxy.yml holds the one version number; everything else reads it from there.
VERSION     := $(shell sed -n 's/^version: *//p' $(ROOT)/galaxy.yml)
DIST_DIR    := $(BUILD)/dist
TARBALL     := $(DIST_DIR)/alertops-remediation-$(VERSION).tar.gz

APT_PACKAGES := zookeeper prometheus-node-exporter prometheus-alertmanager openssh-server \
                iproute2 net-tools lsof shellcheck rsync procps libslf4j-java liblog4j1.2-java \
                libservlet-api-java

export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export ANSIBLE_LOCAL_TEMP := $(BUILD)/ansible-tmp
export ANSIBLE_HOME := $(BUILD)/ansible-home
export PYTHONDONTWRITEBYTECODE := 1

# Every pytest stage prints its 25 slowest tests. XDIST spreads the suites that need no lab over the cores
# (pytest-xdist); PER_FILE keeps a test file on one worker where tests share module fixtures or servers.
PYTEST   := $(BIN)/pytest -p no:cacheprovider -o console_output_style=classic --durations=25
XDIST    ?= -n auto
PER_FILE := --dist loadfile

.PHONY: help setup apt venv floor-venv floor-tests collection lint sanity units units-floor fuzz integration lab-tests eda-tests \
        molecule test demo bench lab-up lab-down clean integration-local integration-lab eda-local eda-lab \
        lab-tests-local lab-tests-lab lab-ensemble lab-agents lab-specs
.PHONY: dist release-tests release-tests-local release-tests-lab ee version changelog docs docs-venv docs-lint

help:
	@echo "make demo      set up, bring up the lab, run the main remediation against it, tear down"
	@echo "make test      set up, then run lint, sanity, unit, fuzz, integration, lab, molecule, EDA/AWX and release tests"
	@echo "make bench     ratio benchmarks against the incumbents (results in benchmarks/RESULTS.md)"
	@echo "make lab-up    create the built-in lab (namespaced hosts, agent simulator, ZooKeeper); AGENTS=N adds a fleet"
	@echo "make lab-down  remove everything the lab made"

setup: apt venv collection

# Debian packages: installed only when one is missing, so repeated runs cost nothing.
apt: $(BUILD)/.apt-stamp
$(BUILD)/.apt-stamp: Makefile
	@mkdir -p $(BUILD)
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "need root to apt-get install:$$missing" >&2; exit 1; fi; \
	  echo "apt-get install:$$missing"; \
	  apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@touch $@

venv: $(VENV)/.stamp
$(VENV)/.stamp: requirements-dev.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

# The checkout *is* the collection: expose it under the ansible_collections/<ns>/<name> path.
collection: $(COLL_LINK)
$(COLL_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn $(ROOT) $@

# molecule's prerun installs a copy of the collection under ANSIBLE_HOME, which Ansible then prefers to the
# checkout: a later lint would check that stale copy, so it goes first.
lint: setup
	@rm -rf $(BUILD)/ansible-home/collections/ansible_collections/alertops
	cd $(ROOT) && $(BIN)/ansible-lint --profile production --offline
	$(BIN)/python tests/lint/code_shape.py $(ROOT)
	$(MAKE) --no-print-directory docs-lint

# The docs toolchain (antsibull-docs, Sphinx, the Ansible theme) lives in its own virtualenv: .venv keeps
# the pinned development tools as they are. antsibull-docs reads the collection and its dependency
# (ansible.posix, from the pinned ansible package) through ansible-doc.
docs-venv: $(DOCS_VENV)/.stamp
$(DOCS_VENV)/.stamp: requirements-docs.txt
	@rm -rf $(DOCS_VENV)
	python3 -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/pip install -q -r requirements-docs.txt
	@touch $@

DOCS_ENV = PATH=$(DOCS_VENV)/bin:$$PATH \
  ANSIBLE_COLLECTIONS_PATH=$(COLL_ROOT):$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

docs-lint: setup docs-venv
	cd $(ROOT) && $(DOCS_ENV) antsibull-docs lint-collection-docs --plugin-docs .

# A static docs site (HTML under .build/docs): a page per module, plugin and role, from their docs.
# Built offline: the Ansible docs' intersphinx inventory cannot be fetched, so references into it stay
# text (ref.ref); references inside the collection are checked by docs-lint.
DOCS_SRC := $(BUILD)/docs-src
docs: setup docs-venv
	@rm -rf $(DOCS_SRC) $(BUILD)/docs && mkdir -p -m 755 $(DOCS_SRC)
	$(DOCS_ENV) antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error \
	  --project alertops.remediation --title "alertops.remediation $(VERSION)" --dest-dir $(DOCS_SRC) alertops.remediation
	@printf '%s\n' '' 'intersphinx_mapping = {}' "suppress_warnings = ['ref.ref']" >> $(DOCS_SRC)/conf.py
	cd $(DOCS_SRC) && chmod og-w rst && $(DOCS_ENV) antsibull-docs --config-file antsibull-docs.cfg collection \
	  --cleanup everything --fail-on-error --use-current --squash-hierarchy --dest-dir rst alertops.remediation
	cd $(DOCS_SRC) && $(DOCS_ENV) sphinx-build -q -W --keep-going -b html -c . rst $(BUILD)/docs
	@echo "docs: $(BUILD)/docs/index.html"

# ansible-test resolves the real path of the working directory, so sanity runs on a copy of the
# files git knows about (as a git tree of its own: ansible-test lists targets through git), laid out as ansible_collections/alertops/remediation. The lab, benchmarks
# and AWX-as-code are not collection content (galaxy.yml build_ignore) and stay out of it.
SANITY_SKIP := ^(lab|benchmarks|awx)/
sanity: setup
	@mkdir -p $(TEST_HOME)/.ansible/test/cache $(SANITY_DIR)
	@cp tests/sanity/bootstrap/get_pip_offline.py $(TEST_HOME)/.ansible/test/cache/get_pip_24_2.py
	@rm -rf $(SANITY_DIR) && mkdir -p $(SANITY_DIR)
	@cd $(ROOT) && { git ls-files -z --cached --others --exclude-standard | grep -zvE "$(SANITY_SKIP)" | \
	  rsync -a --from0 --files-from=- ./ $(SANITY_DIR)/; }
	@cd $(SANITY_DIR) && git init -q && git add -A
	cd $(SANITY_DIR) && HOME=$(TEST_HOME) $(BIN)/ansible-test sanity --local --python 3.11 --color no

units: setup floor-venv
	$(PYTEST) $(XDIST) -q tests/unit
	$(MAKE) --no-print-directory units-floor
units-floor: setup floor-venv
	@echo "unit tests on the declared floor, ansible-core $(FLOOR_CORE):"
	$(FLOOR_VENV)/bin/pytest -p no:cacheprovider --durations=25 $(XDIST) -q tests/unit

# meta/runtime.yml declares the oldest ansible-core the collection supports (2.16: the last that manages
# Python 3.6 hosts, i.e. EL7/EL8). A throwaway virtualenv with that core runs the suites that must hold
# there too.
floor-venv: $(FLOOR_VENV)/.stamp
$(FLOOR_VENV)/.stamp: Makefile
	@rm -rf $(FLOOR_VENV)
	python3 -m venv $(FLOOR_VENV)
	$(FLOOR_VENV)/bin/pip install -q 'ansible-core~=$(FLOOR_CORE).0' pytest==9.2.0 pytest-xdist==3.8.0 jsonschema==4.26.0
	@touch $@

# The collection tarball users install. Built from the files git knows (tracked, or new and not ignored),
# as a clean clone has them: what runs leave in the checkout (reports, caches, the collections/ links
# pytest-ansible makes) never ships. galaxy.yml's build_ignore keeps the repository-only parts out.
dist: venv
	@rm -rf $(DIST_DIR) && mkdir -p $(DIST_DIR)/src
	@cd $(ROOT) && git ls-files -z --cached --others --exclude-standard | \
	  rsync -a --from0 --ignore-missing-args --files-from=- ./ $(DIST_DIR)/src/
	$(BIN)/ansible-galaxy collection build --force --output-path $(DIST_DIR) $(DIST_DIR)/src
	@rm -rf $(DIST_DIR)/src
	@test -f $(TARBALL)

version:
	@echo $(VERSION)

# Release notes for galaxy.yml's version from changelogs/fragments (antsibull-changelog): the first call
# releases the version, later ones fold new fragments into it. CHANGELOG.rst is generated. The plugin list
# (New Modules, ...) is read afresh through ansible-doc: a cached one misses plugins merged since.
changelog: collection
	cd $(ROOT) && export PATH=$(BIN):$$PATH && if grep -q "^  $(VERSION):" changelogs/changelog.yaml; then \
	  $(BIN)/antsibull-changelog release --reload-plugins --version $(VERSION) --update-existing; \
	else $(BIN)/antsibull-changelog release --reload-plugins --version $(VERSION); fi

# The execution environment's build context (execution-environment.yml). The tarball and the requirements
# file naming it (the only place the version is written, from galaxy.yml) are made together; a context
# without the tarball is an error here, not a warning.
EE_DIR  := $(BUILD)/ee
EE_FILE := $(ROOT)/execution-environment.yml
ee: dist
	@rm -rf $(EE_DIR) && mkdir -p $(EE_DIR)/collections
	@cp $(TARBALL) $(EE_DIR)/collections/
	@printf -- '---\ncollections:\n  - name: collections/%s\n    type: file\n' $(notdir $(TARBALL)) > $(EE_DIR)/requirements.yml
	cd $(ROOT) && $(BIN)/ansible-builder create -f $(EE_FILE) -c $(EE_DIR)/context
	@test -f $(EE_DIR)/context/_build/collections/$(notdir $(TARBALL)) || \
	  { echo "ee: the build context lacks $(notdir $(TARBALL))" >&2; exit 1; }
	@echo "build context: $(EE_DIR)/context (image tag: $(VERSION))"

# The release check: build the tarball, install it with its dependency into a fresh collections path and
# run from there (tests/release; its lab part needs the lab lock like every lab suite).
release-tests: release-tests-local release-tests-lab
release-tests-local: setup
	$(PYTEST) $(XDIST) $(PER_FILE) -q -m "not lab" tests/release
release-tests-lab: setup
	$(PYTEST) -q -m lab tests/release

# Only the suites that must hold on the declared floor: the unit tests in the floor's virtualenv, and the
# hostile-alert suite with the floor's ansible-playbook (make units and make eda-tests run them too).
floor-tests: units-floor
	$(PYTEST) -q tests/eda/test_hostile_alerts.py -k "2.16"

# Every option of every module with generated hostile values, each case in a private namespace (root).
# FUZZ_SEED picks the values (printed at the end), FUZZ_CASES how many per option: see docs/CONTRIBUTING.md.
fuzz: setup
	$(PYTEST) $(XDIST) $(PER_FILE) -q tests/fuzz

# Each suite in two parts: the tests that need the built-in lab (marked `lab` by tests/conftest.py) share
# one lab and run one at a time; the others run in parallel. Both need the lab lock when called alone.
integration: integration-local integration-lab
integration-local: setup
	$(PYTEST) $(XDIST) $(PER_FILE) -q -m "not lab" tests/integration
integration-lab: setup
	$(PYTEST) -q -m lab tests/integration

lab-tests: lab-tests-local lab-tests-lab
lab-tests-local: setup
	$(PYTEST) $(XDIST) $(PER_FILE) -q -m "not lab" tests/lab
lab-tests-lab: setup
	$(PYTEST) -q -m lab tests/lab

# the hostile-alert suite runs remediate_alert.yml on the floor's ansible-playbook too
eda-tests: eda-local eda-lab
eda-local: setup floor-venv
	$(PYTEST) $(XDIST) $(PER_FILE) -q -m "not lab" tests/eda
eda-lab: setup
	$(PYTEST) -q -m lab tests/eda

molecule: setup
	cd $(ROOT) && $(BIN)/molecule test --all

# make test's cut of the lab suites, by what they touch: the ones that change the ZooKeeper ensemble
# (marker `ensemble`), the ones on the agent hosts, both on the lab lab-up brought up (LAB_SHARED=1: the
# sessions do not repair it and undo only their own faults, so the two may also run at the same time,
# `make -j2 lab-ensemble lab-agents`); the ones that bring up a lab of another spec (marker `lab_spec`)
# need the machine to themselves. make test runs them one after the other: on two cores side by side
# saves no time (the CPU is the limit) and starves the ensemble's timed waits.
LAB_SUITES := tests/integration tests/eda tests/release
lab-ensemble: setup
	LAB_SHARED=1 $(PYTEST) -q -m "lab and ensemble" $(LAB_SUITES)
lab-agents: setup
	LAB_SHARED=1 $(PYTEST) -q -m "lab and not ensemble and not lab_spec" $(LAB_SUITES)
lab-specs: setup
	$(PYTEST) -q -m "lab_spec" $(LAB_SUITES)

# Two lanes at the same time (.ci/stages.py: one log and one wall time per stage, printed whole
# when the stage ends). The lab lane brings the lab up once for the suites that share it; molecule's
# scenarios and tests/lab (which checks lab-up and lab-down themselves) bring up their own; the lab is
# down at the end whatever failed. The other lane fills the second core with the suites that need no lab.
# The CPU is what both lanes wait for, so nothing runs twice on one core: the unit tests run on the
# floor's core here (units-floor) and on the current core through `ansible-test units` on the tarball's
# copy of them (release-tests-local, test_ansible_test_units.py), which is the same tests/unit.
LAB_LANE   := lab-up lab-ensemble lab-agents lab-specs molecule lab-tests-lab always:lab-down
LOCAL_LANE := lint units-floor fuzz integration-local eda-local lab-tests-local release-tests-local sanity
# The three virtualenvs are installed at the same time first (pip waits on the disk as much as on the CPU),
# by the system's python3: stages.py needs nothing else.
test: apt collection
	MAKE="$(MAKE)" python3 .ci/stages.py $(BUILD)/test-logs --first "venv+floor-venv+docs-venv" "$(LAB_LANE)" "$(LOCAL_LANE)"
	@echo "make test: all suites passed"

demo: setup
	$(PY) lab/demo.py

bench: setup
	$(PY) benchmarks/run.py

# make lab-up AGENTS=40: the default lab plus a fleet of 40 agent hosts (lab/README.md, "A fleet")
lab-up: setup
	$(PY) lab/labctl.py up $(if $(AGENTS),--agents $(AGENTS))

lab-down:
	@if [ -x $(PY) ]; then $(PY) lab/labctl.py down; else python3 lab/labctl.py down; fi

clean: lab-down
	rm -rf $(BUILD) tests/output

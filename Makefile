# image-pull-secrets: a Kubewarden policy.
#   make run    build the policy and evaluate a sample admission request
#   make test   formatting, lints, unit tests and the end-to-end suite
#   make bench  evaluation time per request against a parse-only floor guest, and module size
#   make cluster-tests  the policy in a real control plane, through the real policy-server (needs ../shared/tools)
#   make cluster-bench  the admission latency the policy adds there, at the API server
#   make server-bench  throughput and latency of the policy against the floor in the real policy-server
#   make artifacthub-pkg.yml  regenerate the Artifact Hub package file (needs kwctl)
#   make web    build the troubleshooter page into web/dist/; make serve-web serves it

SHELL := /bin/bash
TARGET := wasm32-wasip1
# Where cargo writes, as cargo itself says: CARGO_TARGET_DIR or a `build.target-dir` of the
# user's cargo config moves it out of ./target.
# Asked once: the nested makes of the cluster suite inherit it.
ifndef CARGO_TARGET
CARGO_TARGET := $(shell cargo metadata --format-version 1 --no-deps 2>/dev/null | \
	python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null)
CARGO_TARGET := $(or $(CARGO_TARGET),target)
endif
export CARGO_TARGET
POLICY_BUILD := $(CARGO_TARGET)/$(TARGET)/release/image_pull_secrets_policy.wasm
FLOOR_BUILD := $(CARGO_TARGET)/$(TARGET)/release/floor_guest.wasm
# The runner embeds wasmtime: it gets its own target dir so policy builds never wait on it.
RUNNER_DIR := target/runner
RUNNER := $(RUNNER_DIR)/runner/policy-runner
SOURCES := $(shell find src -name '*.rs') Cargo.toml Cargo.lock
RUNNER_SOURCES := $(shell find e2e-tests/runner/src -name '*.rs') e2e-tests/runner/Cargo.toml Cargo.lock
DATA := e2e-tests/test_data

.PHONY: all run test fmt lint unit-tests e2e-tests check-workflows check-release-tag bench server-bench limits fuzz clean deps wasm-target wasm-opt

all: policy.wasm

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# $(call apt_need,COMMAND,PACKAGES): installs the Debian PACKAGES when COMMAND is missing (the one
# way every target here installs what a fresh machine lacks).
apt_need = command -v $(1) >/dev/null || \
	{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(2) >/dev/null; }

# What a fresh machine lacks: the wasm target, rustfmt and clippy, bats and jq (Debian packages).
deps: wasm-target
	@rustup component list --installed | grep -q '^clippy' && rustup component list --installed | grep -q '^rustfmt' \
		|| rustup component add clippy rustfmt
	@$(call apt_need,bats,bats)
	@$(call apt_need,jq,jq)
	@# perf counts fresh instances' page faults (e2e-tests/fresh_instance.bats, which says so and
	@# skips where it cannot); Debian's linux-perf, best effort: not every machine has the package.
	@$(call apt_need,perf,linux-perf) || \
		echo "deps: linux-perf could not be installed: fresh_instance.bats will be skipped"

wasm-target:
	@rustup target list --installed | grep -qx $(TARGET) || rustup target add $(TARGET)

# binaryen's wasm-opt over what LLVM wrote: -O3 shrinks the module by about an eighth at the
# same speed (measured with make bench). The features are those rustc's wasm32-wasip1 code
# uses: the stripped module has no target_features section to read them from.
WASM_OPT_FLAGS := -O3 --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
	--enable-nontrapping-float-to-int

wasm-opt:
	@$(call apt_need,wasm-opt,binaryen)

policy.wasm: $(SOURCES) | wasm-target wasm-opt
	cargo build --target $(TARGET) --release --locked
	wasm-opt $(WASM_OPT_FLAGS) $(POLICY_BUILD) -o policy.wasm

# Needs a real kwctl (not installable here): embeds metadata.yml and this README.
annotated-policy.wasm: policy.wasm metadata.yml README.md
	kwctl annotate -m metadata.yml -u README.md -o annotated-policy.wasm policy.wasm

$(RUNNER): $(RUNNER_SOURCES)
	cargo build -p policy-runner --profile runner --target-dir $(RUNNER_DIR) --locked
	@touch $(RUNNER)

floor.wasm: bench/floor-guest/src/lib.rs bench/floor-guest/Cargo.toml Cargo.lock | wasm-target wasm-opt
	cargo build -p floor-guest --target $(TARGET) --release --locked
	wasm-opt $(WASM_OPT_FLAGS) $(FLOOR_BUILD) -o floor.wasm

# What `run` and `e2e-tests` evaluate with: a real kwctl when one is on PATH (it runs the
# annotated module), the runner otherwise. KWCTL=... and POLICY=... override.
KWCTL ?= $(shell command -v kwctl 2>/dev/null)
ifeq ($(filter-out $(RUNNER) $(abspath $(RUNNER)),$(strip $(KWCTL))),)
EVALUATOR := $(abspath $(RUNNER))
# fresh_instance.bats compares the policy's fresh instances with the floor's.
EVALUATOR_BUILD := $(RUNNER) floor.wasm
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

test: fmt lint unit-tests e2e-tests cluster-tests check-workflows web-tests

fmt: deps
	cargo fmt --all -- --check

lint: deps
	cargo clippy -p image-pull-secrets-policy --all-targets --locked -- -D warnings
	cargo clippy -p image-pull-secrets-policy --target $(TARGET) --lib --locked -- -D warnings
	cargo clippy -p floor-guest --target $(TARGET) --locked -- -D warnings
	cargo clippy -p policy-runner --all-targets --target-dir $(RUNNER_DIR) --locked -- -D warnings
	cargo clippy -p image-pull-secrets-web --all-targets --locked -- -D warnings
	@rustup target list --installed | grep -qx $(WEB_TARGET) || rustup target add $(WEB_TARGET)
	cargo clippy -p image-pull-secrets-web --target $(WEB_TARGET) --locked -- -D warnings

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

# ---- The policy in a real cluster (e2e-tests/cluster) ------------------------------------------
# The real kube-apiserver, kube-controller-manager, etcd, policy-server and kwctl, unpacked from
# KUBE_TOOLS (../shared/tools beside this repository) into target/tools: a loopback control plane
# calls the policy server as a webhook for what kubectl sends. Where there are no tools, the
# target says so and succeeds, so that `make test` runs everywhere.
KUBE_TOOLS ?= $(abspath $(CURDIR)/../shared/tools)
CLUSTER_BIN := $(CURDIR)/target/tools/bin

.PHONY: cluster-tests cluster-suite cluster-bench cluster-tools

cluster-tools:
	@[ -x "$(KUBE_TOOLS)/install.sh" ] || { echo "no tools at $(KUBE_TOOLS) (KUBE_TOOLS=DIR)" >&2; exit 1; }
	@"$(KUBE_TOOLS)/install.sh" "$(CURDIR)/target/tools" >/dev/null

cluster-tests: deps
	@if [ -x "$(KUBE_TOOLS)/install.sh" ]; then \
		$(MAKE) --no-print-directory cluster-suite; \
	else \
		echo "cluster-tests: SKIPPED, nothing run: there is no $(KUBE_TOOLS)/install.sh, so no real"; \
		echo "  kube-apiserver and policy-server to run the policy with (KUBE_TOOLS=DIR names the folder)."; \
	fi

# The module annotated by the tools' kwctl (any kwctl on PATH comes after it).
cluster-suite: cluster-tools policy.wasm
	@PATH="$(CLUSTER_BIN):$$PATH" $(MAKE) --no-print-directory annotated-policy.wasm
	@mkdir -p target
	@echo "# cluster: $(CLUSTER_BIN)/policy-server on $(abspath annotated-policy.wasm)"
	@set -o pipefail; start=$$(date +%s); KUBE_TOOLS="$(KUBE_TOOLS)" bats e2e-tests/cluster/ | tee target/cluster.tap; \
		status=$$?; skipped=$$(grep -c '^ok .* # skip' target/cluster.tap); \
		echo "cluster-tests: $$(( $$(grep -c '^ok ' target/cluster.tap) - skipped )) passed, $$skipped skipped, $$(grep -c '^not ok ' target/cluster.tap) failed, in $$(( $$(date +%s) - start )) s"; \
		exit $$status

# p50 and p99 of the admission latency the policy adds, BENCH_REQUESTS (200) per variant.
cluster-bench: cluster-tools policy.wasm
	@PATH="$(CLUSTER_BIN):$$PATH" $(MAKE) --no-print-directory annotated-policy.wasm
	KUBE_TOOLS="$(KUBE_TOOLS)" e2e-tests/cluster/bench.sh

# GitHub reports a malformed workflow only once it is pushed and fails to start; the schemas
# bundled with check-jsonschema catch that here, offline. Its own venv, so a fresh machine and
# an externally managed system Python both work.
CHECK_JSONSCHEMA := target/venv/bin/check-jsonschema

$(CHECK_JSONSCHEMA):
	@# Debian's python3 makes venvs only with python3-venv (ensurepip).
	@python3 -c 'import ensurepip' 2>/dev/null || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv >/dev/null; }
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

# The module the policy is timed against: the floor guest, or, head to head, an earlier
# build of the policy (make bench BENCH_FLOOR=old-policy.wasm).
BENCH_FLOOR ?= floor.wasm

# Three runs, one per settings: the settings-only policy, cluster lookups (answered from a
# replay session, rewound for every call: a Pod's Secrets read, a Secret deleted while 50
# Deployments and 200 Pods pull with it), and the fix (addMissingPullSecrets).
bench: policy.wasm $(BENCH_FLOOR) $(RUNNER) target/bench/secret-opaque-1mib.json
	$(RUNNER) bench --policy policy.wasm --floor $(BENCH_FLOOR) -s $(DATA)/settings.yaml \
		pod-3-containers=bench/requests/pod-3-containers.json \
		cronjob-10-containers=bench/requests/cronjob-10-containers.json \
		deployment-10-containers-rejected=bench/requests/deployment-10-containers-rejected.json \
		secret-opaque-1mib=target/bench/secret-opaque-1mib.json \
		secret-dockerconfigjson-20-registries=bench/requests/secret-dockerconfigjson-20-registries.json \
		secret-ecr-tokens=bench/requests/secret-ecr-tokens.json
	$(RUNNER) bench --policy policy.wasm --floor $(BENCH_FLOOR) -s $(DATA)/settings-lookups.json \
		deployment-3-containers-lookups=bench/requests/deployment-3-containers-lookups.json@bench/requests/deployment-3-containers-lookups.session.yml \
		deployment-3-containers-lookups-rejected=bench/requests/deployment-3-containers-lookups-rejected.json@bench/requests/deployment-3-containers-lookups-rejected.session.yml \
		secret-delete-in-use=bench/requests/secret-delete-in-use.json@bench/requests/secret-delete-in-use.session.yml
	$(RUNNER) bench --policy policy.wasm --floor $(BENCH_FLOOR) -s $(DATA)/settings-add-missing.json \
		deployment-3-containers-fix=bench/requests/deployment-3-containers-fix.json

# What users pay per request: both modules annotated and served by one real policy-server 1.35
# (../shared/tools; skipped when missing), driven by wrk (bench/server/run.sh). Durations and
# rounds: SERVER_BENCH_DURATION=5s SERVER_BENCH_ROUNDS=2 (see the script for the rest).
server-bench: policy.wasm floor.wasm
	KUBE_TOOLS="$(KUBE_TOOLS)" WASM_OPT_FLAGS="$(WASM_OPT_FLAGS)" bench/server/run.sh

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

# ---- The troubleshooter page (web/): the same library, for wasm32-unknown-unknown ------------

WEB_TARGET := wasm32-unknown-unknown
WEB_BUILD := $(CARGO_TARGET)/$(WEB_TARGET)/release/image_pull_secrets_web.wasm
WEB_SOURCES := $(SOURCES) $(shell find web/src -name '*.rs') web/Cargo.toml web/tools/wasm.py
WEB_STATIC := $(patsubst web/static/%,web/dist/%,$(wildcard web/static/*))
# The CLI must be the version the crate pins: they agree on the schema of the module's custom
# section, and wasm-bindgen refuses a module of another version.
WASM_BINDGEN_VERSION := $(shell sed -n 's/^wasm-bindgen = "=\(.*\)"$$/\1/p' web/Cargo.toml)
PORT ?= 8080

.PHONY: web serve-web web-tests web-target wasm-bindgen-cli chromium clean-web

web: web/dist/pkg/image_pull_secrets_web.js web/dist/pkg/module.js $(WEB_STATIC)

web-target:
	@rustup target list --installed | grep -qx $(WEB_TARGET) || rustup target add $(WEB_TARGET)

# --locked first, as published. When the registry cannot serve that locked tree (the one this
# project's machines use has no webpki-roots 1.0.11, which wasm-bindgen-cli 0.2.130's lock
# names), the same version again with its dependencies resolved afresh.
wasm-bindgen-cli:
	@[ "$$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $(WASM_BINDGEN_VERSION)" ] || \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --locked || \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

# strip = true (the release profile's, for the policy module) also strips the target_features
# section that wasm-bindgen reads to know which Wasm features the module uses.
$(WEB_BUILD): $(WEB_SOURCES) | web-target
	CARGO_PROFILE_RELEASE_STRIP=false cargo build -p image-pull-secrets-web --target $(WEB_TARGET) --release --locked
	@touch $(WEB_BUILD)

target/web/pkg/image_pull_secrets_web.js target/web/pkg/image_pull_secrets_web_bg.wasm &: $(WEB_BUILD) | wasm-bindgen-cli
	@mkdir -p target/web
	wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
		--out-dir target/web/pkg $(WEB_BUILD)

web/dist/pkg/image_pull_secrets_web.js: target/web/pkg/image_pull_secrets_web.js
	@mkdir -p web/dist/pkg
	cp $< $@

# The module travels inside a script: connect-src 'none' forbids fetching it (web/README.md).
web/dist/pkg/module.js: target/web/pkg/image_pull_secrets_web_bg.wasm web/tools/wasm.py
	@mkdir -p web/dist/pkg
	python3 web/tools/wasm.py embed $< $@

web/dist/%: web/static/%
	@mkdir -p web/dist
	cp $< $@

serve-web: web
	@echo "# the troubleshooter page on http://127.0.0.1:$(PORT)/ (Ctrl+C stops it)"
	python3 -m http.server --bind 127.0.0.1 $(PORT) -d web/dist

# Debian's Chromium, and playwright-core to drive it (it never downloads a browser).
chromium:
	@[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@$(call apt_need,npm,nodejs npm)
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund

web-tests: web chromium web/node_modules/.package-lock.json
	cargo test -p image-pull-secrets-web --locked
	cd web && node --test tests/

clean-web:
	rm -rf web/dist web/node_modules target/web

# Gatehouse tasks. `just run` serves everything; `just test` checks everything.

set shell := ["bash", "-euo", "pipefail", "-c"]

# tools/node_modules/.bin holds binaryen's wasm-opt (see tools/package.json).
export PATH := justfile_directory() + "/tools/node_modules/.bin:" + env_var("HOME") + "/.cargo/bin:" + env_var("PATH")

trunk_version := "0.21.14"
wasm_bindgen_version := "0.2.130"
oha_version := "1.16.0"

# Every `cargo test` names the same packages, so cargo resolves the same dependency
# features each time and builds the dependency tree once (e2e's WebDriver client pulls
# in features the API tests alone would not): one build of ~3 GB instead of two.
tested := "-p shared -p api -p e2e"

default: run

# Install the SPA toolchain pieces that are missing (wasm target, trunk, wasm-bindgen-cli,
# and binaryen's wasm-opt from npm when npm is available).
tools: node-tools
    rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
    trunk --version 2>/dev/null | grep -q "{{trunk_version}}" || cargo install trunk --version {{trunk_version}} --locked
    wasm-bindgen --version 2>/dev/null | grep -q "{{wasm_bindgen_version}}" || cargo install wasm-bindgen-cli --version {{wasm_bindgen_version}}

# npm tools in tools/node_modules (binaryen's wasm-opt; oidc-provider for the SSO tests),
# reinstalled when tools/package-lock.json changes.
node-tools:
    if command -v npm >/dev/null && ! cmp -s tools/package-lock.json tools/node_modules/.package-lock.json.copy; then (cd tools && npm ci --silent --no-audit --no-fund && cp package-lock.json node_modules/.package-lock.json.copy); fi

# Python tools for the tests (scim2-tester; signxml for the SAML test IdP) in ./.venv,
# reinstalled when tools/requirements.txt changes (skipped without python3: those tests then skip).
python-tools:
    if command -v python3 >/dev/null && ! cmp -s tools/requirements.txt .venv/requirements.txt; then rm -rf .venv && python3 -m venv .venv && .venv/bin/pip install -q --disable-pip-version-check -r tools/requirements.txt && cp tools/requirements.txt .venv/requirements.txt; fi

# SCIM 2.0 conformance: scim2-tester (PyPI) against a spawned server (PostgreSQL when TEST_DATABASE_URL is set).
scim-conformance: python-tools
    cargo test -q {{tested}} --test api scim2_tester_finds_no_errors -- --ignored --nocapture 2>&1 | grep -E "scim2-tester|ERROR|CRITICAL|test result|panicked"

# OpenAPI fuzzing: schemathesis (PyPI) against a spawned server, as one organization's
# administrator and then as another organization's (PostgreSQL when TEST_DATABASE_URL is set).
fuzz: python-tools
    cargo test -q {{tested}} --test api schemathesis_finds -- --ignored --nocapture 2>&1 | grep -E "schemathesis|panicked|test result|ST[0-9]|Received|Documented|___"

# Build the SPA in release mode into dist/ (size-optimized by wasm-opt when npm could install it).
spa: tools
    if wasm-opt --version 2>/dev/null | grep -q "version 132"; then trunk build --release; else echo "note: binaryen 132 not installed (needs npm); building the SPA without wasm-opt"; sed 's/data-wasm-opt="z"/data-wasm-opt="0"/' web/index.html > web/index.noopt.html; trunk build web/index.noopt.html --release; rm web/index.noopt.html; fi

# Build everything and serve it on http://127.0.0.1:8080 (SQLite in ./data, dev keys generated).
# A local try-out has no DNS to publish records in: domain verification is off unless
# GATEHOUSE_DOMAIN_VERIFICATION says otherwise (the server logs it and the Provision tab shows it).
run: spa
    cargo build --release -p api --bin gatehouse
    @echo "Gatehouse is starting on http://${GATEHOUSE_BIND:-127.0.0.1:8080}  (Ctrl-C to stop)"
    GATEHOUSE_DOMAIN_VERIFICATION=${GATEHOUSE_DOMAIN_VERIFICATION:-off} ./target/release/gatehouse

# API on :8080 plus `trunk serve` on :8081 with live reload and an /api proxy.
dev: tools
    cargo build -p api --bin gatehouse
    GATEHOUSE_DOMAIN_VERIFICATION=${GATEHOUSE_DOMAIN_VERIFICATION:-off} ./target/debug/gatehouse & trap "kill $!" EXIT; trunk serve

# Everything CI checks: formatting, lints (native and wasm32), the release SPA build, unit +
# integration tests (SQLite, and PostgreSQL when TEST_DATABASE_URL is set) and e2e in headless
# Chromium when chromedriver is present (REQUIRE_E2E=1 turns a missing chromedriver into a failure).
test: node-tools python-tools spa
    cargo fmt --all --check
    just openapi-lint
    cargo clippy --all-targets -- -D warnings
    cargo clippy -p web -p shared --target wasm32-unknown-unknown -- -D warnings
    if ! command -v chromedriver >/dev/null; then echo "note: chromedriver not installed: the e2e tests skip (REQUIRE_E2E=1 makes that a failure)"; fi
    env -u TEST_DATABASE_URL cargo test {{tested}}
    if [ -n "${TEST_DATABASE_URL:-}" ]; then echo "== PostgreSQL =="; cargo test {{tested}} --test api; fi
    if command -v python3 >/dev/null || [ "${REQUIRE_SCIM_CONFORMANCE:-}" = "1" ]; then echo "== SCIM conformance (SQLite) =="; env -u TEST_DATABASE_URL just scim-conformance; else echo "skipping SCIM conformance: python3 not installed"; fi
    if [ -n "${TEST_DATABASE_URL:-}" ]; then echo "== SCIM conformance (PostgreSQL) =="; just scim-conformance; fi
    if command -v python3 >/dev/null || [ "${REQUIRE_SCIM_CONFORMANCE:-}" = "1" ]; then echo "== OpenAPI fuzzing (SQLite) =="; env -u TEST_DATABASE_URL just fuzz; else echo "skipping OpenAPI fuzzing: python3 not installed"; fi
    if [ -n "${TEST_DATABASE_URL:-}" ]; then echo "== OpenAPI fuzzing (PostgreSQL) =="; just fuzz; fi

# The committed OpenAPI document against Redocly CLI's recommended rules (npm @redocly/cli).
openapi-lint: node-tools
    if [ -x tools/node_modules/.bin/redocly ]; then REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true node tools/node_modules/.bin/redocly lint openapi/openapi.json --format=summary 2>&1 | grep -v "[║╔╚]"; test "${PIPESTATUS[0]}" = 0; else echo "skipping the OpenAPI lint: npm not installed"; fi

# Browser tests: build the SPA, then drive it in headless Chromium.
e2e: spa
    cargo test {{tested}} --test e2e

# Regenerate openapi/openapi.json from the code.
openapi:
    cargo run -q -p api --bin gatehouse -- openapi > openapi/openapi.json

# Benchmarks on release builds (BENCHMARKS.md has the figures): `just bench` runs all, or one of
# `startup` (cold start, idle memory, SPA size), `scim` (create rate and lookups vs scim2-server and
# raw SQLite inserts), `admin` (oha, 64 connections), `spa` (login form interactive in Chromium),
# `guards` (what the SAML screen and the rate limits cost per request), `oidc` (complete OpenID
# Connect code flows per second from 8 clients), `webhooks` (deliveries/s in a burst, commit → delivery latency).
bench what="all":
    if [ "{{what}}" = all ] || [ "{{what}}" = startup ]; then just spa && cargo build --release -p api --bin gatehouse && bash scripts/bench-startup.sh; fi
    if [ "{{what}}" = all ] || [ "{{what}}" = scim ]; then just python-tools && cargo build --release -p api --bin gatehouse --example bench_scim --example bench_sqlite_raw && bash scripts/bench-scim.sh; fi
    if [ "{{what}}" = all ] || [ "{{what}}" = admin ]; then command -v oha >/dev/null || cargo install oha --version {{oha_version}} --locked; cargo build --release -p api --bin gatehouse && bash scripts/bench-admin.sh; fi
    if [ "{{what}}" = all ] || [ "{{what}}" = guards ]; then cargo run -q --release -p api --example bench_guards; fi
    if [ "{{what}}" = all ] || [ "{{what}}" = oidc ]; then cargo run -q --release -p api --example bench_oidc 2>/dev/null | grep RESULT; fi
    if [ "{{what}}" = all ] || [ "{{what}}" = webhooks ]; then cargo run -q --release -p api --example bench_webhooks 2>/dev/null | grep RESULT; fi
    if [ "{{what}}" = all ] || [ "{{what}}" = spa ]; then just spa && cargo test -q {{tested}} --test e2e login_form_time_to_interactive -- --ignored --nocapture 2>&1 | grep -E "RESULT|panicked|skipping"; fi

fmt:
    cargo fmt --all

lint:
    cargo clippy --all-targets -- -D warnings
    cargo clippy -p web -p shared --target wasm32-unknown-unknown -- -D warnings

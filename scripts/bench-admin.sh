#!/usr/bin/env bash
# Admin API figures for the release build (`just bench admin`): `oha` (crates.io)
# sends `GET /api/v1/organizations/{org}/provisioning` from 64 connections for
# DURATION (default 10s) against a fresh server (SQLite) holding one
# organization with domains, a default plan and both features bought; the
# median of RUNS (default 3) runs of requests/s, p50 and p99.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=./target/release/gatehouse
PORT=${BENCH_PORT:-18082}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
[ -x "$BIN" ] || { echo "build first: cargo build --release -p api --bin gatehouse" >&2; exit 1; }
command -v oha >/dev/null || { echo "oha missing: cargo install oha --locked" >&2; exit 1; }

dir=$(mktemp -d)
GATEHOUSE_BIND=127.0.0.1:$PORT GATEHOUSE_DATA_DIR="$dir" RUST_LOG=warn "$BIN" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 4000); do curl -fs -o /dev/null "$base/ready" && break; sleep 0.005; done

json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
signup=$(curl -fs -H 'content-type: application/json' \
  -d '{"organization_name":"Bench","name":"B","email":"admin@bench-corp.com","password":"benchmark-pass-1"}' "$base/api/v1/auth/signup")
token=$(echo "$signup" | json '["access_token"]')
org=$(echo "$signup" | json '["organization"]["id"]')
api="$base/api/v1/organizations/$org"
auth=(-H "authorization: Bearer $token" -H 'content-type: application/json')
curl -fs -o /dev/null "${auth[@]}" -d '{"domains":"bench-corp.com, bench-corp.net, bench-corp.org"}' "$api/domains"
curl -fs -o /dev/null "${auth[@]}" -X PUT -d '{"plan_id":"plan_core"}' "$api/default-plan"
quote=$(curl -fs "${auth[@]}" -d '{"features":"both"}' "$api/checkout" | json '["id"]')
curl -fs -o /dev/null "${auth[@]}" -H 'Idempotency-Key: bench' \
  -d '{"payment":{"card_number":"4242424242424242","exp_month":12,"exp_year":2031,"cvc":"123","cardholder_name":"Bench"}}' \
  "$api/checkout/$quote/confirm"
curl -fs -o /dev/null "${auth[@]}" -d '{"kind":"sso"}' "$api/setup-links"

rates=(); p50s=(); p99s=()
for i in $(seq 1 "$RUNS"); do
  out=$(oha --no-tui --output-format json -c 64 -z "$DURATION" -H "authorization: Bearer $token" "$api/provisioning")
  ok=$(echo "$out" | json '["summary"]["successRate"]')
  rate=$(echo "$out" | json '["summary"]["requestsPerSec"]')
  p50=$(echo "$out" | json '["latencyPercentiles"]["p50"] * 1000')
  p99=$(echo "$out" | json '["latencyPercentiles"]["p99"] * 1000')
  printf 'run %s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, success rate %s\n' "$i" "$rate" "$p50" "$p99" "$ok"
  rates+=("$rate"); p50s+=("$p50"); p99s+=("$p99")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo
echo "Admin API GET …/provisioning, 64 connections, $DURATION × $RUNS (median)"
printf '%-12s %-10s %-10s\n' "req/s" "p50 ms" "p99 ms"
printf '%-12.0f %-10.2f %-10.2f\n' "$(median "${rates[@]}")" "$(median "${p50s[@]}")" "$(median "${p99s[@]}")"

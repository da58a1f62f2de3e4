#!/usr/bin/env bash
# Start-up and footprint figures for the release build (`just bench`):
# cold start to a 200 from /ready on a fresh SQLite file (median of RUNS),
# the server's idle RSS, and the release SPA's size (wasm + js, raw and gzip).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=./target/release/gatehouse
RUNS=${RUNS:-7}
PORT=${BENCH_PORT:-18080}
[ -x "$BIN" ] || { echo "build it first: cargo build --release -p api" >&2; exit 1; }

now_ms() { date +%s%3N; }
starts=()
rss_kb=""
for i in $(seq 1 "$RUNS"); do
  dir=$(mktemp -d)
  t0=$(now_ms)
  GATEHOUSE_BIND=127.0.0.1:$PORT GATEHOUSE_DATA_DIR="$dir" GATEHOUSE_WEB_DIR=dist RUST_LOG=warn "$BIN" >/dev/null 2>&1 &
  pid=$!
  ready=""
  for _ in $(seq 1 2000); do
    if curl -fs -o /dev/null "http://127.0.0.1:$PORT/ready"; then ready=1; break; fi
    sleep 0.005
  done
  t1=$(now_ms)
  [ -n "$ready" ] || { kill "$pid"; echo "server never became ready" >&2; exit 1; }
  starts+=($((t1 - t0)))
  if [ "$i" -eq "$RUNS" ]; then
    # Idle: after a sign-up and a few reads, let it settle.
    curl -fs -o /dev/null -H 'content-type: application/json' \
      -d '{"organization_name":"Bench","name":"B","email":"b@bench.example","password":"benchmark-pass"}' \
      "http://127.0.0.1:$PORT/api/v1/auth/signup"
    for _ in $(seq 1 20); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/"; done
    sleep 2
    rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  fi
  kill -TERM "$pid"; wait "$pid" || true
  rm -rf "$dir"
done
median=$(printf '%s\n' "${starts[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

size() { stat -c %s "$1"; }
gz() { gzip -9c "$1" | wc -c; }
wasm=$(ls dist/*_bg.wasm 2>/dev/null | head -1)
js=$(ls dist/*.js 2>/dev/null | head -1)
css=$(ls dist/*.css 2>/dev/null | head -1)

printf '\n%-44s %s\n' "figure" "value"
printf '%-44s %s\n' "--------------------------------------------" "----------------"
printf '%-44s %s ms (runs: %s)\n' "cold start to /ready, fresh SQLite (median)" "$median" "${starts[*]}"
printf '%-44s %s MiB\n' "idle RSS after sign-up" "$(awk -v k="$rss_kb" 'BEGIN {printf "%.1f", k/1024}')"
if [ -n "$wasm" ] && [ -n "$js" ]; then
  # kB = 1,000 bytes (the unit of the 250 kB target).
  kb() { awk -v b="$1" 'BEGIN { printf "%.1f kB", b / 1000 }'; }
  for f in "$wasm" "$js" "$css"; do
    printf '%-44s %s raw, %s gzip\n' "SPA ${f##*.}" "$(kb "$(size "$f")")" "$(kb "$(gz "$f")")"
  done
  raw=$(( $(size "$wasm") + $(size "$js") + $(size "$css") ))
  zipped=$(( $(gz "$wasm") + $(gz "$js") + $(gz "$css") ))
  printf '%-44s %s raw, %s gzip (%s bytes; target 250 kB)\n' "SPA wasm + js + css" "$(kb "$raw")" "$(kb "$zipped")" "$zipped"
else
  echo "no built SPA in dist/ (run just spa)"
fi

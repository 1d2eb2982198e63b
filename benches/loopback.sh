#!/usr/bin/env bash
# Requests per second over loopback sockets with wrk (Debian package `wrk`): HS256
# `/api/me` against `/health` on each release-built demo, in one run.
# Usage: benches/loopback.sh   (needs `cargo build --release -p examples` first)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}/release"
secret="loopback-benchmark-secret-0123456789abc"
duration="${DURATION:-10s}"
for demo in axum-demo actix-demo; do
  out=$(mktemp)
  DEMO_ADDR=127.0.0.1:0 DEMO_JWT_SECRET="$secret" "$target/$demo" > "$out" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
  base=$(grep -o 'http://127.0.0.1:[0-9]*' "$out" | head -1)
  token=$(grep -o 'user  (scope read): *[^ ]*' "$out" | awk '{print $NF}')
  health=$(wrk -t1 -c32 -d"$duration" "$base/health" | awk '/Requests\/sec/ {print $2}')
  me=$(wrk -t1 -c32 -d"$duration" -H "Authorization: Bearer $token" "$base/api/me" | awk '/Requests\/sec/ {print $2}')
  # A request that is refused must be refused: check one before trusting the figure.
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/api/me")
  [ "$code" = 200 ] || { echo "$demo: /api/me answered $code"; exit 1; }
  ratio=$(python3 -c "print(f'{$me / $health:.2f}')")
  echo "| $demo | $health | $me | **$ratio** |"
  kill $pid; wait $pid 2>/dev/null || true
  trap - EXIT
  rm -f "$out"
done

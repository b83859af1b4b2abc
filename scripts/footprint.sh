#!/usr/bin/env bash
# Prints cartwise's footprint on this machine: binary size, time from start to a healthy
# /healthz on a new data dir, and resident memory when idle and after 1,000 API writes.
# Usage: scripts/footprint.sh [path/to/cartwise]   (default: target/release/cartwise)
set -euo pipefail
bin=${1:-target/release/cartwise}
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
dir=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
url="http://127.0.0.1:$port"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
now_ms() { date +%s%3N; }

start=$(now_ms)
"$bin" serve --bind "127.0.0.1:$port" --data-dir "$dir/data" 2>"$dir/log" &
pid=$!
until curl -fs "$url/healthz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$dir/log" >&2; exit 1; }
    sleep 0.005
done
ready=$(( $(now_ms) - start ))
sleep 1
idle=$(rss_kib "$pid")

list=$(curl -fs -H 'content-type: application/json' -d '{"name":"Footprint"}' "$url/api/lists" \
    | sed -E 's/.*"id":([0-9]+).*/\1/')
t0=$(now_ms)
for i in $(seq 1 1000); do
    printf '{"product_name":"Item %d","current_price":%d.99}\n' "$i" "$((i % 50))"
done | while read -r body; do
    curl -fs -o /dev/null -H 'content-type: application/json' -d "$body" "$url/api/lists/$list/items"
done
writes=$(( $(now_ms) - t0 ))
loaded=$(rss_kib "$pid")
t0=$(now_ms)
for i in $(seq 1 100); do curl -fs -o /dev/null "$url/api/lists/$list/items"; done
reads=$(( $(now_ms) - t0 ))

echo "binary size:             $(( $(stat -c %s "$bin") / 1024 )) KiB"
echo "start to healthy:        ${ready} ms"
echo "idle RSS:                ${idle} KiB"
echo "RSS after 1,000 writes:  ${loaded} KiB"
echo "1,000 item creates:      ${writes} ms (one curl process each, sequential)"
echo "100 reads of 1,000 items: ${reads} ms (one curl process each, sequential)"

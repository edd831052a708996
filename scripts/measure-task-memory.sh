#!/bin/bash
# The hub's memory per finished task: RSS of `axiom serve` before and after N short tasks (8 at a
# time). A finished task stays in memory, listed, until retention lets it go (--keep-for,
# --keep-bytes), so this is what a hub left running grows by per task.
#
#   scripts/measure-task-memory.sh target/release/axiom 400
set -euo pipefail
bin=$(realpath "$1")
count=$2
rules=$(dirname "$(realpath "$0")")/../rules
state=$(mktemp -d)
chmod 700 "$state"
export AXIOM_STATE_DIR=$state
"$bin" serve --listen 127.0.0.1:0 --rules "$rules" >"$state/log" 2>&1 &
hub=$!
trap 'kill $hub 2>/dev/null || true; wait $hub 2>/dev/null || true; rm -rf "$state"' EXIT
for _ in $(seq 100); do [ -f "$state/hub.json" ] && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$hub/status"; }
# Warm up (the rules' automata, the runtime's threads), then count.
for _ in 1 2 3 4 5; do "$bin" client --command 'echo warm' >/dev/null 2>&1; done
sleep 1
before=$(rss)
seq "$count" | xargs -P 8 -I{} "$bin" client --command 'echo start; seq 1 50; echo done' >/dev/null 2>&1
# Finished tasks' output rings are handed to their histories every 5 s; wait past one.
sleep 7
after=$(rss)
echo "RSS ${before} KB -> ${after} KB after $count tasks: $(( (after - before) / count )) KB per finished task"

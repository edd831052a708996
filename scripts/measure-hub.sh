#!/usr/bin/env bash
# Measures a hub left running (issue 10): RSS and open files after many tasks, the CPU an idle
# hub uses, and how long `axiom client output` / `tail -n 2` take on large histories.
#
#   cargo build --release --bin axiom
#   scripts/measure-hub.sh [TASKS] [IDLE_SECS]        # defaults: 10000 tasks, 60 s idle
#   SIZES="8 32" AXIOM=target/debug/axiom scripts/measure-hub.sh 100 5   # a quick check
#
# Prints one line per figure; BENCHMARKS.md ("A hub left running") records a run.
set -euo pipefail
tasks=${1:-10000}
idle=${2:-60}
axiom=${AXIOM:-$(dirname "$0")/../target/release/axiom}
axiom=$(realpath "$axiom")
work=$(mktemp -d)
trap 'kill "$hub" 2>/dev/null || true; wait "$hub" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -m 700 "$work/state"
echo 'rules: []' >"$work/rules.yaml"
"$axiom" serve --listen 127.0.0.1:0 --state-dir "$work/state" --rules "$work/rules.yaml" 2>"$work/serve.log" &
hub=$!
until grep -q 'hub listening on' "$work/serve.log"; do sleep 0.1; done
export AXIOM_STATE_DIR=$work/state
client() { "$axiom" client "$@"; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$hub/status"; }
files() { ls "/proc/$hub/fd" | wc -l; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$hub/stat"; }

echo "hub pid $hub, axiom $("$axiom" --version)"
echo "before tasks: RSS $(rss) KiB, $(files) open files"
start=$(date +%s.%N)
seq "$tasks" | xargs -P 8 -I{} "$axiom" client --command 'echo task {}' >/dev/null 2>&1
end=$(date +%s.%N)
echo "$tasks tasks (8 clients at a time) in $(echo "$end - $start" | bc) s"
sleep 6 # finished tasks' rings are handed to their histories every 5 s
echo "after $tasks tasks: RSS $(rss) KiB, $(files) open files, $(ls "$work/state/tasks" | wc -l) histories"

before=$(cpu_ticks)
sleep "$idle"
echo "idle for $idle s: $(( $(cpu_ticks) - before )) clock ticks of CPU ($(getconf CLK_TCK) per second)"

for mib in ${SIZES:-8 32 128}; do
    lines=$((mib * 1024 * 1024 / 64))
    client --command "awk 'BEGIN { for (i = 0; i < $lines; i++) printf \"%063d\\n\", i }'" >/dev/null 2>"$work/spawn.log"
    id=$(grep -o 'task [a-z0-9]*' "$work/spawn.log" | head -1 | cut -d' ' -f2)
    start=$(date +%s.%N)
    bytes=$(client output "$id" | wc -c)
    mid=$(date +%s.%N)
    client tail -n 2 "$id" >/dev/null
    end=$(date +%s.%N)
    size=$(stat -c %s "$work/state/tasks/$id/events.jsonl")
    echo "output of $mib MiB ($bytes bytes, history $size bytes): $(echo "$mid - $start" | bc) s; tail -n 2: $(echo "$end - $mid" | bc) s"
done
echo "at the end: RSS $(rss) KiB, $(files) open files"

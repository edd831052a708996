#!/usr/bin/env bash
# Measures the rule pack against real agent transcripts:
#   1. recall and false fires on the labelled excerpts (`axiom rules test --corpus`), the corpus's
#      own and those labelled later (benches/corpus/heldout-ranges.jsonl, line ranges of its files),
#      and the synthetic sets in benches/corpus/ (synthetic.jsonl, synthetic-blind.jsonl,
#      synthetic-blind-3.jsonl … synthetic-blind-6.jsonl, review-cases.jsonl, review-figures.jsonl),
#   2. fires per MB of whole transcripts (`axiom check` over every file), per agent and per rule.
#
# Usage: scripts/measure-pack.sh [CORPUS_DIR] [--rules PATH]...
#   CORPUS_DIR defaults to ../shared/data/agent-transcripts (holding labelled.jsonl and text/AGENT/*).
#   Extra arguments go to axiom (e.g. --rules rules/ to measure a working copy; default: the
#   built-in pack). Needs jq. The corpus is not part of the repository (see its SOURCES.md):
#   when it is absent the script says so and exits 0.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-}
if [[ -z $corpus ]]; then
    # ../shared beside the repository (a worktree one level deeper also finds it)
    for candidate in "$root/../shared" "$root/../../shared"; do
        corpus=$candidate/data/agent-transcripts
        [[ -d $corpus ]] && break
    done
fi
[[ $# -gt 0 ]] && shift
if [[ ! -f $corpus/labelled.jsonl || ! -d $corpus/text ]]; then
    echo "measure-pack: no corpus at $corpus (labelled.jsonl and text/); skipped" >&2
    exit 0
fi
command -v jq >/dev/null || { echo "measure-pack: needs jq" >&2; exit 2; }

axiom=${AXIOM:-$root/target/release/axiom}
if [[ ! -x $axiom ]]; then
    cargo build --release --quiet --manifest-path "$root/Cargo.toml"
fi

echo "== labelled excerpts: $corpus/labelled.jsonl"
"$axiom" rules test "$@" --corpus "$corpus/labelled.jsonl"

# Excerpts labelled later, kept as line ranges of the corpus's transcripts (the transcripts may not
# be redistributed): each range is read out of its transcript here.
ranges=$root/benches/corpus/heldout-ranges.jsonl
heldout=$(mktemp)
while IFS= read -r record; do
    file=$corpus/$(jq -r .source_file <<<"$record")
    lines=$(jq -r '"\(.line_start),\(.line_end)p"' <<<"$record")
    jq -c --arg text "$(sed -n "$lines" "$file")" '. + {text: $text}' <<<"$record"
done <"$ranges" >"$heldout"
echo
echo "== excerpts labelled later: $ranges"
"$axiom" rules test "$@" --corpus "$heldout"
rm -f "$heldout"

echo
echo "== synthetic excerpts, written without the rules in view: $root/benches/corpus/synthetic.jsonl"
"$axiom" rules test "$@" --corpus "$root/benches/corpus/synthetic.jsonl"

echo
echo "== a second synthetic set, written blind (by a writer who never saw the rules): $root/benches/corpus/synthetic-blind.jsonl"
"$axiom" rules test "$@" --corpus "$root/benches/corpus/synthetic-blind.jsonl"

# Set 5 is on reported figures (invented, and honest reports of real output).
for set in 3 4 5 6; do
    echo
    echo "== blind set $set, written by a writer who saw neither rules nor code, measured unread when it came: $root/benches/corpus/synthetic-blind-$set.jsonl"
    "$axiom" rules test "$@" --corpus "$root/benches/corpus/synthetic-blind-$set.jsonl"
done

echo
echo "== a reviewer's cases, written with the rules in view to find their gaps (the pack was then tuned on them): $root/benches/corpus/review-cases.jsonl"
"$axiom" rules test "$@" --corpus "$root/benches/corpus/review-cases.jsonl"

echo
echo "== a reviewer's probes of figures-nothing-printed (the rule was then mended on them): $root/benches/corpus/review-figures.jsonl"
"$axiom" rules test "$@" --corpus "$root/benches/corpus/review-figures.jsonl"

echo
echo "== fires per MB over whole transcripts: $corpus/text"
printf '%-12s %6s %10s %7s %9s\n' agent files bytes fires fires/MB
total_bytes=0
total_fires=0
summaries=$(mktemp)
trap 'rm -f "$summaries"' EXIT
for dir in "$corpus"/text/*/; do
    agent=$(basename "$dir")
    # exit status 1 means "something fired", which is what is being counted
    summary=$("$axiom" check "$@" --quiet --format json "$dir"* 2>/dev/null | jq -c 'select(.type == "summary")' || true)
    echo "$summary" >>"$summaries"
    files=$(jq -r .files <<<"$summary")
    bytes=$(jq -r .bytes <<<"$summary")
    fires=$(jq -r .matches <<<"$summary")
    total_bytes=$((total_bytes + bytes))
    total_fires=$((total_fires + fires))
    printf '%-12s %6s %10s %7s %9.1f\n' "$agent" "$files" "$bytes" "$fires" "$(jq -n "$fires / ($bytes / 1000000)")"
done
printf '%-12s %6s %10s %7s %9.1f\n' all "" "$total_bytes" "$total_fires" "$(jq -n "$total_fires / ($total_bytes / 1000000)")"

echo
echo "== fires per rule over whole transcripts"
jq -s -r '[.[].by_rule | to_entries[]] | group_by(.key) | map({rule: .[0].key, fires: (map(.value) | add)})
          | map(select(.fires > 0)) | sort_by(-.fires)[] | "\(.fires)\t\(.rule)"' "$summaries"

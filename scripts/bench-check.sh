#!/usr/bin/env bash
# Times `axiom check --quiet` (on one core, `-j 1`, and on all cores) beside ripgrep and GNU grep
# on a large log, with the same patterns, for each rule set, and checks that all of them count the
# same matching lines. Every rule set and tool runs in the same interleaved rounds. Prints markdown
# for BENCHMARKS.md.
#
#   scripts/bench-check.sh
#   BENCH_MB=100 ROUNDS=3 scripts/bench-check.sh
#
# Environment:
#   BENCH_MB     size of the generated log in MB (default 300)
#   ROUNDS       interleaved rounds of every tool (default 5)
#   RSS_MB       input sizes for the max-RSS measurement, in MB (default "50 400"; "" skips it)
#   BENCH_RULES  rule files, space-separated (default "benches/rules.yaml benches/rules-heavy.yaml");
#                every pattern in them must be ERE-compatible
#   LOGHUB_DIR   the loghub samples (default /work/shared/data/loghub)
#   COMPARE_BIN  another axiom binary (say, a build from before a change) to time beside this one
#   AXIOM_BIN    the axiom binary to time (default: target/release/axiom, built first)
#
# The log is the 16 loghub samples (https://github.com/logpai/loghub; Jie Zhu, Shilin He, Pinjia He,
# Jinyang Liu, Michael R. Lyu, "Loghub: A Large Collection of System Log Datasets for AI-driven Log
# Analytics", ISSRE 2023), 2,000 lines each, mostly CRLF, concatenated and repeated. It is written to
# a temporary directory that is removed at exit.
#
# The machine is usually shared and noisy, so the runs are interleaved (axiom, rg, grep, axiom, ...)
# and the ratio to axiom is taken within each round, then the median over rounds is reported.
set -euo pipefail

# Paths given by the caller are relative to where they ran this from, not to the repository.
if [ -n "${BENCH_RULES:-}" ]; then
    resolved=""
    for file in $BENCH_RULES; do resolved+="$(realpath "$file") "; done
    BENCH_RULES=$resolved
fi
[ -z "${COMPARE_BIN:-}" ] || COMPARE_BIN=$(realpath "$COMPARE_BIN")
[ -z "${AXIOM_BIN:-}" ] || AXIOM_BIN=$(realpath "$AXIOM_BIN")
[ -z "${LOGHUB_DIR:-}" ] || LOGHUB_DIR=$(realpath "$LOGHUB_DIR")
cd "$(dirname "$0")/.."
root=$PWD
BENCH_MB=${BENCH_MB:-300}
ROUNDS=${ROUNDS:-5}
RSS_MB=${RSS_MB-50 400}
BENCH_RULES=${BENCH_RULES:-benches/rules.yaml benches/rules-heavy.yaml}
read -r -a sets <<<"$BENCH_RULES"

LOGHUB_DIR=${LOGHUB_DIR:-/work/shared/data/loghub}
COMPARE_BIN=${COMPARE_BIN:-}
axiom=$root/target/release/axiom
status=0

say() { printf '%s\n' "$*" >&2; }

shopt -s nullglob
logs=("$LOGHUB_DIR"/*.log)
if [ ${#logs[@]} -eq 0 ]; then
    say "no loghub samples in $LOGHUB_DIR (set LOGHUB_DIR)"
    exit 2
fi

if [ -n "${AXIOM_BIN:-}" ]; then
    axiom=$AXIOM_BIN
else
    say "building axiom (cargo build --release)"
    cargo build --release --quiet --bin axiom
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/axiom-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM # so the EXIT trap cleans up after Ctrl-C or `timeout` too

# --- The patterns, exported from the rule file ---------------------------------------------------
# One line per pattern: rule id, tab, ERE. Literals are escaped; regexes are copied as written.
# The exporter, run once per rule set below.
cat >"$tmp/export.py" <<'PY'
import re, sys

path = sys.argv[1]
text = open(path, encoding="utf-8").read()
if re.search(r"^\s*(unless|case_insensitive)\s*:", text, re.M):
    sys.exit(f"{path}: `unless` and `case_insensitive` have no rg/grep equivalent; bench rules must not use them")

def quoted(s, i):
    """A single-quoted YAML scalar starting at s[i] == "'": (value, index after it)."""
    assert s[i] == "'", f"expected a single-quoted string in: {s.strip()}"
    out, i = [], i + 1
    while True:
        j = s.index("'", i)
        out.append(s[i:j])
        if s.startswith("''", j):
            out.append("'")
            i = j + 2
        else:
            return "".join(out), j + 1

def ere_escape(literal):
    return re.sub(r"([.\[\]\\(){}|*+?^$])", r"\\\1", literal)

# Comments out, then every `- id:` and every `literals:`/`regex:` key in order; a flow list may go
# on over several lines.
text = "\n".join("" if line.lstrip().startswith("#") else line for line in text.splitlines())
rule, seen = None, {}
for m in re.finditer(r"^\s*-\s+id:\s*(\S+)|\b(literals|regex):\s*", text, re.M):
    if m.group(1):
        rule = m.group(1)
        seen[rule] = 0
        continue
    kind, i = m.group(2), m.end()
    values = []
    if text[i] == "[":
        i += 1
        while True:
            while text[i] in " ,\n":
                i += 1
            if text[i] == "]":
                break
            value, i = quoted(text, i)
            values.append(value)
    else:
        values.append(quoted(text, i)[0])
    for value in values:
        pattern = ere_escape(value) if kind == "literals" else value
        print(f"{rule}\t{pattern}")
        seen[rule] += 1
missing = [rule for rule, count in seen.items() if count == 0]
if missing:
    sys.exit(f"{path}: no pattern read for {', '.join(missing)} (write patterns as single-quoted scalars)")
PY
for s in "${!sets[@]}"; do
    python3 "$tmp/export.py" "${sets[$s]}" >"$tmp/rules.$s.tsv"
    cut -f2 "$tmp/rules.$s.tsv" >"$tmp/patterns.$s.txt"
    say "set $s: $(wc -l <"$tmp/patterns.$s.txt") patterns from $(cut -f1 "$tmp/rules.$s.tsv" | sort -u | wc -l) rules in ${sets[$s]}"
    if ! "$axiom" rules validate --rules "${sets[$s]}" >/dev/null 2>&1; then
        "$axiom" rules validate --rules "${sets[$s]}" >&2 || true
        exit 2
    fi
done

# --- The input -----------------------------------------------------------------------------------
# One copy of every sample, each ending with a line end (most samples lack a final one).
for log in "${logs[@]}"; do
    cat "$log"
    [ "$(tail -c1 "$log" | od -An -tx1 | tr -d ' ')" = 0a ] || printf '\r\n'
done >"$tmp/unit.log"
unit_bytes=$(stat -c %s "$tmp/unit.log")

# Writes at least $1 MB of repeated samples to stdout.
repeat_unit() {
    local copies=$(( ($1 * 1000000 + unit_bytes - 1) / unit_bytes ))
    for ((i = 0; i < copies; i++)); do cat "$tmp/unit.log"; done
}
repeat_unit "$BENCH_MB" >"$tmp/big.log"
big_bytes=$(stat -c %s "$tmp/big.log")
big_mb=$(awk -v b="$big_bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
say "input: $big_mb MB, $(wc -l <"$tmp/big.log") lines ($(( big_bytes / unit_bytes )) copies of the ${#logs[@]} loghub samples)"

# --- The tools -----------------------------------------------------------------------------------
# axiom-j1 is axiom on one core (`-j 1`); axiom uses every core (the default), as rg -c does not on
# one file. cmd[SET:TOOL] is the command line for rule set SET.
tools=(axiom-j1 axiom)
declare -A cmd bin
bin[axiom-j1]=$axiom
bin[axiom]=$axiom
if [ -n "$COMPARE_BIN" ]; then
    # Another axiom build (say, before a change), timed beside this one, on one core.
    tools+=(axiom-b)
    bin[axiom-b]=$COMPARE_BIN
fi
have_rg=0
command -v rg >/dev/null && have_rg=1
[ $have_rg -eq 1 ] || say "skipping ripgrep: rg is not installed (apt-get install -y ripgrep)"
[ $have_rg -eq 0 ] || tools+=(rg)
grep_version=$(grep --version 2>/dev/null | sed -n 1p || true)
if [[ $grep_version == *"GNU grep"* ]]; then
    tools+=(grep grep-C)
else
    say "skipping GNU grep: grep is missing or not GNU grep"
fi
for s in "${!sets[@]}"; do
    rules=${sets[$s]} patterns=$tmp/patterns.$s.txt
    cmd[$s:axiom-j1]="\"$axiom\" check --quiet -j 1 --rules \"$rules\" \"$tmp/big.log\""
    cmd[$s:axiom]="\"$axiom\" check --quiet --rules \"$rules\" \"$tmp/big.log\""
    cmd[$s:axiom-b]="\"$COMPARE_BIN\" check --quiet -j 1 --rules \"$rules\" \"$tmp/big.log\""
    cmd[$s:rg]="rg -c -f \"$patterns\" \"$tmp/big.log\""
    cmd[$s:grep]="grep -c -E -f \"$patterns\" \"$tmp/big.log\""
    # GNU grep is much faster in the C locale; axiom, like rg, always reads UTF-8.
    cmd[$s:grep-C]="env LC_ALL=C grep -c -E -f \"$patterns\" \"$tmp/big.log\""
done
if /usr/bin/time -f '' true 2>/dev/null; then
    gnu_time=1
else
    gnu_time=0
    say "no CPU times: /usr/bin/time is missing (apt-get install -y time)"
fi

# --- Do they agree? ------------------------------------------------------------------------------
# axiom counts a line once however many rules match it, like rg -c and grep -c.
axiom_count() { # binary, rule file, input → matched lines (and per-rule counts in $tmp/summary.json)
    local rc=0
    "$1" check --quiet --format json --rules "$2" "$3" >"$tmp/summary.json" 2>"$tmp/err" || rc=$?
    if [ $rc -gt 1 ]; then
        cat "$tmp/err" >&2
        exit 2
    fi
    grep -o '"matched_lines":[0-9]*' "$tmp/summary.json" | cut -d: -f2
}
declare -A count
for s in "${!sets[@]}"; do
    say ""
    say "matching lines with ${sets[$s]}:"
    for tool in "${tools[@]}"; do
        case $tool in
            axiom*) count[$s:$tool]=$(axiom_count "${bin[$tool]}" "${sets[$s]}" "$tmp/big.log") ;;
            *) count[$s:$tool]=$(eval "${cmd[$s:$tool]}" || [ $? -eq 1 ]) ;;
        esac
        [ -n "${count[$s:$tool]}" ] || count[$s:$tool]=0 # rg -c prints nothing when nothing matches
        say "  $(printf '%-9s %12s' "$tool" "${count[$s:$tool]}")"
        if [ "${count[$s:$tool]}" != "${count[$s:axiom-j1]}" ]; then
            say "  MISMATCH: $tool counts ${count[$s:$tool]} matching lines, axiom -j 1 ${count[$s:axiom-j1]}"
            status=1
        fi
    done
    # Per rule, on one copy of the samples: axiom's hits for the rule vs rg over its patterns.
    if [ $have_rg -eq 1 ]; then
        axiom_count "$axiom" "${sets[$s]}" "$tmp/unit.log" >/dev/null
        per_rule_bad=0
        for rule in $(cut -f1 "$tmp/rules.$s.tsv" | uniq); do
            awk -F'\t' -v r="$rule" '$1 == r { print $2 }' "$tmp/rules.$s.tsv" >"$tmp/one.txt"
            want=$(rg -c -f "$tmp/one.txt" "$tmp/unit.log" || true)
            got=$(grep -o "\"$rule\":[0-9]*" "$tmp/summary.json" | cut -d: -f2)
            if [ "${want:-0}" != "${got:-0}" ]; then
                say "  MISMATCH in rule $rule: axiom ${got:-0} lines, rg ${want:-0}"
                per_rule_bad=1
                status=1
            fi
        done
        [ $per_rule_bad -eq 1 ] || say "  per rule (one copy of the samples): axiom and rg agree on all $(cut -f1 "$tmp/rules.$s.tsv" | uniq | wc -l) rules"
    fi
done

# --- Timing --------------------------------------------------------------------------------------
cat "$tmp/big.log" >/dev/null # warm the page cache
declare -A wall cpu
say ""
for ((round = 1; round <= ROUNDS; round++)); do
    for s in "${!sets[@]}"; do
        line="round $round/$ROUNDS, set $s:"
        for tool in "${tools[@]}"; do
            # Output goes to a file, not /dev/null: GNU grep stops at the first match when it sees
            # that its output is /dev/null.
            start=$EPOCHREALTIME
            if [ $gnu_time -eq 1 ]; then
                eval "/usr/bin/time -f '%U %S' -o \"$tmp/cpu\" ${cmd[$s:$tool]}" >"$tmp/out" 2>&1 || [ $? -eq 1 ]
            else
                eval "${cmd[$s:$tool]}" >"$tmp/out" 2>&1 || [ $? -eq 1 ]
            fi
            end=$EPOCHREALTIME
            w=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
            wall[$s:$tool]+="$w "
            line+="  $tool ${w}s"
            if [ $gnu_time -eq 1 ]; then
                c=$(tail -n1 "$tmp/cpu" | awk '{ printf "%.2f", $1 + $2 }')
                cpu[$s:$tool]+="$c "
                line+=" (cpu ${c}s)"
            fi
        done
        say "$line"
    done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# The tool every ratio is taken to: rg when it is there (the issue's goals are stated against it).
base=axiom-j1
[ $have_rg -eq 0 ] || base=rg
# Per round, a tool's time / the base tool's time in the same round and set; the median of those.
ratio_median() { # set, tool, name of the times array
    local -n of=$3
    paste -d' ' <(tr ' ' '\n' <<<"${of[$1:$2]}" | grep .) <(tr ' ' '\n' <<<"${of[$1:$base]}" | grep .) |
        awk '{ printf "%s ", ($2 > 0 ? $1 / $2 : 0) }' | median
}

describe() {
    case $1 in
        axiom-j1) echo "$("$axiom" --version), -j 1" ;;
        axiom) echo "$("$axiom" --version), all cores" ;;
        axiom-b) echo "$("$COMPARE_BIN" --version), -j 1" ;;
        rg) rg --version | sed -n 1p ;;
        grep) echo "$grep_version, LANG=${LC_ALL:-${LANG:-unset}}" ;;
        grep-C) echo "$grep_version, LC_ALL=C" ;;
    esac
}

echo
echo "Input: $big_mb MB ($big_bytes bytes), $(wc -l <"$tmp/big.log") lines; $ROUNDS interleaved rounds;" \
    "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)."
for s in "${!sets[@]}"; do
    echo
    echo "\`${sets[$s]#"$root"/}\`: $(wc -l <"$tmp/patterns.$s.txt") patterns in $(cut -f1 "$tmp/rules.$s.tsv" | uniq | wc -l) rules," \
        "${count[$s:axiom-j1]} matching lines."
    echo
    echo "| tool | version | wall s (median) | MB/s | wall ÷ $base's | CPU s (median) | CPU ÷ $base's |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    for tool in "${tools[@]}"; do
        m=$(median <<<"${wall[$s:$tool]}")
        rate=$(awk -v b="$big_bytes" -v s="$m" 'BEGIN { printf "%.0f", b / 1e6 / s }')
        if [ $gnu_time -eq 1 ]; then
            c=$(median <<<"${cpu[$s:$tool]}")
            cr=$(ratio_median "$s" "$tool" cpu)
        else
            c=n/a cr=n/a
        fi
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$tool" "$(describe "$tool")" "$m" "$rate" \
            "$(ratio_median "$s" "$tool" wall)" "$c" "$cr"
    done
done

# --- Memory --------------------------------------------------------------------------------------
# Max RSS as the input grows; the input comes through a pipe, so nothing is mapped from a file.
if [ -n "$RSS_MB" ]; then
    if [ $gnu_time -eq 0 ]; then
        say "skipping max RSS: /usr/bin/time is missing (apt-get install -y time)"
    else
        echo
        echo "| input (stdin) | rule set | tool | max RSS (MB) |"
        echo "|---:|---|---|---:|"
        for mb in $RSS_MB; do
            for s in "${!sets[@]}"; do
                for tool in axiom-j1 axiom rg; do
                    case $tool in
                        axiom-j1) run=("$axiom" check --quiet -j 1 --rules "${sets[$s]}") ;;
                        axiom) run=("$axiom" check --quiet --rules "${sets[$s]}") ;;
                        rg) [ $have_rg -eq 1 ] || continue; run=(rg -c -f "$tmp/patterns.$s.txt") ;;
                    esac
                    repeat_unit "$mb" | /usr/bin/time -f '%M' -o "$tmp/rss" "${run[@]}" >"$tmp/out" 2>&1 || true
                    rss=$(tail -n1 "$tmp/rss" | awk '{ printf "%.1f", $1 / 1024 }')
                    echo "| $mb MB | set $s | $tool | $rss |"
                done
            done
        done
    fi
fi
exit $status

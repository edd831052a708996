#!/usr/bin/env bash
# The shipped binary's size and how fast it starts (issue 12): `scripts/measure-binary.sh [AXIOM] [RUNS]`
# (default target/release/axiom, 20 runs). Wall time of each command, timed with `date +%s%N`
# around it; prints the median and the maximum. The built-in pack is in force (no rules are found
# in an empty HOME and working directory).
set -euo pipefail
axiom=$(realpath "${1:-target/release/axiom}")
runs=${2:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home"
cd "$work"
export HOME=$work/home
unset AXIOM_RULES XDG_CONFIG_HOME

bytes=$(stat -c %s "$axiom")
echo "size: $bytes bytes ($(numfmt --to=iec-i --suffix=B "$bytes"))"

measure() {
    local times=()
    for _ in $(seq "$runs"); do
        local start end
        start=$(date +%s%N)
        "$axiom" "$@" >/dev/null 2>&1
        end=$(date +%s%N)
        times+=($(((end - start) / 1000)))
    done
    local sorted
    sorted=$(printf '%s\n' "${times[@]}" | sort -n)
    local median max
    median=$(echo "$sorted" | sed -n "$(((runs + 1) / 2))p")
    max=$(echo "$sorted" | tail -1)
    printf '%-22s p50 %6.1f ms, max %6.1f ms (%s runs)\n' "axiom $*" "$(bc <<<"scale=1; $median/1000")" \
        "$(bc <<<"scale=1; $max/1000")" "$runs"
}

measure --version
measure run -- true

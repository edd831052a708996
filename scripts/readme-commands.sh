#!/usr/bin/env bash
# Runs the README's commands exactly as written, as a user on a fresh machine would: every fenced
# ```sh block preceded by `<!-- ci: run -->`, line by line, from the repository's root. `.ci/run`
# calls it after the tests; tests/readme.rs checks that every ```sh block is marked `run` or
# `skip: REASON`.
#
# A line passes when it exits 0, or N when its comment starts with `exit N` (`axiom check` exits 1
# when a rule matched). HOME is a fresh temporary directory (so `~/.local/...` starts empty) and
# `cargo install` installs under it (CARGO_INSTALL_ROOT), ahead on PATH; cargo's own home and the
# repository's target/ stay where they are, so nothing is downloaded or built twice.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
export CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
export CARGO_TARGET_DIR=$root/target # where the README says the binary is
export CARGO_INSTALL_ROOT=$fresh/cargo-install
export HOME=$fresh/home
mkdir -p "$HOME"
export PATH=$CARGO_INSTALL_ROOT/bin:$CARGO_HOME/bin:$PATH
unset AXIOM_RULES AXIOM_STATE_DIR XDG_CONFIG_HOME XDG_STATE_HOME

# The marked blocks' lines, in order, without comment-only and empty lines.
commands=$(awk '
    /^<!-- ci: run -->$/ { armed = 1; next }
    armed && /^```sh$/ { inside = 1; armed = 0; next }
    inside && /^```$/ { inside = 0; next }
    inside && !/^[[:space:]]*(#|$)/ { print }
    !/^[[:space:]]*$/ { armed = 0 }
' README.md)
if [ -z "$commands" ]; then
    echo "readme-commands: no \`<!-- ci: run -->\` block in README.md" >&2
    exit 1
fi

failed=0
count=0
while IFS= read -r line; do
    count=$((count + 1))
    expected=0
    if [[ $line =~ \#[[:space:]]*exit[[:space:]]+([0-9]+) ]]; then
        expected=${BASH_REMATCH[1]}
    fi
    printf '\n$ %s\n' "$line"
    bash -c "$line" </dev/null
    status=$?
    if [ "$status" -ne "$expected" ]; then
        echo "readme-commands: exit $status, expected $expected: $line" >&2
        failed=$((failed + 1))
    fi
done <<<"$commands"

echo
echo "readme-commands: $count commands, $failed failed"
[ "$failed" -eq 0 ]

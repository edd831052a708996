#!/usr/bin/env python3
"""How `axiom hook` decides ordinary and dangerous Bash calls: every line of a corpus is sent as
one PreToolUse event, and the decisions are counted.

    python3 scripts/measure-tool-calls.py AXIOM_BIN [CORPUS ...] [-- HOOK_ARGS ...]

TOOL_CALLS_CWD=DIR runs the calls in DIR (default: a directory that does not exist, so no rule knows
the git branch checked out). Default corpora: benches/corpus/tool-calls-ordinary.txt (commands coding agents run in a
project: each refusal is a false positive to read) and benches/corpus/tool-calls-dangerous.txt
(each call let through is a miss to read), and the -b pair, written later by a helper who had not
seen the rules (some lines added after reading them; the pack was then tuned on its misses), and the
-c pair, written blind by another helper and measured before the pack was tuned on it (BENCHMARKS.md,
twenty-fourth round), and the -d pair, written blind the same way by a third helper, for a project at
/home/dev/work/app (twenty-sixth round; TOOL_CALLS_CWD=/home/dev/work/app judges it there). In a corpus line, `<NL>` stands for a line
break.
Prints, per corpus, how many calls were refused, asked about (an `ask` rule: Claude Code asks its
user under `axiom hook`; a supervised task's call is refused) and let through, then every ordinary
call refused or asked about and every dangerous call let through, with the rules that fired.
"""
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# Where the calls run: a directory that does not exist by default, so no rule knows the git branch
# checked out; TOOL_CALLS_CWD=DIR judges them in DIR's repository (`on_branch` rules).
CWD = os.environ.get("TOOL_CALLS_CWD", "/tmp/project")
CORPORA = [os.path.join(HERE, "..", "benches", "corpus", f"tool-calls-{kind}.txt")
           for kind in ("ordinary", "dangerous", "ordinary-b", "dangerous-b", "ordinary-c", "dangerous-c",
                         "ordinary-d", "dangerous-d")]


def decide(axiom, hook_args, state, command):
    event = {"hook_event_name": "PreToolUse", "session_id": "measure", "cwd": CWD,
             "tool_name": "Bash", "tool_input": {"command": command}}
    done = subprocess.run([axiom, "hook", *hook_args], input=json.dumps(event), capture_output=True, text=True,
                          env={**os.environ, "AXIOM_STATE_DIR": state})
    if "panicked" in done.stderr or done.returncode not in (0, 2):
        return "error", [done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"]
    decision = re.search(r'"permissionDecision":"(deny|ask)"', done.stdout)
    decided = {"deny": "refused", "ask": "asked"}[decision.group(1)] if decision else "allowed"
    return decided, re.findall(r"axiom rule ([a-z0-9-]+)", done.stdout)


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    hook_args = args[args.index("--") + 1:] if "--" in args else []
    args = args[:args.index("--")] if "--" in args else args
    axiom, corpora = args[0], args[1:] or CORPORA
    with tempfile.TemporaryDirectory() as state, concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        os.chmod(state, 0o700)
        for corpus in corpora:
            with open(corpus) as lines:
                commands = [line.rstrip("\n").replace("<NL>", "\n") for line in lines if line.strip()]
            decided = list(pool.map(lambda c: (c, *decide(axiom, hook_args, state, c)), commands))
            counts = {kind: sum(1 for _, d, _ in decided if d == kind) for kind in ("refused", "asked", "allowed", "error")}
            print(f"== {os.path.basename(corpus)}: {len(commands)} calls, {counts['refused']} refused, "
                  f"{counts['asked']} asked about, {counts['allowed']} let through, {counts['error']} errors")
            notable = ("allowed",) if "dangerous" in os.path.basename(corpus) else ("refused", "asked")
            for command, decision, rules in decided:
                if decision in (*notable, "error"):
                    shown = command.replace("\n", "<NL>")
                    print(f"  {decision:8} {','.join(rules):40} {shown[:150]}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Times commands in alternation and reports each one's CPU and wall time.

    python3 scripts/alternate.py RUNS COMMAND... [-- COMMAND...]...

Each round runs every command once, in order, with its output discarded; CPU is the child's user
plus system time (from `rusage`). Printed per command: the minimum and the mean of the fastest half
of the runs, for CPU and for wall time, in milliseconds. On a shared machine the minimum and the
fast half are steadier than a median, and alternating puts every command under the same noise.

    python3 scripts/alternate.py 20 \\
        ./before check -q -j1 --rules benches/rules-heavy.yaml big.log -- \\
        ./after check -q -j1 --rules benches/rules-heavy.yaml big.log

With ALTERNATE_STDIN=FILE every command reads FILE on its standard input (a hook's event):

    ALTERNATE_STDIN=pre-tool-use.json python3 scripts/alternate.py 25 ./before hook -- ./after hook
"""
import os
import resource
import statistics
import subprocess
import sys
import time


def parse(argv):
    if len(argv) < 2 or not argv[0].isdigit() or int(argv[0]) < 1:
        sys.exit(__doc__)
    commands, current = [], []
    for arg in argv[1:]:
        if arg == "--":
            if current:
                commands.append(current)
            current = []
        else:
            current.append(arg)
    if current:
        commands.append(current)
    if not commands:
        sys.exit(__doc__)
    return int(argv[0]), commands


def main():
    runs, commands = parse(sys.argv[1:])
    stdin_path = os.environ.get("ALTERNATE_STDIN")
    given = open(stdin_path, "rb").read() if stdin_path else None
    cpu = [[] for _ in commands]
    wall = [[] for _ in commands]
    for _ in range(runs):
        for index, command in enumerate(commands):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            try:
                subprocess.run(command, input=given, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            except OSError as err:
                sys.exit(f"{command[0]}: {err}")
            wall[index].append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[index].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    half = max(1, runs // 2)
    for index, command in enumerate(commands):
        c, w = sorted(cpu[index]), sorted(wall[index])
        shown = " ".join(os.path.basename(arg) if i == 0 else arg for i, arg in enumerate(command))
        print(
            f"cpu min {c[0] * 1000:.1f} fast-half {statistics.mean(c[:half]) * 1000:.1f} | "
            f"wall min {w[0] * 1000:.1f} fast-half {statistics.mean(w[:half]) * 1000:.1f} ms  {shown}"
        )


if __name__ == "__main__":
    main()

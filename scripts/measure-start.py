#!/usr/bin/env python3
"""Start-up of the axiom binary with the built-in pack: wall and CPU time (user + sys) per run.

    scripts/measure-start.py [AXIOM_BINARY] [RUNS]

Times `axiom --version`, `axiom check -q` on a 2-line file, and `axiom hook` answering a PreToolUse
event (allowed `ls -la`, denied `rm -rf /`), each run from a temporary directory so no project rules
are read. The CPU column is what to compare on a shared machine: wall time includes waiting for a CPU.
"""
import os, resource, statistics, subprocess, sys, tempfile, time

binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/axiom")
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20

def measure(argv, stdin_text=None):
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(argv, input=stdin_text, capture_output=True, text=True)
        wall.append((time.perf_counter() - start) * 1e3)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1e3)
        if done.returncode not in (0, 1):
            sys.exit(f"{argv} failed ({done.returncode}): {done.stderr}")
    return (f"wall p50 {statistics.median(wall):6.1f} ms, min {min(wall):6.1f}, max {max(wall):6.1f} | "
            f"CPU p50 {statistics.median(cpu):5.1f} ms, max {max(cpu):5.1f}")

with tempfile.TemporaryDirectory() as tmp:
    os.chdir(tmp)
    with open("small.txt", "w") as f:
        f.write("hello world\nnothing here\n")
    pre = '{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"%s"}}'
    print(f"{binary}, {runs} runs each, load average {os.getloadavg()[0]:.1f}")
    print("axiom --version                 ", measure([binary, "--version"]))
    print("axiom check -q small.txt        ", measure([binary, "check", "-q", "small.txt"]))
    print("axiom hook (PreToolUse, allow)  ", measure([binary, "hook"], pre % "ls -la"))
    print("axiom hook (PreToolUse, deny)   ", measure([binary, "hook"], pre % "rm -rf /"))

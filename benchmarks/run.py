#!/usr/bin/env python3
"""Run every benchmarks/bench_*.py and assemble benchmarks/RESULTS.md from their Markdown output.

Each bench script prints one Markdown section (starting with '## ') on stdout and exits 0. Benches
compare ratios measured in the same run: absolute times on this shared machine are noise.
Usage: benchmarks/run.py [name ...]   (name = bench_<name>.py; default: all)
"""
import datetime
import glob
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    wanted = set(argv)
    sections = {}
    results = os.path.join(HERE, "RESULTS.md")
    scripts = sorted(glob.glob(os.path.join(HERE, "bench_*.py")))
    failed = []
    for script in scripts:
        name = os.path.basename(script)[len("bench_"):-3]
        if wanted and name not in wanted:
            continue
        print("== bench %s" % name, flush=True)
        proc = subprocess.run([sys.executable, script], stdout=subprocess.PIPE)
        text = proc.stdout.decode()
        if proc.returncode != 0:
            failed.append(name)
            text += "\n**bench %s failed with exit code %d**\n" % (name, proc.returncode)
        sections[name] = text.strip()
        print(text, flush=True)
    header = [
        "# Benchmark results",
        "",
        "Produced by `make bench` (benchmarks/run.py) on %s, %s, %d cores, Python %s." % (
            datetime.date.today().isoformat(), platform.platform(), os.cpu_count(), platform.python_version()),
        "Figures are medians of interleaved runs; read the ratios, not the absolute times (shared, noisy cores).",
        "",
    ]
    # Keep sections of benches that were not re-run this time.
    if wanted and os.path.exists(results):
        old = open(results).read().split("\n<!-- bench:")
        for chunk in old[1:]:
            name, _, body = chunk.partition(" -->\n")
            sections.setdefault(name, body.strip())
    body = ["\n<!-- bench:%s -->\n%s\n" % (n, sections[n]) for n in sorted(sections)]
    with open(results, "w") as fh:
        fh.write("\n".join(header) + "".join(body))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

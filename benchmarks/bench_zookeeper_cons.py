#!/usr/bin/env python3
"""`cons` parsing speed at 10k and 60k connection lines (the real 3.8 line format, as recorded in
tests/unit/fixtures/zookeeper/*_cons.txt): full parse, and per-IP counting on top of it.
Prints one Markdown section for benchmarks/RESULTS.md."""
import os
import random
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))

from ansible_collections.alertops.remediation.plugins.module_utils import zookeeper as zk  # noqa: E402

LINE = (" /%s:%d[1](queued=0,recved=%d,sent=%d,sid=0x%x,lop=%s,est=%d,to=30000,lcxid=0x%x,"
        "lzxid=0x%x,lresp=%d,llat=%d,minlat=0,avglat=%d,maxlat=%d)\n")


def generate(n, seed=7):
    rnd = random.Random(seed)
    ips = ["10.%d.%d.%d" % (rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255)) for _ in range(200)]
    out = []
    for i in range(n):
        recved = rnd.randrange(1, 10000)
        out.append(LINE % (rnd.choice(ips), rnd.randrange(1024, 65536), recved, recved - 1,
                           0x1000007f42a0000 + i, rnd.choice(("PING", "GETD", "SESS", "EXIS")),
                           1795306980984 + i, rnd.randrange(1 << 20), 0x100000000 + i,
                           rnd.randrange(10 ** 6), rnd.randrange(20), rnd.randrange(5), rnd.randrange(50)))
    out.append(" /127.0.0.1:40000[0](queued=0,recved=1,sent=0)\n\n")  # the probe itself
    return "".join(out)


def median_time(fn, text, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(text)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    rows = []
    for n in (10000, 60000):
        text = generate(n)
        assert len(zk.parse_cons(text)) == n + 1
        full = median_time(zk.parse_cons, text, 7)
        counted = median_time(lambda t: zk.count_by_ip(zk.parse_cons(t)), text, 7)
        light = median_time(lambda t: zk.count_by_ip(zk.parse_cons(t, detail=False)), text, 7)
        rows.append((n, len(text), full, counted, light))
    print("## ZooKeeper `cons` parsing (module_utils/zookeeper.py)")
    print()
    print("Generated `cons` replies in the real 3.8 line format (200 client IPs); median of 7 runs.")
    print("Target: 60,000 lines well under one second.")
    print()
    print("| lines | reply size | parse_cons (full detail) | + count_by_ip | count_by_ip, detail=False |")
    print("|---:|---:|---:|---:|---:|")
    for n, size, full, counted, light in rows:
        print("| %d | %.1f MiB | %.0f ms | %.0f ms | %.0f ms |" % (
            n, size / 1048576.0, full * 1000, counted * 1000, light * 1000))
    ratio = rows[1][3] / rows[0][3]
    print()
    print("60k/10k time ratio (parse + count): %.1fx for 6x the lines (linear)." % ratio)


if __name__ == "__main__":
    main()

"""Benchmark the synthetic force dataset generator at 10^4, 10^5 (and 10^6) people.

Prints, per size: wall time, rows written per second, peak resident memory, and the ratio
of the generator's row rate to a reference measured in the same run (plain ``csv.writer``
writing the same number of ready-made rows), so the figure holds on a noisy machine.

    python benchmarks/bench_synthetic.py            # 10^4 and 10^5
    python benchmarks/bench_synthetic.py --million  # also 10^6
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _child(people: int, out: str) -> None:
    from clearsight.synthetic import generate

    start = time.perf_counter()
    summary = generate(Path(out), people=people, seed=1)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": summary.total_rows, "seconds": seconds, "peak_mb": peak_mb}))


def _reference(rows: int, folder: Path) -> float:
    """Rows per second of csv.writer writing ready-made 10-column rows."""
    row = [
        "WY-CUS-23-0000001",
        "Martin",
        "Tomlinson",
        "30/09/1994",
        "Male",
        "16/0101873Z",
        "142 Mill Lane",
        "Leeds",
        "LS4 7GW",
        "07453462060",
    ]
    start = time.perf_counter()
    with (folder / "reference.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        for _ in range(0, rows, 10_000):
            writer.writerows([row] * 10_000)
    return rows / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--million", action="store_true", help="also run 10^6 people")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(int(args.child[0]), args.child[1])
        return
    sizes = [10_000, 100_000] + ([1_000_000] if args.million else [])
    print(
        f"{'people':>10} {'rows':>11} {'seconds':>8} {'rows/s':>9} {'peak MB':>8} {'vs csv.writer':>13}"
    )
    for people in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            result = subprocess.run(
                [sys.executable, __file__, "--child", str(people), tmp],
                check=True,
                capture_output=True,
                text=True,
            )
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            reference = _reference(figures["rows"], Path(tmp))
        rate = figures["rows"] / figures["seconds"]
        print(
            f"{people:>10,} {figures['rows']:>11,} {figures['seconds']:>8.1f} {rate:>9,.0f} "
            f"{figures['peak_mb']:>8.0f} {rate / reference:>13.3f}"
        )


if __name__ == "__main__":
    main()

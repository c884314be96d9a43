"""Benchmark Merkle proof generation and verification against recomputing the root.

Run from the repository root::

    .venv/bin/python benchmarks/bench_merkle.py            # 10^4, 10^5, 10^6 leaves
    .venv/bin/python benchmarks/bench_merkle.py --sizes 1000 --samples 200

For each tree size the script builds a :class:`MemoryNodeStore`, then times (averaged over
random leaves and sizes) inclusion and consistency proof generation from stored nodes, and
their verification, next to the reference cost of recomputing the root from every leaf
hash.  The target is an inclusion proof at 10^6 entries in at most 10 ms.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence

from clearsight.governance.merkle import (
    MemoryNodeStore,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

TARGET_MS = 10.0


def _mean_us(fn: Callable[[int], object], args: Sequence[int]) -> float:
    start = time.perf_counter()
    for a in args:
        fn(a)
    return (time.perf_counter() - start) / len(args) * 1e6


def bench(n: int, samples: int, rng: random.Random) -> dict[str, float]:
    """Time the operations on a tree of ``n`` leaves.

    Args:
        n: Number of leaves.
        samples: Number of random leaves/sizes to average over.
        rng: Random source for the sampled indices.

    Returns:
        Timings in microseconds (``*_us``) or seconds (``*_s``).
    """
    hashes = [leaf_hash(b"audit-entry-%d" % i) for i in range(n)]
    start = time.perf_counter()
    store = MemoryNodeStore.from_leaf_hashes(hashes)
    build_s = time.perf_counter() - start

    start = time.perf_counter()
    reference_root = root_from_leaf_hashes(hashes)
    reference_s = time.perf_counter() - start

    start = time.perf_counter()
    tree_root = root(store, n)
    root_us = (time.perf_counter() - start) * 1e6
    if tree_root != reference_root:
        raise AssertionError(f"root mismatch at n={n}")

    indices = [rng.randrange(n) for _ in range(samples)]
    proofs = {i: inclusion_proof(store, i, n) for i in indices}
    incl_us = _mean_us(lambda i: inclusion_proof(store, i, n), indices)
    incl_verify_us = _mean_us(
        lambda i: verify_inclusion(hashes[i], i, n, proofs[i], tree_root), indices
    )
    if not all(verify_inclusion(hashes[i], i, n, proofs[i], tree_root) for i in indices):
        raise AssertionError(f"inclusion proof failed at n={n}")

    olds = [rng.randrange(1, n) for _ in range(samples)]
    old_roots = {m: root(store, m) for m in olds}
    cproofs = {m: consistency_proof(store, m, n) for m in olds}
    cons_us = _mean_us(lambda m: consistency_proof(store, m, n), olds)
    cons_verify_us = _mean_us(
        lambda m: verify_consistency(m, n, old_roots[m], tree_root, cproofs[m]), olds
    )
    if not all(verify_consistency(m, n, old_roots[m], tree_root, cproofs[m]) for m in olds):
        raise AssertionError(f"consistency proof failed at n={n}")

    return {
        "build_s": build_s,
        "reference_root_s": reference_s,
        "root_us": root_us,
        "inclusion_us": incl_us,
        "inclusion_verify_us": incl_verify_us,
        "consistency_us": cons_us,
        "consistency_verify_us": cons_verify_us,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print one row per tree size.

    Args:
        argv: Command-line arguments (without the program name).

    Returns:
        0 if the inclusion proof target was met at every size, 1 otherwise.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**4, 10**5, 10**6])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=6962)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    header = (
        f"{'leaves':>9}  {'build s':>8}  {'ref root s':>10}  {'root us':>8}  "
        f"{'incl us':>8}  {'verify us':>9}  {'cons us':>8}  {'verify us':>9}"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for n in args.sizes:
        r = bench(n, args.samples, rng)
        print(
            f"{n:>9}  {r['build_s']:>8.2f}  {r['reference_root_s']:>10.3f}  "
            f"{r['root_us']:>8.1f}  {r['inclusion_us']:>8.1f}  "
            f"{r['inclusion_verify_us']:>9.1f}  {r['consistency_us']:>8.1f}  "
            f"{r['consistency_verify_us']:>9.1f}"
        )
        ok = ok and r["inclusion_us"] / 1000 <= TARGET_MS
    print(
        f"\ninclusion proof target <= {TARGET_MS:.0f} ms per proof: {'met' if ok else 'MISSED'}"
        f" (averages over {args.samples} random leaves/sizes; 'ref root' recomputes the root"
        " from every leaf hash)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

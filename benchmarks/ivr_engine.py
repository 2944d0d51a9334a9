"""IVR engine costs, run by hand: CEL conditions, a whole simulated call, checking the shipped flows.

    python benchmarks/ivr_engine.py [--rounds 7]

Prints the median of each measurement over the rounds, and the ratio of evaluating a condition
from source each time (``cel.evaluate``) to running the program compiled once at load time.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time
from pathlib import Path

import cel

from callcenter.ivr.catalog import FlowCatalog
from callcenter.ivr.conditions import Condition
from callcenter.ivr.simulate import parse_digits, simulate
from callcenter.ivr.validate import CheckOptions, check_paths

FLOWS = Path(__file__).parents[1] / "ivr_flows"
EXPRESSION = 'customer.segment == "gold" || (has(customer.value) && customer.value >= 10000)'
CONTEXT = {"customer": {"found": True, "segment": "standard", "value": 25000}, "caller": {"number": "+15551230002"}}
CUSTOMERS = [{"id": 2, "phone": "+15551230002", "account": "5678", "segment": "standard"}]


def per_call_us(fn, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        fn()
    return (time.perf_counter() - start) / count * 1e6


async def calls_per_second(catalog: FlowCatalog, count: int) -> float:
    at = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
    start = time.perf_counter()
    for _ in range(count):
        await simulate(
            catalog, "main-menu", caller="+15559990000", digits=parse_digits("5678#,1"), at=at, customers=CUSTOMERS
        )
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    compiled = Condition(EXPRESSION)
    catalog = FlowCatalog.from_directory(FLOWS)
    rows: dict[str, list[float]] = {"compiled": [], "evaluate": [], "calls": [], "check": []}
    for _ in range(args.rounds):
        rows["compiled"].append(per_call_us(lambda: compiled.evaluate(CONTEXT), 20_000))
        rows["evaluate"].append(per_call_us(lambda: cel.evaluate(EXPRESSION, CONTEXT), 5_000))
        rows["calls"].append(asyncio.run(calls_per_second(catalog, 300)))
        start = time.perf_counter()
        check_paths([FLOWS], CheckOptions(queues=frozenset({"support", "sales"})))
        rows["check"].append((time.perf_counter() - start) * 1e3)
    compiled_us, evaluate_us = statistics.median(rows["compiled"]), statistics.median(rows["evaluate"])
    print(f"CEL condition, compiled once:       {compiled_us:8.2f} us per evaluation (median of {args.rounds})")
    print(f"CEL condition, cel.evaluate source: {evaluate_us:8.2f} us per evaluation")
    print(f"  ratio evaluate / compiled:        {evaluate_us / compiled_us:8.2f}x")
    print(f"simulated main-menu calls:          {statistics.median(rows['calls']):8.0f} calls/s (11-12 nodes each)")
    print(f"flows check of ivr_flows/:          {statistics.median(rows['check']):8.1f} ms")


if __name__ == "__main__":
    main()

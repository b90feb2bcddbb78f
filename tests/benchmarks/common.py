"""Shared shape of every benchmark's output: human lines first, then one JSON line."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable


def median_seconds(fn: Callable[[], object], repeat: int = 5) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def emit(bench: str, metric: str, value: float, baseline: float, unit: str, **extra: object) -> dict:
    """Print the closing JSON line every benchmark ends with (ratio = value / baseline)."""
    record = {
        "bench": bench,
        "metric": metric,
        "value": round(value, 6),
        "baseline": round(baseline, 6),
        "ratio": round(value / baseline, 4) if baseline else None,
        "unit": unit,
        **extra,
    }
    print(json.dumps(record, ensure_ascii=False))
    return record

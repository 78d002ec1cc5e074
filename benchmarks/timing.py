"""How the benchmarks time things: the best of several runs, the least disturbed by other work."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_ms(action: Callable[[], object], repeat: int) -> float:
    """Fastest of `repeat` runs of `action`, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)

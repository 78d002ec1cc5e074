"""How the benchmarks time things: the best of several runs, or medians of rounds taken in turn."""

from __future__ import annotations

import statistics
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


def median_ms(actions: dict[str, Callable[[], object]], repeat: int,
              ) -> dict[str, tuple[float, float]]:
    """Median wall and CPU time (ms) of each action over `repeat` rounds, after one untimed
    warm-up round; the actions take turns within a round, so a burst of load from other work
    on a shared machine falls on all of them alike. CPU time (`time.process_time`) is this
    process's own, the least disturbed by others."""
    for action in actions.values():
        action()
    wall: dict[str, list[float]] = {name: [] for name in actions}
    cpu: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            action()
            wall[name].append((time.perf_counter() - start) * 1000)
            cpu[name].append((time.process_time() - start_cpu) * 1000)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name]))
            for name in actions}

"""Timing helper shared by the bench scripts (run them as ``python bench/<script>.py``)."""
import time


def best_of(fn, repeats):
    """The shortest of ``repeats`` wall-clock times of ``fn()``, in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)

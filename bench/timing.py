"""Timing and memory helpers shared by the bench scripts (run them as ``python bench/<script>.py``)."""
import os
import threading
import time


def best_of(fn, repeats):
    """The shortest of ``repeats`` wall-clock times of ``fn()``, in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def rss_bytes():
    """Resident memory of this process (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(fn):
    """(seconds, peak extra MB, result): wall-clock time of ``fn()`` and its peak
    resident memory above the start, sampled every 5 ms."""
    start = rss_bytes()
    peak = [start]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_bytes())
            time.sleep(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    t0 = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t0
    stop.set()
    thread.join()
    peak[0] = max(peak[0], rss_bytes())
    return elapsed, (peak[0] - start) / 1e6, result

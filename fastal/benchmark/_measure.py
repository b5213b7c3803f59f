"""Wall-clock time and peak resident memory of one call, and the machine's rates."""
import os
import platform
import sys
import threading
import time

import numpy as np


def rss_bytes():
    """Resident memory of this process in bytes, or None where /proc is missing."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError, IndexError):
        return None


def _reset_peak():
    """Reset this process's peak resident memory (Linux: 5 into
    /proc/self/clear_refs); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return _peak_bytes() is not None
    except OSError:
        return False


def _peak_bytes():
    """This process's peak resident memory since the last reset (VmHWM), or None."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def measure(fn, interval=0.005):
    """(seconds, peak extra MB or None, result) of ``fn()``.

    The peak is the resident memory's high-water mark above the resident
    memory at the start.  Where the kernel can reset that mark (Linux), it is
    reset before the call and read after it, so nothing runs beside ``fn``;
    elsewhere the resident memory is sampled every ``interval`` seconds in a
    thread (which takes a little of a core from ``fn``'s threads, and can miss
    a short peak).  None where the platform has no /proc/self/statm.
    """
    start = rss_bytes()
    if start is None:
        t0 = time.perf_counter()
        result = fn()
        return time.perf_counter() - t0, None, result
    if _reset_peak():
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
        high = _peak_bytes()
        return elapsed, None if high is None else (max(high, start) - start) / 1e6, result
    peak = [start]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            value = rss_bytes()
            if value is not None and value > peak[0]:
                peak[0] = value
            time.sleep(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    t0 = time.perf_counter()
    try:
        result = fn()
    finally:
        elapsed = time.perf_counter() - t0
        stop.set()
        thread.join()
    peak[0] = max(peak[0], rss_bytes() or 0)
    return elapsed, (peak[0] - start) / 1e6, result


def best_time(fn, repeats):
    """The shortest wall-clock time of ``repeats`` calls of ``fn()``, in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def gemm_rate(dtype, size=2000, repeats=3):
    """Floating-point operations per second of size x size x size matrix products."""
    A = np.random.default_rng(1).normal(size=(size, size)).astype(dtype)
    B = A.T.copy()
    return 2.0 * size ** 3 / best_time(lambda: A @ B, repeats)


def copy_bandwidth(megabytes=256, repeats=3):
    """Bytes per second read and written by a copy of a ``megabytes`` array."""
    src = np.ones(max(1, int(megabytes * 1e6) // 8))
    dst = np.empty_like(src)
    seconds = best_time(lambda: np.copyto(dst, src), repeats)
    return 2.0 * src.nbytes / seconds


def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _version(module):
    try:
        mod = __import__(module)
        return getattr(mod, "__version__", "unknown")
    except ImportError:
        return None


def machine_info():
    """CPU, cores, BLAS libraries and versions: what a timing depends on."""
    import fastal
    from fastal._config import available_cpus
    info = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cpus_available": available_cpus(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "backend_default": fastal.get_backend(),
        "versions": {name: _version(name) for name in
                     ("fastal", "numpy", "scipy", "sklearn", "threadpoolctl")},
        "blas": [],
    }
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = [{k: d.get(k) for k in ("user_api", "internal_api", "version",
                                                 "num_threads", "architecture", "filepath")}
                        for d in threadpool_info()]
    except Exception as exc:  # threadpoolctl missing or failing: say so, never stop
        info["blas"] = [{"error": repr(exc)}]
    return info

"""Benchmarks of fastal against its NumPy twin and the installed peers.

``python -m fastal.benchmark --help``; the cases are ``fastal.benchmark.CASES``
(also used by the pytest-benchmark suite).
"""
from fastal.benchmark._measure import best_time, gemm_rate, measure, rss_bytes
from fastal.benchmark.cases import (CASES, NUMPY_INCREMENTAL, Case, Peer, case_names, get_cases,
                                    make_inputs, numpy_max_min)
from fastal.benchmark.cli import compare, load_data, main, run_case

__all__ = ["CASES", "Case", "Peer", "case_names", "compare", "get_cases", "load_data", "main",
           "make_inputs", "measure", "rss_bytes", "run_case", "best_time", "gemm_rate",
           "numpy_max_min", "NUMPY_INCREMENTAL"]

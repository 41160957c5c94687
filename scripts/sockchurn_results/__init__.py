"""sockchurn results: read Google Benchmark JSON, summarise, compare, chart data.

Pure functions over pandas DataFrames; ``load`` is the only I/O.
"""

from .loading import Results, ResultsError, load, parse_results
from .names import parse_name, split_aggregate
from .report import (FORMATS, chart_provenance, compare_ratio_report, compare_runs_report,
                     errors_report, provenance, ratio_report, render, runs_report,
                     syscall_report)
from .stats import (BASELINES, MIN_U_REPETITIONS, REUSE, compare_ratio_tables, compare_runs,
                    errored_runs, higher_is_better, overlap, placements, ratio_key_columns,
                    ratio_table, run_order, series, speedup_series, summarize, syscall_table,
                    u_test)

__all__ = [
    "Results", "ResultsError", "load", "parse_results", "parse_name", "split_aggregate",
    "summarize", "run_order", "ratio_table", "ratio_key_columns", "syscall_table",
    "errored_runs", "overlap", "compare_ratio_tables", "compare_runs", "u_test",
    "higher_is_better", "placements", "series", "speedup_series",
    "provenance", "chart_provenance", "ratio_report", "syscall_report", "errors_report",
    "runs_report", "compare_ratio_report", "compare_runs_report", "render", "FORMATS",
    "REUSE", "BASELINES", "MIN_U_REPETITIONS",
]

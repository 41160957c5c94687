"""sockchurn results: read Google Benchmark JSON, summarise, compare, chart data.

Pure functions over pandas DataFrames; ``load`` is the only I/O.
"""

from .chartdata import placements, series, speedup_series
from .comparing import (compare_ratio_tables, compare_runs, context_differences, overlap,
                        runs_summary)
from .loading import Results, ResultsError, load, load_document, parse_results
from .names import parse_name, run_key, split_aggregate
from .report import (FORMATS, chart_provenance, compare_ratio_report, compare_runs_report,
                     errors_report, provenance, ratio_report, render, runs_report,
                     syscall_report)
from .sections import conntrack_table, has_section, main_sweep, tw_reuse_table
from .roles import StrategyRoles, merge_roles, parse_roles, role_by_name
from .stats import (CHURN_GROUPS, MIN_U_REPETITIONS, busy_runs, errored_runs,
                    higher_is_better, ratio_key_columns, ratio_table, run_order, summarize,
                    syscall_table, u_test, unpaired_reuse, unpaired_summary)

__all__ = [
    "Results", "ResultsError", "load", "load_document", "parse_results", "parse_name", "run_key",
    "split_aggregate", "summarize", "run_order", "ratio_table", "ratio_key_columns",
    "syscall_table", "errored_runs", "unpaired_reuse", "overlap", "compare_ratio_tables",
    "compare_runs", "context_differences", "u_test", "higher_is_better", "placements",
    "series", "speedup_series", "provenance", "chart_provenance", "ratio_report",
    "syscall_report", "errors_report", "runs_report", "compare_ratio_report",
    "compare_runs_report", "render", "FORMATS", "StrategyRoles", "parse_roles",
    "merge_roles", "role_by_name", "CHURN_GROUPS", "MIN_U_REPETITIONS", "main_sweep",
    "has_section", "tw_reuse_table", "conntrack_table", "runs_summary", "busy_runs",
    "unpaired_summary",
]

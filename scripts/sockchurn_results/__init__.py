"""sockchurn results: the Python tools' package, one concern a module.

The entry points in scripts/ (compare.py, plot.py, plot_profile.py,
compare_profile.py, plot_soak.py, plot_exhaustion.py, merge_results.py,
paired, report, readme, scenario, ...) parse their options and call these.

Loading
  jsonfile       results files, plain or gzip-compressed: read, decode, write
  loading        Google Benchmark JSON -> Results (a DataFrame of rows)
  names          benchmark names -> dimensions
  roles          strategy roles (reuse, fresh, reference) and order
  registry       the binaries' strategy registry (--list-groups --json)
  suite_sections scripts/bench_sections.json, the extra sections as data
  scenarios      the user's cases as data
Statistics
  stats          per-run summaries, reuse / fresh ratios, the U test, the metrics
  comparing      two results files: matched runs, changes, context differences
  sections       the extra sections' tables (tw_reuse, conntrack)
  paired_stats   intervals of paired ratios, modes of rates
  paired_analysis a rotation group's slices -> flags, ratios, modes
  answers        each scenario's answer from the paired ratios
  soak           the soak's samples and its growth verdict
Measuring
  paired         the paired driver: slice workers run interleaved
  server_probe   what an external echo server can serve
Tables and text
  tables         Markdown and aligned text grids (every table is drawn here)
  report         compare.py's tables: columns, cells, text / md / csv, provenance
  section_report, paired_report  the sections' and the paired ratios' tables
  html_report    the one-page HTML report
  readme         the README's generated blocks
Charts
  chartfiles     matplotlib's setup (Agg, the style) and the one save (PNG + SVG)
  chartstyle     axes, line styles and captions
  chartdata, facets, engines  chart data: lines, panels, engine variants (pure)
  forest, amortisation, engine_cpu, section_charts  the figures plot.py draws
Profile analysis
  profile        perf script -> buckets, folded stacks, syscalls, profile.json
  profile_report report.md and the bucket tables
  profile_charts the bucket chart and the flame graphs
  flamegraph     flame graphs as plain SVG
Entry points
  usage          UsageProblem (one line, exit status 2) and KEY=VALUE options

Pure functions (documents and DataFrames in, values out) except: jsonfile,
loading.load, suite_sections and soak.load_record read files, registry and paired run the
binaries, server_probe contacts a server, chartfiles and profile_charts
write files.
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

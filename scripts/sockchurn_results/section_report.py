"""Text tables of the suite's extra sections (compare.py --table tw_reuse|conntrack)."""

from .report import Table, col
from .sections import TW_REUSE, conntrack_states, conntrack_table, section_strategies, tw_reuse_table


def tw_reuse_report(results):
    frame = tw_reuse_table(results)
    columns = [col("variant"), col("n", "reps", "int"), col("n_errored", "errored", "int"),
               col("exchanges_per_s", "exchanges/s", "rate"),
               col(("exchanges_per_s_min", "exchanges_per_s_max"), "min-max", "numrange"),
               col("time_wait", "TIME_WAIT", "count"),
               col("eaddrnotavail_per_s", "EADDRNOTAVAIL/s", "rate"),
               col(("eaddrnotavail_per_s_min", "eaddrnotavail_per_s_max"), "min-max", "numrange")]
    return Table(f"tw_reuse section: {section_strategies(results, TW_REUSE)}, client closes, 1 thread, veth "
                 "(median over repetitions)",
                 frame, columns,
                 explanation="exchanges/s of an errored repetition (no exchange completed) counts as 0; "
                             "EADDRNOTAVAIL/s: failed connect()s per second (no free local port).")


def conntrack_report(results):
    frame = conntrack_table(results)
    columns = [col("strategy", "strategy"), col("closer", drop_if_empty=True), col("port", drop_if_empty=True),
               col("exchanges_per_s_off", "exch/s off", "rate"), col("exchanges_per_s_on", "exch/s on", "rate"),
               col("rate_change", "change", "pct"),
               col("cpu_us_per_exchange_off", "CPU µs off", "num"),
               col("cpu_us_per_exchange_on", "CPU µs on", "num"),
               col("entries", "conntrack entries", "count")]
    columns += [col(f"entries_{s}", s, "count", drop_if_empty=True) for s in conntrack_states(results)]
    frame = frame.assign(rate_change=frame["rate_change"] * 100)
    return Table("conntrack section: every blocking TCP strategy, 1 thread, loopback, without and with "
                 "connection tracking (median over repetitions)", frame, columns,
                 explanation="conntrack entries: the namespace's table when the last repetition ended "
                             "(it accumulates over the repetitions); by TCP state on the right.")

"""The proxy section's table, paired ratios and prediction (sockchurn_results/proxy_results.py,
proxy_text.py) on rows made here: made-up numbers with known ratios, not measurements."""

import json
import math

import pytest

from sockchurn_results import proxy_results as pr
from sockchurn_results import proxy_text as pt

CATALOG = {
    "fresh_close": {"role": "fresh", "ends_with": "fin", "keep_alive": False},
    "fresh_linger0": {"role": "fresh", "ends_with": "rst", "keep_alive": False},
    "reuse_unspec": {"role": "reuse", "ends_with": "rst", "keep_alive": False},
    "keepalive": {"role": "reference", "ends_with": "fin", "keep_alive": True},
}


def name(proxy, strategy, backend_requests=1, body=64):
    return (f"tcp/{strategy}/engine:{proxy}/payload:{body}/placement:split/section:proxy/"
            f"backend_requests:{backend_requests}/real_time/threads:16")


def row(proxy, strategy, rnd, rate, cpu, backend_requests=1, **extra):
    r = {"name": name(proxy, strategy, backend_requests), "repetition_index": rnd, "exchanges_per_s": rate,
         "cpu_us_per_exchange": cpu, "server_cpu_us_per_exchange": 30.0, "p50_us": 100, "p99_us": 900,
         "snmp_TcpActiveOpens_per_exchange": 1.0, "snmp_TcpOutRsts_per_exchange": 0.0,
         "time_wait_server": 10.0, "time_wait_proxy": 0.0, "foreign_cpu_load": 1.0}
    r.update(extra)
    return r


def rows_with(rounds, reuse_rate_ratio=1.2, reuse_cpu_ratio=0.8):
    """Each round: fresh_close at a rate that drifts round to round, the others
    at fixed ratios of it within the round."""
    out = []
    for rnd in range(rounds):
        base_rate, base_cpu = 1000.0 + 100 * rnd, 90.0 + rnd
        out.append(row("sockchurn_proxy", "fresh_close", rnd, base_rate, base_cpu))
        out.append(row("sockchurn_proxy", "fresh_linger0", rnd, base_rate * 1.1, base_cpu * 0.9))
        out.append(row("sockchurn_proxy", "reuse_unspec", rnd, base_rate * reuse_rate_ratio,
                       base_cpu * reuse_cpu_ratio))
        out.append(row("haproxy", "fresh_close", rnd, base_rate, base_cpu))
        out.append(row("haproxy", "fresh_linger0", rnd, base_rate, base_cpu))
    return out


def test_pairs_follow_role_and_end_not_names():
    vs = pr.variants(rows_with(6))
    assert pr.ratio_pairs(vs, CATALOG) == [
        ("sockchurn_proxy", "fresh_linger0", "fresh_close"), ("sockchurn_proxy", "reuse_unspec", "fresh_close"),
        ("sockchurn_proxy", "reuse_unspec", "fresh_linger0"), ("haproxy", "fresh_linger0", "fresh_close")]
    # The same strategies under other roles give other pairs: the baseline is
    # the first fresh strategy that ends with a FIN, whatever its name.
    swapped = dict(CATALOG, fresh_close={"role": "fresh", "ends_with": "rst", "keep_alive": False},
                   fresh_linger0={"role": "fresh", "ends_with": "fin", "keep_alive": False})
    assert pr.ratio_pairs(vs, swapped)[0] == ("sockchurn_proxy", "fresh_close", "fresh_linger0")


def test_ratios_are_paired_within_rounds_with_an_interval():
    found = pr.ratios(rows_with(8), CATALOG)
    r = pr.find_ratio(found, "sockchurn_proxy", "reuse_unspec", "fresh_close", 1, 64)
    # Every round's ratio is exactly 1.2 (and 0.8) although the rates drift
    # round to round: the estimate and both ends of its interval are that ratio.
    assert r["rounds"] == 8
    for got, want in ((r["rate"], 1.2), (r["cpu"], 0.8)):
        assert got.estimate == pytest.approx(want) and got.lo == pytest.approx(want)
        assert got.hi == pytest.approx(want)
    assert pr.find_ratio(found, "haproxy", "fresh_linger0", "fresh_close", 1, 64)["rate"].estimate == pytest.approx(1)


def test_too_few_rounds_give_no_interval_and_errored_runs_no_pair():
    rows = rows_with(5)
    r = pr.find_ratio(pr.ratios(rows, CATALOG), "sockchurn_proxy", "reuse_unspec", "fresh_close", 1, 64)
    assert r["rounds"] == 5 and math.isnan(r["rate"].lo) and math.isnan(r["rate"].hi)
    assert "too few rounds" in pt.markdown_ratios(rows, CATALOG, 64)
    rows = rows_with(7)
    for x in rows:
        if x["repetition_index"] == 3 and "reuse_unspec" in x["name"]:
            x["error_occurred"], x["error_message"] = True, "nginx exited"
    r = pr.find_ratio(pr.ratios(rows, CATALOG), "sockchurn_proxy", "reuse_unspec", "fresh_close", 1, 64)
    assert r["rounds"] == 6
    entry = next(e for e in pr.table(rows) if e["strategy"] == "reuse_unspec" and e["proxy"] == "sockchurn_proxy")
    assert (entry["runs"], entry["errored"], entry["error"]) == (6, 1, "nginx exited")


def test_table_medians_and_range():
    entry = next(e for e in pr.table(rows_with(6)) if e["proxy"] == "haproxy" and e["strategy"] == "fresh_close")
    assert (entry["rate"], entry["rate_min"], entry["rate_max"]) == (1250.0, 1000.0, 1500.0)
    assert entry["cpu_us"] == 92.5 and entry["tw_server"] == 10.0
    text = pt.markdown_table(rows_with(6), CATALOG, 64)
    assert "| sockchurn-proxy | `reuse_unspec` | RST | closes (1) | 1500 (1200–1800) |" in text


def test_catalog_must_be_in_the_context():
    assert pr.catalog_of({pr.CATALOG_KEY: json.dumps(CATALOG)}) == CATALOG
    with pytest.raises(pr.ProxyResultsError, match="no 'proxy_strategies'"):
        pr.catalog_of({})
    with pytest.raises(pr.ProxyResultsError, match="is not JSON"):
        pr.catalog_of({pr.CATALOG_KEY: "{"})


def micro_block(rounds=8):
    """A paired block as scripts/paired writes it: Asio, 16 flows, the server
    closing first; reuse takes 30 µs a connection where fresh_close takes 40."""
    names = {"tcp/fresh_close/engine:asio/flows:16/closer:server": "fresh",
             "tcp/reuse_unspec/engine:asio/flows:16/closer:server/port:ephemeral": "reuse",
             "tcp/reuse_unspec/engine:asio/flows:16/closer:server/port:bound": "reuse"}
    slices = []
    for rnd in range(rounds):
        for n, cpu_us in zip(names, (40.0, 30.0, 29.0)):
            slices.append({"variant": n, "round": rnd, "exchanges": 1000, "client_cpu_ns": cpu_us * 1000 * 1000})
    return [{"roles": names, "slices": slices}]


def test_prediction_adds_the_microbenchmarks_saving_to_the_proxy():
    saving = pr.micro_cpu_saving(micro_block(), "asio", "reuse_unspec", "fresh_close")
    assert saving["a"].endswith("port:ephemeral") and saving["cpu_b_us"] == pytest.approx(40.0)
    assert saving["saving_us"] == pytest.approx((10.0, 10.0, 10.0))
    # A proxy spending 100 µs a request on fresh_close is predicted at 0.90.
    assert pr.predicted_ratio(100.0, saving) == pytest.approx((0.9, 0.9, 0.9))
    assert pr.micro_cpu_saving(micro_block(), "blocking", "reuse_unspec", "fresh_close") is None
    assert pr.micro_cpu_saving(micro_block(rounds=5), "asio", "reuse_unspec", "fresh_close") is None
    preds = pt.prediction(rows_with(8), CATALOG, micro_block())
    first = preds[0]
    assert (first["ratio"]["a"], first["ratio"]["b"]) == ("reuse_unspec", "fresh_close")
    # fresh_close's median CPU over rounds 0-7 is 93.5 µs; reuse saves 20% of it.
    assert first["proxy_cpu_b_us"] == pytest.approx(93.5)
    assert first["measured_saving_us"] == pytest.approx(93.5 * 0.2)
    assert first["predicted"][0] == pytest.approx((93.5 - 10) / 93.5)
    block = pt.readme_block(rows_with(8), CATALOG, micro_block(), "results/p.json", 64)
    assert "requests/s change by +20% [+20%, +20%]" in block

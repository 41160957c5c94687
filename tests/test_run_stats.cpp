// The per-run statistics of the benchmark harness, on numbers whose
// counters are known: the latency histogram's buckets and percentiles,
// percentiles from merged samples, CPU per exchange,
// the machine-load counters, errors by errno.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <numeric>
#include <vector>

#include "run_stats.hpp"

using namespace sockchurn::bench;

// Percentiles come from all threads' samples merged, within the histogram's
// documented resolution: exact below 256 ns, within 1/256 of the value above.
TEST(RunStats, PercentilesComeFromAllSamplesMerged) {
  Tally a, b;
  for (std::uint64_t i = 1; i <= 50; ++i) a.latency.record(i * 1000);   // 1..50 µs
  for (std::uint64_t i = 51; i <= 101; ++i) b.latency.record(i * 1000);  // 51..101 µs
  a.merge(b);
  ASSERT_EQ(a.exchanges(), 101u);
  EXPECT_NEAR(a.latency.percentile_us(0.5), 51.0, 51.0 / 256);  // rank 50 of 0..100
  EXPECT_NEAR(a.latency.percentile_us(0.99), 100.0, 100.0 / 256);
  EXPECT_NEAR(a.latency.percentile_us(0.0), 1.0, 1.0 / 256);
  EXPECT_DOUBLE_EQ(a.latency.percentile_us(1.0), 101.0);  // the bucket's midpoint clamped to the exact maximum
  EXPECT_EQ(a.latency.max_ns(), 101'000u);
  EXPECT_DOUBLE_EQ(LatencyHistogram().percentile_us(0.5), 0.0);
}

// Every value falls in the bucket whose range holds it; buckets tile the
// whole 64-bit range without gaps, no wider than 1/128 of their values.
TEST(LatencyHistogram, BucketsTileTheRangeAtTheirResolution) {
  using H = LatencyHistogram;
  for (std::uint64_t v : {0ULL, 1ULL, 255ULL, 256ULL, 257ULL, 511ULL, 512ULL, 1000ULL, 24'123ULL, 1'000'000'007ULL,
                          (1ULL << 40) + 12345, ~0ULL}) {
    const std::size_t b = H::bucket_of(v);
    ASSERT_LT(b, H::kBuckets) << v;
    EXPECT_LE(H::bucket_low(b), v) << v;
    EXPECT_LE(v - H::bucket_low(b), H::bucket_width(b) - 1) << v;
    if (v >= H::kExactBelow) EXPECT_LE(H::bucket_width(b) * 128, H::bucket_low(b)) << v;
    else EXPECT_EQ(H::bucket_width(b), 1u) << v;
  }
  for (std::size_t b = 0; b + 1 < H::kBuckets; ++b)
    ASSERT_EQ(H::bucket_low(b) + H::bucket_width(b), H::bucket_low(b + 1)) << b;
  EXPECT_EQ(H::bucket_of(~0ULL), H::kBuckets - 1);
}

// Against the exact nearest-lower-rank percentile of a spread of samples:
// within 1/256 of it; clear() forgets every sample.
TEST(LatencyHistogram, PercentilesWithinResolutionOfExact) {
  LatencyHistogram h;
  std::vector<std::uint64_t> v;
  std::uint64_t x = 12345;
  for (int i = 0; i < 10'000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    v.push_back(3'000 + (x >> 40) % 500'000);  // 3 µs .. 503 µs
    h.record(v.back());
  }
  std::sort(v.begin(), v.end());
  for (double q : {0.0, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    const double exact = static_cast<double>(v[static_cast<std::size_t>(q * (v.size() - 1))]) / 1000;
    EXPECT_NEAR(h.percentile_us(q), exact, exact / 256) << q;
  }
  EXPECT_EQ(h.max_ns(), v.back());
  EXPECT_EQ(h.min_ns(), v.front());
  h.clear();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max_ns(), 0u);
  EXPECT_DOUBLE_EQ(h.percentile_us(0.99), 0.0);
}

TEST(RunStats, CountersOfARun) {
  Tally t;
  for (std::uint64_t ns : {4000, 2000, 3000, 1000}) t.latency.record(ns);
  t.cpu_ns = 40'000;  // 10 µs per exchange
  t.errors[ECONNRESET] = 2;
  t.errors[EADDRNOTAVAIL] = 1;
  RunClock clock;
  clock.wall_ns = 1e9;
  clock.client_cpu_ns = 0.25e9;
  clock.server_cpu_ns = 0.25e9;
  clock.machine_busy_ns = 0.75e9;  // 0.25 s of it not ours
  clock.machine_steal_ns = 0.1e9;
  auto c = run_counters(t, clock, TimeWaitCount{5, 2}, false);
  EXPECT_DOUBLE_EQ(c.at("cpu_us_per_exchange"), 10.0);
  EXPECT_DOUBLE_EQ(c.at("server_cpu_us_per_exchange"), 0.25e9 / 4 / 1000);
  EXPECT_DOUBLE_EQ(c.at("exchanges"), 4);
  EXPECT_NEAR(c.at("p50_us"), 2.0, 2.0 / 256);
  EXPECT_DOUBLE_EQ(c.at("max_us"), 4.0);
  EXPECT_DOUBLE_EQ(c.at("foreign_cpu_load"), 0.25);
  EXPECT_DOUBLE_EQ(c.at("steal_cpu"), 0.1);
  EXPECT_DOUBLE_EQ(c.at("time_wait"), 5);
  EXPECT_DOUBLE_EQ(c.at("time_wait_server"), 2);
  EXPECT_DOUBLE_EQ(c.at("errors"), 3);
  EXPECT_DOUBLE_EQ(c.at("errors_ECONNRESET"), 2);
  EXPECT_DOUBLE_EQ(c.at("errors_EADDRNOTAVAIL"), 1);
  EXPECT_DOUBLE_EQ(c.at("errors_ECONNRESET_per_s"), 2);  // over the run's 1 s of wall time
  EXPECT_DOUBLE_EQ(c.at("errors_EADDRNOTAVAIL_per_s"), 1);
  EXPECT_EQ(c.count("stale"), 0u);  // TCP
  clock.wall_ns = 0.5e9;
  EXPECT_DOUBLE_EQ(run_counters(t, clock, std::nullopt, false).at("errors_ECONNRESET_per_s"), 4);
}

TEST(RunStats, ConntrackTableOnTheRow) {
  std::map<std::string, double> c;
  add_conntrack_counters(c, sockchurn::ConntrackOccupancy{7, {{"TIME_WAIT", 5}, {"CLOSE", 1}}});
  EXPECT_EQ(c, (std::map<std::string, double>{
                   {"conntrack_entries", 7}, {"conntrack_entries_TIME_WAIT", 5}, {"conntrack_entries_CLOSE", 1}}));
}

TEST(RunStats, NoExchangeMeansNoPerExchangeCounters) {
  Tally t;
  t.errors[ECONNREFUSED] = 7;
  RunClock clock;
  clock.wall_ns = 1e9;
  clock.client_cpu_ns = 2e9;  // more than the machine counted: clamped at 0
  clock.machine_busy_ns = 1e9;
  auto c = run_counters(t, clock, std::nullopt, true);
  for (const char* name : {"cpu_us_per_exchange", "p50_us", "p99_us", "max_us", "server_cpu_us_per_exchange", "time_wait"})
    EXPECT_EQ(c.count(name), 0u) << name;
  EXPECT_DOUBLE_EQ(c.at("foreign_cpu_load"), 0.0);
  EXPECT_DOUBLE_EQ(c.at("stale"), 0);
  EXPECT_DOUBLE_EQ(c.at("errors_ECONNREFUSED"), 7);
}

TEST(RunStats, KernelCountersAndSyscallsPerExchange) {
  Tally t;
  for (int i = 0; i < 4; ++i) t.latency.record(1000);
  t.syscalls = 20;
  Tally other;
  other.syscalls = 4;
  other.syscalls_counted = false;
  RunClock clock;
  clock.wall_ns = 1e9;
  auto c = run_counters(t, clock, std::nullopt, false);
  EXPECT_DOUBLE_EQ(c.at("syscalls_per_exchange"), 5.0);
  t.merge(other);  // a thread without a counter: no figure at all
  EXPECT_EQ(run_counters(t, clock, std::nullopt, false).count("syscalls_per_exchange"), 0u);

  sockchurn::CounterSnapshot delta{{"Tcp.ActiveOpens", 4}, {"Tcp.OutRsts", 2}, {"Udp.OutDatagrams", 8}};
  std::map<std::string, double> tcp;
  add_kernel_counters(tcp, delta, sockchurn::Protocol::tcp, 4);
  EXPECT_DOUBLE_EQ(tcp.at("snmp_TcpActiveOpens_per_exchange"), 1.0);
  EXPECT_DOUBLE_EQ(tcp.at("snmp_TcpOutRsts_per_exchange"), 0.5);
  EXPECT_DOUBLE_EQ(tcp.at("netstat_TCPSynRetrans_per_exchange"), 0.0);  // absent: 0
  EXPECT_EQ(tcp.count("snmp_UdpOutDatagrams_per_exchange"), 0u);
  std::map<std::string, double> none;
  add_kernel_counters(none, delta, sockchurn::Protocol::udp, 0);
  EXPECT_TRUE(none.empty());
}

// The per-run statistics of the benchmark harness, on numbers whose
// counters are known: percentiles from merged samples, CPU per exchange,
// the machine-load counters, errors by errno.
#include <gtest/gtest.h>

#include <cerrno>
#include <numeric>

#include "run_stats.hpp"

using namespace sockchurn::bench;

TEST(RunStats, PercentilesComeFromAllSamplesMerged) {
  Tally a, b;
  for (std::uint32_t i = 1; i <= 50; ++i) a.latency_ns.push_back(i * 1000);   // 1..50 µs
  for (std::uint32_t i = 51; i <= 101; ++i) b.latency_ns.push_back(i * 1000);  // 51..101 µs
  a.merge(std::move(b));
  ASSERT_EQ(a.latency_ns.size(), 101u);
  std::vector<std::uint32_t> v = a.latency_ns;
  EXPECT_DOUBLE_EQ(percentile_us(v, 0.5), 51.0);  // rank 50 of 0..100
  EXPECT_DOUBLE_EQ(percentile_us(v, 0.99), 100.0);
  EXPECT_DOUBLE_EQ(percentile_us(v, 0.0), 1.0);
  std::vector<std::uint32_t> none;
  EXPECT_DOUBLE_EQ(percentile_us(none, 0.5), 0.0);
}

TEST(RunStats, CountersOfARun) {
  Tally t;
  t.latency_ns = {4000, 2000, 3000, 1000};
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
  EXPECT_DOUBLE_EQ(c.at("p50_us"), 2.0);
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
  t.latency_ns.assign(4, 1000);
  t.syscalls = 20;
  Tally other;
  other.syscalls = 4;
  other.syscalls_counted = false;
  RunClock clock;
  clock.wall_ns = 1e9;
  auto c = run_counters(t, clock, std::nullopt, false);
  EXPECT_DOUBLE_EQ(c.at("syscalls_per_exchange"), 5.0);
  t.merge(std::move(other));  // a thread without a counter: no figure at all
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

// The pieces the benchmark harness stands on: the echo server child
// process, CPU placement, system facts.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <stdexcept>

#include "process/echo_process.hpp"
#include "process/placement.hpp"
#include "observe/sysinfo.hpp"

using namespace sockchurn;

// Starting a child that is not an echo server fails with a message that says
// what happened, and leaves no process behind.
TEST(EchoProcess, MissingBinary) {
  try {
    EchoProcess p("/nonexistent/sockchurn-echo", {});
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("exited before it was ready (exit status 127)"), std::string::npos) << e.what();
  }
}

TEST(EchoProcess, NotAReadyLine) {
  try {
    EchoProcess p("/bin/echo", {"hello"});
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("printed 'hello', not a ready line"), std::string::npos) << e.what();
  }
}

TEST(EchoProcess, NoReadyLineInTime) {
  const auto t0 = std::chrono::steady_clock::now();
  try {
    EchoProcess p("/bin/sleep", {"30"}, std::chrono::milliseconds(200));
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("printed no ready line within 200 ms"), std::string::npos) << e.what();
  }
  // The sleeping child was killed, not waited for.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

TEST(EchoProcess, FakeServerPortsAndStop) {
  // A shell that prints a ready line and then waits stands in for the server.
  EchoProcess p("/bin/sh", {"-c", "echo 'sockchurn-echo ready tcp=10 tcp_once=11 udp=12'; exec sleep 30"});
  EXPECT_EQ(p.ports(), (EchoPorts{10, 11, 12}));
  EXPECT_TRUE(p.alive());
  const int status = p.stop();
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_FALSE(p.alive());
}

TEST(Placement, ParseAndPlans) {
  EXPECT_EQ(parse_placement("same"), Placement::same);
  EXPECT_EQ(parse_placement("split"), Placement::split);
  EXPECT_EQ(parse_placement("free"), Placement::free);
  EXPECT_EQ(parse_placement("Same"), std::nullopt);
  const CpuPlan same = cpu_plan(Placement::same);
  ASSERT_TRUE(same.client && same.server);
  EXPECT_EQ(CPU_COUNT(&*same.client), 1);
  EXPECT_TRUE(CPU_EQUAL(&*same.client, &*same.server));
  EXPECT_FALSE(cpu_plan(Placement::free).client.has_value());
}

TEST(Placement, PinningTakesEffectAndIsUndone) {
  cpu_set_t before;
  ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
  const CpuPlan same = cpu_plan(Placement::same);
  pin_this_thread(same.client);
  cpu_set_t now;
  ASSERT_EQ(sched_getaffinity(0, sizeof now, &now), 0);
  EXPECT_TRUE(CPU_EQUAL(&now, &*same.client));
  pin_this_thread(std::nullopt);  // back to every CPU the process may use
  ASSERT_EQ(sched_getaffinity(0, sizeof now, &now), 0);
  EXPECT_TRUE(CPU_EQUAL(&now, &before)) << CPU_COUNT(&now) << " CPUs, had " << CPU_COUNT(&before);
}

TEST(SysInfo, Facts) {
  EXPECT_NE(kernel_release(), "?");
  EXPECT_NE(read_sysctl("net.ipv4.ip_local_port_range"), "?");
  EXPECT_EQ(read_sysctl("net.ipv4.no_such_sysctl"), "?");
  EXPECT_NE(network_interfaces().find("lo"), std::string::npos);
  const auto cpu0 = thread_cpu_ns();
  volatile double x = 0;
  for (int i = 0; i < 1000000; ++i) x = x + i;
  EXPECT_GT(thread_cpu_ns(), cpu0);
  EXPECT_GT(process_cpu_ns(::getpid()), 0);
  const MachineCpu m = machine_cpu();
  EXPECT_GT(m.busy_ns, 0);
  EXPECT_GE(m.steal_ns, 0);
}

TEST(SysInfo, MachineContextAndNamespace) {
  const auto context = machine_context();
  std::map<std::string, std::string> keys(context.begin(), context.end());
  EXPECT_EQ(keys.size(), context.size()) << "a key twice";
  EXPECT_EQ(keys.at("kernel"), kernel_release());
  EXPECT_NE(keys.at("sysctl.net.ipv4.ip_local_port_range"), "?");
  EXPECT_TRUE(keys.count("sysctl.net.ipv4.tcp_tw_reuse"));
  // As root the tests run in a namespace of their own (support/private_netns.cpp).
  if (::geteuid() == 0) {
    EXPECT_EQ(in_host_network_namespace(), std::optional<bool>(false));
  }
}

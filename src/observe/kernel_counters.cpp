#include "observe/kernel_counters.hpp"

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "net/fd.hpp"

namespace sockchurn {
namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// "Tcp:" -> "Tcp"; empty if the word is not a section name.
std::string_view section_of(std::string_view word) {
  if (word.size() < 2 || word.back() != ':') return {};
  return word.substr(0, word.size() - 1);
}

[[noreturn]] void fail(const std::string& source, std::size_t line, const std::string& what) {
  throw std::runtime_error(source + " line " + std::to_string(line) + ": " + what);
}

std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 60;
  return "'" + std::string(text.substr(0, kMax)) + (text.size() > kMax ? "...'" : "'");
}

}  // namespace

CounterSnapshot parse_kernel_counters(std::string_view text, const std::string& source) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  CounterSnapshot out;
  for (std::size_t i = 0; i < lines.size(); i += 2) {
    const std::size_t header_no = i + 1;
    const auto names = split_words(lines[i]);
    if (names.empty()) fail(source, header_no, "empty line where a header line was expected");
    const std::string_view section = section_of(names[0]);
    if (section.empty()) fail(source, header_no, "expected a header 'Section: Name ...', got " + quoted(lines[i]));
    if (names.size() < 2) fail(source, header_no, "header " + quoted(lines[i]) + " names no counter");
    if (i + 1 >= lines.size()) fail(source, header_no, "header " + quoted(lines[i]) + " has no line of values after it");
    const auto values = split_words(lines[i + 1]);
    if (values.empty() || section_of(values[0]) != section)
      fail(source, header_no + 1, "expected the values of section " + std::string(section) + ", got " + quoted(lines[i + 1]));
    if (values.size() != names.size())
      fail(source, header_no + 1,
           std::to_string(values.size() - 1) + " values for the " + std::to_string(names.size() - 1) + " counters of section " +
               std::string(section));
    for (std::size_t k = 1; k < names.size(); ++k) {
      std::int64_t v = 0;
      const std::string_view word = values[k];
      const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
      if (ec != std::errc{} || end != word.data() + word.size())
        fail(source, header_no + 1, "value " + quoted(word) + " of " + std::string(names[k]) + " is not a whole number in range");
      const std::string key = std::string(section) + "." + std::string(names[k]);
      if (!out.emplace(key, v).second) fail(source, header_no, "counter " + key + " appears twice");
    }
  }
  if (out.empty()) throw std::runtime_error(source + ": no counters");
  return out;
}

CounterSnapshot read_counter_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path + ": " + errno_name(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read " + path);
  return parse_kernel_counters(text.str(), path);
}

CounterSnapshot read_kernel_counters() {
  CounterSnapshot all = read_counter_file("/proc/net/snmp");
  for (auto& [key, value] : read_counter_file("/proc/net/netstat")) {
    if (!all.emplace(key, value).second)
      throw std::runtime_error("/proc/net/netstat: counter " + key + " is also in /proc/net/snmp");
  }
  return all;
}

CounterSnapshot counter_delta(const CounterSnapshot& before, const CounterSnapshot& after) {
  CounterSnapshot out;
  for (const auto& [key, value] : after) {
    const auto it = before.find(key);
    out.emplace(key, value - (it == before.end() ? 0 : it->second));
  }
  return out;
}

const std::vector<ReportedCounter>& reported_counters() {
  static const std::vector<ReportedCounter> list = {
      {Protocol::tcp, "snmp_TcpActiveOpens", "Tcp.ActiveOpens"},
      {Protocol::tcp, "snmp_TcpOutRsts", "Tcp.OutRsts"},
      {Protocol::tcp, "snmp_TcpEstabResets", "Tcp.EstabResets"},
      {Protocol::tcp, "snmp_TcpRetransSegs", "Tcp.RetransSegs"},
      {Protocol::tcp, "netstat_TCPSynRetrans", "TcpExt.TCPSynRetrans"},
      {Protocol::tcp, "netstat_ListenOverflows", "TcpExt.ListenOverflows"},
      {Protocol::tcp, "netstat_ListenDrops", "TcpExt.ListenDrops"},
      {Protocol::tcp, "netstat_TCPTimeWaitOverflow", "TcpExt.TCPTimeWaitOverflow"},
      {Protocol::udp, "snmp_UdpOutDatagrams", "Udp.OutDatagrams"},
      {Protocol::udp, "snmp_UdpInErrors", "Udp.InErrors"},
      {Protocol::udp, "snmp_UdpRcvbufErrors", "Udp.RcvbufErrors"},
  };
  return list;
}

}  // namespace sockchurn

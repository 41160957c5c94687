// parse_endpoint / parse_host / Endpoint::to_string: what the command line
// (--server=HOST:PORT) accepts, and how a bad value is reported.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdexcept>
#include <string>

#include "net/endpoint.hpp"

namespace sockchurn {
namespace {

// The std::invalid_argument message for `text`, or "" if it parsed.
std::string parse_error(const std::string& text) {
  try {
    parse_endpoint(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(ParseEndpoint, Ipv4) {
  const Endpoint ep = parse_endpoint("127.0.0.1:8080");
  EXPECT_EQ(ep.family(), AF_INET);
  EXPECT_EQ(ep.len, sizeof(sockaddr_in));
  EXPECT_EQ(ep.port(), 8080);
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(&ep.storage);
  EXPECT_EQ(ntohl(v4->sin_addr.s_addr), INADDR_LOOPBACK);
  EXPECT_EQ(ep.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(parse_endpoint("10.1.2.3:1").to_string(), "10.1.2.3:1");
  EXPECT_EQ(parse_endpoint("0.0.0.0:65535").to_string(), "0.0.0.0:65535");
}

TEST(ParseEndpoint, BracketedIpv6) {
  const Endpoint ep = parse_endpoint("[::1]:8080");
  EXPECT_EQ(ep.family(), AF_INET6);
  EXPECT_EQ(ep.len, sizeof(sockaddr_in6));
  EXPECT_EQ(ep.port(), 8080);
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&ep.storage);
  EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr));
  EXPECT_EQ(ep.to_string(), "[::1]:8080");
  // Printed in the canonical short form.
  EXPECT_EQ(parse_endpoint("[0:0:0:0:0:0:0:1]:80").to_string(), "[::1]:80");
  EXPECT_EQ(parse_endpoint("[2001:db8::a]:443").to_string(), "[2001:db8::a]:443");
  EXPECT_EQ(parse_endpoint("[::ffff:127.0.0.1]:5").to_string(), "[::ffff:127.0.0.1]:5");
}

TEST(ParseEndpoint, LocalhostIsIpv4Loopback) {
  const Endpoint ep = parse_endpoint("localhost:9000");
  EXPECT_EQ(ep, loopback_v4(9000));
  EXPECT_EQ(ep.to_string(), "127.0.0.1:9000");
}

TEST(ParseEndpoint, PortLimits) {
  EXPECT_EQ(parse_endpoint("127.0.0.1:1").port(), 1);
  EXPECT_EQ(parse_endpoint("127.0.0.1:65535").port(), 65535);
  EXPECT_EQ(parse_endpoint("127.0.0.1:0080").port(), 80);
}

TEST(ParseEndpoint, MissingPortIsRejected) {
  for (const std::string text : {"127.0.0.1", "127.0.0.1:", "[::1]:", "[::1]", "localhost"}) {
    const std::string msg = parse_error(text);
    EXPECT_TRUE(contains(msg, "'" + text + "'")) << msg;
    EXPECT_TRUE(contains(msg, "has no port")) << text << " -> " << msg;
  }
}

TEST(ParseEndpoint, BracketsAreForIpv6Only) {
  for (const std::string text : {"[127.0.0.1]:80", "[localhost]:80"}) {
    const std::string msg = parse_error(text);
    EXPECT_TRUE(contains(msg, "brackets are for IPv6 addresses only")) << text << " -> " << msg;
  }
  EXPECT_TRUE(contains(parse_error("[::1:80"), "'[' without ']'"));
}

TEST(ParseEndpoint, PortOutOfRangeIsRejected) {
  for (const std::string port : {"0", "65536", "99999999999"}) {
    const std::string msg = parse_error("127.0.0.1:" + port);
    EXPECT_TRUE(contains(msg, "port '" + port + "' is not a number from 1 to 65535")) << msg;
  }
  EXPECT_TRUE(contains(parse_error("[::1]:0"), "port '0'"));
  EXPECT_TRUE(contains(parse_error("[::1]:65536"), "port '65536'"));
}

TEST(ParseEndpoint, NonNumericPortIsRejected) {
  for (const std::string port : {"http", "8o", "-1", "+80", " 80", "80 ", "0x50", "1.5"}) {
    const std::string msg = parse_error("127.0.0.1:" + port);
    EXPECT_TRUE(contains(msg, "port '" + port + "' is not a number from 1 to 65535")) << msg;
  }
}

TEST(ParseEndpoint, UnbracketedIpv6IsRejected) {
  for (const std::string text : {"::1:80", "2001:db8::1:443", "::1"}) {
    const std::string msg = parse_error(text);
    EXPECT_TRUE(contains(msg, "needs brackets")) << text << " -> " << msg;
  }
}

TEST(ParseEndpoint, HostNamesAreRejected) {
  for (const std::string host : {"example.com", "my-host", "localhost.localdomain", "1.2.3"}) {
    const std::string msg = parse_error(host + ":80");
    EXPECT_TRUE(contains(msg, "'" + host + "' is not a numeric IPv4 or IPv6 address")) << msg;
    EXPECT_TRUE(contains(msg, "host names are not resolved")) << msg;
  }
  EXPECT_THROW(parse_endpoint(":80"), std::invalid_argument);
  EXPECT_THROW(parse_endpoint(""), std::invalid_argument);
}

TEST(ParseHost, NumericHostsWithoutPort) {
  EXPECT_EQ(parse_host("127.0.0.1"), loopback_v4(0));
  EXPECT_EQ(parse_host("::1"), loopback_v6(0));
  EXPECT_EQ(parse_host("[::1]"), loopback_v6(0));
  EXPECT_EQ(parse_host("localhost"), loopback_v4(0));
  EXPECT_EQ(parse_host("::").to_string(), "[::]:0");
  EXPECT_EQ(parse_host("0.0.0.0").to_string(), "0.0.0.0:0");
}

TEST(ParseHost, RejectsNamesAndPorts) {
  for (const std::string text : {"example.com", "", "[::1", "127.0.0.1:80", "256.0.0.1"}) {
    EXPECT_THROW(parse_host(text), std::invalid_argument) << text;
  }
}

// Found by fuzz/fuzz_endpoint: inet_pton stopped at the NUL byte, so text
// after it was ignored and "[::\0...]:2" parsed as [::]:2.
TEST(ParseHost, TextWithANulByteIsRejected) {
  using namespace std::string_literals;
  for (const std::string& text : {"127.0.0.1\0junk"s, "::\0\0"s, "[::\0]"s, "localhost\0"s, "\0"s}) {
    EXPECT_THROW(parse_host(text), std::invalid_argument) << text.size() << " bytes";
  }
  for (const std::string& text : {"127.0.0.1\0junk:80"s, "[::\0\0\0]:2"s, "localhost\0:80"s}) {
    EXPECT_THROW(parse_endpoint(text), std::invalid_argument) << text.size() << " bytes";
  }
  EXPECT_EQ(parse_error("127.0.0.1\0junk:80"s),
            "'127.0.0.1' is followed by a NUL byte: not a numeric IPv4 or IPv6 address");
}

TEST(Endpoint, WithPortSameHostAndEquality) {
  const Endpoint a = loopback_v4(1000);
  EXPECT_EQ(with_port(a, 2000).to_string(), "127.0.0.1:2000");
  EXPECT_EQ(a.port(), 1000);  // with_port returns a copy
  EXPECT_TRUE(a.same_host(with_port(a, 2000)));
  EXPECT_FALSE(a == with_port(a, 2000));
  EXPECT_TRUE(a == parse_endpoint("127.0.0.1:1000"));
  EXPECT_FALSE(a.same_host(loopback_v6(1000)));
  EXPECT_FALSE(a.same_host(parse_endpoint("127.0.0.2:1000")));
  EXPECT_TRUE(loopback_v6(7).same_host(parse_host("[::1]")));
  EXPECT_EQ(loopback_v6(7).to_string(), "[::1]:7");
}

TEST(Endpoint, ToStringOfOtherFamilies) {
  Endpoint unspec;
  EXPECT_EQ(unspec.to_string(), "<family 0>");
  EXPECT_EQ(unspec.port(), 0);
}

}  // namespace
}  // namespace sockchurn

// sockchurn-proxy (proxy/) against real sockets on loopback: an in-process
// proxy (BackgroundProxy) in front of a scripted HTTP backend on its own
// threads, a blocking HTTP client. The backend strategies (the registry's TCP
// rows whose policy the backend side serves, the others refused by policy);
// forwarding with each (exact bodies, the backend connections and kernel
// state each one must leave), and the error paths: backend down, malformed,
// chunked or unbounded responses, a silent backend, oversize and chunked
// requests, the connection limit; and no descriptor left behind.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "backend.hpp"
#include "http_forward.hpp"
#include "model/policy.hpp"
#include "model/registry.hpp"
#include "net/endpoint.hpp"
#include "net/fd.hpp"
#include "net/sockops.hpp"
#include "observe/tcp_states.hpp"
#include "proxy_server.hpp"
#include "strategy_list.hpp"
#include "support/echo_client.hpp"
#include "support/tcp_observe.hpp"

namespace {

using namespace sockchurn;
using namespace std::chrono_literals;
using proxy::BackgroundProxy;

// --- a scripted HTTP backend ------------------------------------------------

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Reads one HTTP message (header, then a Content-Length body) from a blocking
// socket into `head` and `body`; false at EOF, a reset or the timeout.
bool read_message(int fd, std::string& pending, std::string& head, std::string& body) {
  char buf[4096];
  std::size_t end;
  while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending.append(buf, static_cast<std::size_t>(n));
  }
  head = pending.substr(0, end + 4);
  pending.erase(0, end + 4);
  std::size_t length = 0;
  if (const auto at = lower(head).find("\r\ncontent-length:"); at != std::string::npos)
    length = std::stoul(head.substr(at + 17));
  while (pending.size() < length) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending.append(buf, static_cast<std::size_t>(n));
  }
  body = pending.substr(0, length);
  pending.erase(0, length);
  return true;
}

enum class BackendMode {
  closes,      // "Connection: close", then close(): the backend's FIN comes first
  keep_alive,  // serves requests on a connection until the proxy ends it
  raw,         // writes `raw` whatever the request, then closes
  silent,      // reads the request and never answers
};

// Answers "target=<target> body=<body>" so that a test checks what went
// through the proxy both ways.
class HttpBackend {
 public:
  explicit HttpBackend(BackendMode mode, std::string raw = {}) : mode_(mode), raw_(std::move(raw)) {
    listener_ = make_socket(AF_INET, SOCK_STREAM);
    const int one = 1;
    check(::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), "setsockopt");
    bind_to(listener_.get(), loopback_v4(0));
    check(::listen(listener_.get(), 128), "listen");
    set_recv_timeout(listener_.get(), 50ms);  // accept() wakes up to see stop_
    port_ = local_endpoint(listener_.get()).port();
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~HttpBackend() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : connections_) t.join();
  }
  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_; }
  int requests() const { return requests_; }

 private:
  void accept_loop() {
    while (!stop_) {
      const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted_;
      connections_.emplace_back([this, fd] { serve(Fd(fd)); });
    }
  }
  void serve(Fd conn) {
    set_recv_timeout(conn.get(), 50ms);
    std::string pending, head, body;
    for (;;) {
      while (!read_message(conn.get(), pending, head, body)) {
        if (stop_ || errno != EAGAIN) return;  // EOF, reset; or a timeout: look at stop_ again
      }
      ++requests_;
      if (mode_ == BackendMode::silent) {
        while (!stop_) std::this_thread::sleep_for(10ms);
        return;
      }
      const std::string target = head.substr(head.find(' ') + 1, head.find(' ', head.find(' ') + 1) - head.find(' ') - 1);
      const std::string reply_body = "target=" + target + " body=" + body;
      const std::string reply =
          mode_ == BackendMode::raw
              ? raw_
              : "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(reply_body.size()) + "\r\n" +
                    (mode_ == BackendMode::closes ? "Connection: close\r\n" : "") + "\r\n" + reply_body;
      if (write_all(conn.get(), reply.data(), reply.size()) != 0) return;
      if (mode_ != BackendMode::keep_alive) return;  // close(): FIN first
    }
  }

  BackendMode mode_;
  std::string raw_;
  Fd listener_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0}, requests_{0};
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // joined at the end (a test makes few)
};

// --- a blocking HTTP client ---------------------------------------------------

struct Reply {
  int status = 0;
  std::string head, body;
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) : fd_(test::connect_tcp(loopback_v4(port))) {}
  int fd() const { return fd_.get(); }
  void send(const std::string& bytes) { ASSERT_EQ(write_all(fd_.get(), bytes.data(), bytes.size()), 0); }
  static std::string post(const std::string& target, const std::string& body, const std::string& extra = {}) {
    return "POST " + target + " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           extra + "\r\n" + body;
  }
  // nullopt at EOF or a reset.
  std::optional<Reply> receive() {
    Reply r;
    if (!read_message(fd_.get(), pending_, r.head, r.body)) return std::nullopt;
    r.status = std::stoi(r.head.substr(9, 3));
    return r;
  }
  std::optional<Reply> exchange(const std::string& target, const std::string& body) {
    send(post(target, body));
    return receive();
  }
  // "EOF", "ECONNRESET", ... after the last response.
  std::string end() { return test::read_once(fd_.get()); }

 private:
  Fd fd_;
  std::string pending_;
};

proxy::Config config_for(const HttpBackend& backend, const std::string& strategy) {
  proxy::Config cfg;
  cfg.backend = backend.address();
  cfg.backend_strategy = strategy;
  cfg.backend_timeout = 2000ms;
  return cfg;
}

// TIME_WAIT sockets of the backend connections: the backend's side (local
// port = the backend's) and the proxy's (remote port = the backend's).
struct TimeWait {
  int backend = 0, proxy = 0;
};
TimeWait time_wait_towards(std::uint16_t backend_port) {
  TimeWait tw;
  for (const auto& s : list_tcp_sockets()) {
    if (s.state != TcpState::time_wait) continue;
    if (s.local.port() == backend_port) ++tw.backend;
    if (s.remote.port() == backend_port) ++tw.proxy;
  }
  return tw;
}

// --- the backend strategies: the registry's TCP rows whose policy it serves --

TEST(ProxyStrategies, AreTheRegistrysTcpRowsWhosePolicyTheBackendServes) {
  std::vector<std::string> served, refused;
  for (const StrategyInfo& s : strategies())
    if (s.protocol == Protocol::tcp)
      (proxy::backend_refusal(s.tcp).empty() ? served : refused).emplace_back(s.name);
  std::vector<std::string> listed;
  for (const StrategyInfo* s : proxy::backend_strategies()) listed.emplace_back(s->name);
  EXPECT_EQ(listed, served);
  EXPECT_EQ(proxy::backend_strategy_names(), "fresh_close, fresh_linger0, reuse_unspec, conditional_linger, keepalive");
  EXPECT_EQ(refused, (std::vector<std::string>{"shutdown_drain", "bind_no_port", "port_range"}));
}

// Decided from the policy alone: how its sockets open and how they end.
TEST(ProxyStrategies, RefusesAPolicyTheBackendSideDoesNotPerform) {
  using Open = TcpPolicy::Open;
  using End = TcpPolicy::End;
  for (const End end : {End::close, End::linger_unless_fin, End::unspec, End::keep}) {
    for (const bool linger0 : {false, true}) {
      EXPECT_EQ(proxy::backend_refusal(TcpPolicy{Open::plain, linger0, end}), "") << to_string(end);
      for (const Open open : {Open::bind_no_port, Open::port_range}) {
        const std::string why = proxy::backend_refusal(TcpPolicy{open, linger0, end});
        EXPECT_EQ(why.rfind("its open (" + std::string(to_string(open)) + ": ", 0), 0u) << why;
      }
    }
  }
  const std::string why = proxy::backend_refusal(TcpPolicy{Open::plain, false, End::shutdown_drain});
  EXPECT_EQ(why.rfind("its end (shutdown_drain: ", 0), 0u) << why;
}

TEST(ProxyStrategies, AnUnknownOrRefusedNameIsOneLineNamingTheFlag) {
  std::string why;
  EXPECT_EQ(proxy::find_backend_strategy("nope", why), nullptr);
  EXPECT_EQ(why,
            "--backend-strategy: 'nope' is not one of fresh_close, fresh_linger0, reuse_unspec, conditional_linger, "
            "keepalive");
  EXPECT_EQ(proxy::find_backend_strategy("sendto", why), nullptr);  // a UDP row: not a TCP strategy
  EXPECT_EQ(why.rfind("--backend-strategy: 'sendto' is not one of ", 0), 0u) << why;
  EXPECT_EQ(proxy::find_backend_strategy("shutdown_drain", why), nullptr);
  EXPECT_EQ(why, "--backend-strategy shutdown_drain: " +
                     proxy::backend_refusal(find_strategy(Protocol::tcp, "shutdown_drain")->tcp));
  EXPECT_EQ(why.find('\n'), std::string::npos);
  EXPECT_EQ(proxy::find_backend_strategy("keepalive", why), find_strategy(Protocol::tcp, "keepalive"));
  EXPECT_EQ(why, "");

  proxy::Config cfg;
  cfg.backend = "127.0.0.1:1";
  cfg.backend_strategy = "port_range";
  try {
    proxy::Server server(cfg);
    ADD_FAILURE() << "a refused strategy was served";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--backend-strategy port_range: its open (port_range: ", 0), 0u) << e.what();
  }
}

// What scripts/proxy_section reads (--list-strategies): each served row's
// role, the registry's ends_with of how its connection ends (a pool's:
// close()), whether it is a pool.
TEST(ProxyStrategies, ListsEachWithItsRoleAndHowItsConnectionsEnd) {
  EXPECT_EQ(proxy::strategy_list_json(), R"json({
  "strategy_roles": "fresh_close=fresh,fresh_linger0=fresh,reuse_unspec=reuse,conditional_linger=fresh,keepalive=reference",
  "strategies": [
    {"name": "fresh_close", "role": "fresh", "ends_with": "fin", "keep_alive": false, "what": "a new socket per request; close() (FIN) after the response"},
    {"name": "fresh_linger0", "role": "fresh", "ends_with": "rst", "keep_alive": false, "what": "a new socket per request with SO_LINGER {1,0}; close() sends RST"},
    {"name": "reuse_unspec", "role": "reuse", "ends_with": "rst", "keep_alive": false, "what": "one kept socket: connect, request, connect(AF_UNSPEC) (RST), connect again"},
    {"name": "conditional_linger", "role": "fresh", "ends_with": "rst_unless_peer_fin", "keep_alive": false, "what": "a new socket per request; RST unless the backend's FIN was read, then close()"},
    {"name": "keepalive", "role": "reference", "ends_with": "fin", "keep_alive": true, "what": "a pool of idle connections reused until the backend closes them"}
  ]
}
)json");
}

// --- forwarding, each strategy against each backend mode ----------------------

struct Case {
  const char* strategy;
  BackendMode mode;
  int backend_connections;  // for kRequests requests on one client connection
  TimeWait time_wait;       // after them
};

constexpr int kRequests = 40;

std::string case_name(const testing::TestParamInfo<Case>& info) {
  return std::string(info.param.strategy) + (info.param.mode == BackendMode::closes ? "_backend_closes" : "_backend_keeps");
}

class ProxyForwarding : public testing::TestWithParam<Case> {};

TEST_P(ProxyForwarding, ForwardsExactBodiesWithTheStrategysConnections) {
  const Case& c = GetParam();
  HttpBackend backend(c.mode);
  const long opens_before = test::tcp_counter("ActiveOpens");
  proxy::Stats stats;
  std::vector<int> kept;
  {
    BackgroundProxy proxy(config_for(backend, c.strategy));
    HttpClient client(proxy.port());
    for (int i = 0; i < kRequests; ++i) {
      const std::string body(static_cast<std::size_t>(i * 37 % 200), static_cast<char>('a' + i % 26));
      const std::string target = "/item/" + std::to_string(i);
      const auto reply = client.exchange(target, body);
      ASSERT_TRUE(reply) << "request " << i;
      EXPECT_EQ(reply->status, 200) << reply->body;
      EXPECT_EQ(reply->body, "target=" + target + " body=" + body);
    }
    // The last response reaches the client before the proxy has ended (or
    // pooled) its backend connection: wait for that.
    const std::size_t kept_expected = std::string(c.strategy) == "reuse_unspec" ||
                                              (std::string(c.strategy) == "keepalive" && c.mode == BackendMode::keep_alive)
                                          ? 1
                                          : 0;
    const std::uint64_t ends_expected = c.mode == BackendMode::keep_alive && std::string(c.strategy) == "keepalive"
                                            ? 0
                                            : static_cast<std::uint64_t>(kRequests);
    EXPECT_TRUE(test::eventually([&] {
      const proxy::Stats s = proxy.stats();
      kept = proxy.idle_backend_descriptors();
      return s.ended_after_fin + s.ended_first == ends_expected && kept.size() == kept_expected;
    }));
    stats = proxy.stop();
  }
  EXPECT_EQ(stats.requests, kRequests);
  EXPECT_EQ(stats.forwarded, kRequests);
  EXPECT_EQ(stats.backend_errors, 0u);
  EXPECT_EQ(backend.requests(), kRequests);
  EXPECT_EQ(backend.accepted(), c.backend_connections);
  // One active open for the client, one per backend connection (the kernel's
  // count, as the proxy section reads it per request).
  EXPECT_EQ(test::tcp_counter("ActiveOpens") - opens_before, 1 + c.backend_connections);
  const std::string strategy = c.strategy;
  if (strategy == "reuse_unspec") {
    EXPECT_EQ(stats.sockets_opened, 1u);  // one socket, connected kRequests times
    EXPECT_EQ(stats.sockets_reused, static_cast<std::uint64_t>(kRequests - 1));
    ASSERT_EQ(kept.size(), 1u);
  } else if (strategy == "keepalive") {
    EXPECT_EQ(stats.sockets_opened, static_cast<std::uint64_t>(c.backend_connections));
    EXPECT_EQ(kept.size(), c.mode == BackendMode::keep_alive ? 1u : 0u);
  } else {
    EXPECT_EQ(stats.sockets_opened, static_cast<std::uint64_t>(kRequests));
    EXPECT_TRUE(kept.empty());
  }
  if (c.mode == BackendMode::closes) {
    EXPECT_EQ(stats.ended_after_fin, static_cast<std::uint64_t>(kRequests));
  }
  // The backend's side of its close, or the proxy's: counted once settled.
  TimeWait tw;
  EXPECT_TRUE(test::eventually([&] {
    tw = time_wait_towards(backend.port());
    return tw.backend == c.time_wait.backend && tw.proxy == c.time_wait.proxy;
  }))
      << "TIME_WAIT backend side " << tw.backend << ", proxy side " << tw.proxy;
}

// Closing backend: every connection carries one request, the backend's FIN
// comes first. A plain close after it leaves TIME_WAIT on the backend; RST
// (linger 0, AF_UNSPEC) leaves none. A backend that keeps connections: the
// churn strategies end each one first (fresh_close: TIME_WAIT on the proxy),
// the pool keeps one.
INSTANTIATE_TEST_SUITE_P(
    EachStrategy, ProxyForwarding,
    testing::Values(Case{"fresh_close", BackendMode::closes, kRequests, {kRequests, 0}},
                    Case{"fresh_linger0", BackendMode::closes, kRequests, {0, 0}},
                    Case{"reuse_unspec", BackendMode::closes, kRequests, {0, 0}},
                    Case{"conditional_linger", BackendMode::closes, kRequests, {kRequests, 0}},
                    Case{"keepalive", BackendMode::closes, kRequests, {kRequests, 0}},
                    Case{"fresh_close", BackendMode::keep_alive, kRequests, {0, kRequests}},
                    Case{"fresh_linger0", BackendMode::keep_alive, kRequests, {0, 0}},
                    Case{"reuse_unspec", BackendMode::keep_alive, kRequests, {0, 0}},
                    Case{"conditional_linger", BackendMode::keep_alive, kRequests, {0, 0}},
                    Case{"keepalive", BackendMode::keep_alive, 1, {0, 0}}),
    case_name);

// --- the error paths ------------------------------------------------------------

// One request through a proxy in front of `backend`: its reply, and whether
// the client connection still serves a second request afterwards.
struct ErrorCase {
  const char* name;
  BackendMode mode;
  const char* raw;  // the backend's whole answer (BackendMode::raw)
  int status;
};

class ProxyBackendErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(ProxyBackendErrors, AnswersWithAGatewayErrorAndServesOn) {
  const ErrorCase& c = GetParam();
  HttpBackend backend(c.mode, c.raw);
  proxy::Config cfg = config_for(backend, "reuse_unspec");
  cfg.backend_timeout = 300ms;
  BackgroundProxy proxy(cfg);
  HttpClient client(proxy.port());
  for (int i = 0; i < 2; ++i) {  // the client connection is kept after an error
    const auto reply = client.exchange("/x", "hi");
    ASSERT_TRUE(reply) << "request " << i;
    EXPECT_EQ(reply->status, c.status) << reply->body;
    EXPECT_NE(reply->body.find(c.status == 504 ? "timed out" : "backend"), std::string::npos) << reply->body;
  }
  const proxy::Stats stats = proxy.stop();
  EXPECT_EQ(stats.backend_errors, 2u);
  EXPECT_EQ(stats.forwarded, 0u);
  EXPECT_EQ(stats.abandoned, 2u);
}

INSTANTIATE_TEST_SUITE_P(
    Each, ProxyBackendErrors,
    testing::Values(ErrorCase{"malformed", BackendMode::raw, "garbage\r\n\r\n", 502},
                    ErrorCase{"chunked", BackendMode::raw,
                              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", 502},
                    ErrorCase{"no_length", BackendMode::raw, "HTTP/1.1 200 OK\r\n\r\nuntil the end", 502},
                    ErrorCase{"short_body", BackendMode::raw, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 502},
                    ErrorCase{"closes_at_once", BackendMode::raw, "", 502},
                    ErrorCase{"silent", BackendMode::silent, "", 504}),
    [](const testing::TestParamInfo<ErrorCase>& info) { return std::string(info.param.name); });

TEST(ProxyErrors, BackendDownIs502ForEveryRequest) {
  const std::uint16_t nothing = find_free_port(loopback_v4(0), SOCK_STREAM);
  for (const StrategyInfo* strategy : proxy::backend_strategies()) {
    const std::string name(strategy->name);
    proxy::Config cfg;
    cfg.backend = "127.0.0.1:" + std::to_string(nothing);
    cfg.backend_strategy = name;
    BackgroundProxy proxy(cfg);
    HttpClient client(proxy.port());
    for (int i = 0; i < 3; ++i) {
      const auto reply = client.exchange("/", "");
      ASSERT_TRUE(reply) << name;
      EXPECT_EQ(reply->status, 502) << name;
      EXPECT_NE(reply->body.find("ECONNREFUSED"), std::string::npos) << reply->body;
    }
    const proxy::Stats stats = proxy.stop();
    EXPECT_EQ(stats.backend_errors, 3u) << name;
    EXPECT_EQ(stats.connects, 0u) << name;
  }
}

// A refused request ends the client connection after the answer: the stream
// cannot be read on.
void expect_refused(const std::string& request, int status, const std::string& says) {
  HttpBackend backend(BackendMode::keep_alive);
  BackgroundProxy proxy(config_for(backend, "fresh_close"));
  HttpClient client(proxy.port());
  client.send(request);
  const auto reply = client.receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, status) << reply->body;
  EXPECT_NE(reply->body.find(says), std::string::npos) << reply->body;
  EXPECT_NE(lower(reply->head).find("connection: close"), std::string::npos) << reply->head;
  EXPECT_EQ(client.end(), "EOF");
  EXPECT_EQ(backend.accepted(), 0);
  EXPECT_EQ(proxy.stop().refused_requests, 1u);
}

TEST(ProxyErrors, OversizeHeaderIs431) {
  expect_refused("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'b') + "\r\n\r\n", 431, "too large");
}

TEST(ProxyErrors, ChunkedRequestIs501) {
  expect_refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", 501,
                 "chunked");
}

TEST(ProxyErrors, OversizeBodyIs413) {
  expect_refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", 413, "too large");
}

TEST(ProxyErrors, NotHttpIs400) { expect_refused("hello there\r\n\r\n", 400, "malformed"); }

TEST(ProxyErrors, ConnectionsOverTheLimitAreReset) {
  HttpBackend backend(BackendMode::keep_alive);
  proxy::Config cfg = config_for(backend, "keepalive");
  cfg.max_connections = 2;
  BackgroundProxy proxy(cfg);
  HttpClient a(proxy.port()), b(proxy.port());
  ASSERT_TRUE(a.exchange("/a", "1"));
  ASSERT_TRUE(b.exchange("/b", "2"));
  HttpClient c(proxy.port());  // the handshake completes; then the reset
  EXPECT_EQ(c.end(), "ECONNRESET");
  ASSERT_TRUE(a.exchange("/a", "3"));  // served clients are unaffected
  EXPECT_EQ(proxy.stop().refused, 1u);
}

// After a run with every kind of failure, the proxy holds no descriptor: the
// process has the ones it had before.
TEST(ProxyErrors, LeavesNoDescriptorBehind) {
  const std::size_t before = test::open_fds();
  {
    HttpBackend good(BackendMode::closes);
    HttpBackend bad(BackendMode::raw, "garbage\r\n\r\n");
    for (const auto* backend : {&good, &bad}) {
      for (const StrategyInfo* strategy : proxy::backend_strategies()) {
        BackgroundProxy proxy(config_for(*backend, std::string(strategy->name)));
        HttpClient client(proxy.port());
        for (int i = 0; i < 5; ++i) ASSERT_TRUE(client.exchange("/", "x"));
        client.send("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        ASSERT_TRUE(client.receive());
      }
    }
  }
  EXPECT_TRUE(test::eventually([&] { return test::open_fds() == before; })) << test::open_fds() << " vs " << before;
}

// --- the parser and checks over a buffer (as the fuzz target runs them) -------

TEST(ProxyParsing, RequestsAndResponsesOverABuffer) {
  const proxy::Limits limits;
  proxy::Request req;
  const std::string get = "GET /a HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n\r\n";
  const auto v = proxy::parse_request(get + "GET /b", limits, &req);
  EXPECT_TRUE(v.complete);
  EXPECT_EQ(v.consumed, get.size());
  const proxy::Request fwd = proxy::forward_request(std::move(req));
  EXPECT_EQ(fwd.count("X-Hop"), 0u);  // named by Connection: hop-by-hop
  EXPECT_EQ(fwd.count(proxy::http::field::connection), 0u);
  EXPECT_EQ(fwd.count(proxy::http::field::host), 1u);

  EXPECT_FALSE(proxy::parse_request("GET / HTTP/1.1\r\nHost:", limits).complete);
  EXPECT_FALSE(proxy::parse_request("GET / HTTP/1.1\r\nHost:", limits).refusal);
  EXPECT_EQ(proxy::parse_request("GET / HTTP/1.1\r\nX: " + std::string(9000, 'x'), limits).refusal->status,
            proxy::http::status::request_header_fields_too_large);
  EXPECT_EQ(proxy::parse_response("HTTP/1.1 200 OK\r\n\r\nrest", limits, false).refusal->status,
            proxy::http::status::bad_gateway);
  const auto head = proxy::parse_response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", limits, true);
  EXPECT_TRUE(head.complete);  // a HEAD response: no body follows its length
  EXPECT_TRUE(proxy::parse_response("HTTP/1.1 204 No Content\r\n\r\n", limits, false).complete);
}

}  // namespace

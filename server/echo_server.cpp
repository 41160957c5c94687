#include "echo_server.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>

#include "net/fd.hpp"
#include "net/sockops.hpp"
#include "reactor_io.hpp"

namespace sockchurn::echo {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;
using namespace std::chrono_literals;

// Connections run on the io_context's executor itself: no type erasure and no
// strand (a connection has one operation in flight at a time). Listeners,
// their idle sweeps and the UDP loops each run on a strand, so that stop() can
// reach them from any thread.
using Executor = asio::io_context::executor_type;
using Strand = asio::strand<Executor>;
template <typename Ex>
using Task = asio::awaitable<void, Ex>;
// Connections, listeners and UDP sockets wait through reactor_io.hpp; the
// acceptor only sets a listener up.
using TcpSocket = Reactive<asio::basic_stream_socket<tcp, Executor>>;
using TcpAcceptor = asio::basic_socket_acceptor<tcp, Executor>;
using UdpSocket = Reactive<asio::basic_datagram_socket<udp, Executor>>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                         asio::wait_traits<std::chrono::steady_clock>, Executor>;

// Expected errors (EOF, ECONNRESET, EPIPE, cancellation) come back as values.
template <typename Ex>
auto as_value(error_code& ec) {
  return asio::redirect_error(asio::use_awaitable_t<Ex>{}, ec);
}

// Unexpected exceptions leave the coroutine and end run().
struct Rethrow {
  void operator()(const std::exception_ptr& e) const {
    if (e) std::rethrow_exception(e);
  }
};

constexpr std::size_t kStreamBuffer = 64 * 1024;  // TCP echo read size
constexpr auto kAcceptBackoff = 100ms;             // after EMFILE and other persistent errors
// Connections accepted, datagrams echoed or full buffers read, one after
// another before a loop lets other handlers run (a flood must not starve the
// rest).
constexpr unsigned kBatch = 16;
// The idle sweep runs this many times per idle timeout; a connection is closed
// between 1 and 1 + 1/kSweepsPerTimeout timeouts after its last activity.
constexpr std::uint32_t kSweepsPerTimeout = 4;

template <typename Endpoint>
std::string endpoint_text(const Endpoint& ep) {
  const auto addr = ep.address();
  const std::string host = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  return host + ":" + std::to_string(ep.port());
}

void bump(std::atomic<std::uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

// Closes a connection from outside its coroutine, on any thread: the pending
// read or write completes (EOF, EPIPE) and the coroutine ends. With `abort`
// the final close() sends RST and leaves no TIME_WAIT; used for idle peers.
void shut_down(int fd, bool abort) {
  if (abort) try_set_linger0(fd);
  ::shutdown(fd, SHUT_RDWR);
}

// The system calls of the hot path, as Attempts (reactor_io.hpp): each is
// called directly where data is likely, and by the reactor once epoll says the
// socket is readable.

// accept4 with SOCK_NONBLOCK: the new socket needs no ioctl. A connection
// that was aborted before it was accepted is skipped, as Asio's accept does.
bool try_accept(int fd, void* /*context*/, error_code& ec, std::size_t& result) {
  for (;;) {
    const int c = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) {
      result = static_cast<std::size_t>(c);
      return true;
    }
    if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    ec.assign(errno, asio::error::get_system_category());
    return true;
  }
}

// recv into a mutable_buffer; EOF as asio::error::eof.
bool try_recv(int fd, void* buffer, error_code& ec, std::size_t& result) {
  const auto& b = *static_cast<const asio::mutable_buffer*>(buffer);
  for (;;) {
    const ssize_t n = ::recv(fd, b.data(), b.size(), 0);
    if (n > 0) {
      result = static_cast<std::size_t>(n);
      return true;
    }
    if (n == 0) {
      ec = asio::error::eof;
      return true;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    ec.assign(errno, asio::error::get_system_category());
    return true;
  }
}

struct Datagram {
  asio::mutable_buffer buffer;
  udp::endpoint peer;
};

bool try_recvfrom(int fd, void* datagram, error_code& ec, std::size_t& result) {
  auto& d = *static_cast<Datagram*>(datagram);
  for (;;) {
    socklen_t len = static_cast<socklen_t>(d.peer.capacity());
    const ssize_t n = ::recvfrom(fd, d.buffer.data(), d.buffer.size(), 0, d.peer.data(), &len);
    if (n >= 0) {
      d.peer.resize(len);
      result = static_cast<std::size_t>(n);
      return true;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    ec.assign(errno, asio::error::get_system_category());
    return true;
  }
}

// One send of what one read returned: the socket buffer nearly always takes
// it whole. Returns the bytes sent (0 on EAGAIN), or sets `ec`.
std::size_t send_now(int fd, const void* data, std::size_t size, error_code& ec) {
  for (;;) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) ec.assign(errno, asio::error::get_system_category());
    return 0;
  }
}

struct Counters {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> active{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> closed_idle{0};
  std::atomic<std::uint64_t> closed_slow{0};
  std::atomic<std::uint64_t> udp_datagrams{0};
  std::atomic<std::uint64_t> udp_oversized{0};
  std::atomic<std::uint64_t> accept_errors{0};
};

// A TCP connection as the idle sweep and stop() see it: an intrusive list
// node living in the connection's coroutine frame.
struct ConnEntry {
  ConnEntry* prev = this;
  ConnEntry* next = this;
  int fd = -1;
  std::atomic<std::uint32_t> last_tick{0};  // the sweep tick of the last read or write
  std::atomic<std::uint64_t> received{0};   // bytes read; written by the connection only
  bool closing = false;                     // guarded by Listener::mutex
  // The minimum-rate window, the sweep's own (guarded by Listener::mutex).
  std::uint32_t window_tick = 0;
  std::uint64_t window_received = 0;
};

struct Listener {
  Listener(asio::io_context& ioc, unsigned reads_before_close, std::size_t buffer_size)
      : reads_before_close(reads_before_close), buffer_size(buffer_size), strand(ioc.get_executor()),
        socket(ioc.get_executor()), backoff(ioc.get_executor()), sweep_timer(ioc.get_executor()) {}

  // Echoes this many reads, then closes: 0 never (TCP echo), 1 echo-once,
  // N a close-after-N port.
  const unsigned reads_before_close;
  const std::size_t buffer_size;
  std::string name;  // "tcp 127.0.0.1:41234", for the log
  Strand strand;     // runs the accept loop, the sweep and close()
  TcpSocket socket;  // the listening socket (set up by listen_on)
  tcp protocol = tcp::v4();
  std::uint16_t port = 0;
  Timer backoff;
  Timer sweep_timer;
  std::atomic<std::uint32_t> tick{0};  // advanced by each sweep
  std::atomic<bool> stopping{false};   // written under `mutex`

  std::mutex mutex;
  ConnEntry conns;  // list head

  // On the strand: stop accepting and end every connection.
  void close() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
      for (ConnEntry* c = conns.next; c != &conns; c = c->next) {
        if (!std::exchange(c->closing, true)) shut_down(c->fd, false);
      }
    }
    error_code ignored;
    socket.close(ignored);
    backoff.cancel();
    sweep_timer.cancel();
  }
};

// One connection's membership in its listener: visible to the sweep and to
// stop() until it ends. Declared after the socket, so it is gone before the
// socket's fd is closed.
class Registration {
 public:
  Registration(Listener& listener, Counters& counters, int fd) : l_(listener), counters_(counters) {
    entry_.fd = fd;
    touch();
    std::lock_guard lock(l_.mutex);
    if (l_.stopping) return;
    entry_.window_tick = l_.tick.load(std::memory_order_relaxed);
    entry_.prev = l_.conns.prev;
    entry_.next = &l_.conns;
    l_.conns.prev->next = &entry_;
    l_.conns.prev = &entry_;
    registered_ = true;
  }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  ~Registration() {
    if (registered_) {
      std::lock_guard lock(l_.mutex);
      entry_.prev->next = entry_.next;
      entry_.next->prev = entry_.prev;
    }
    counters_.active.fetch_sub(1, std::memory_order_relaxed);
  }

  explicit operator bool() const noexcept { return registered_; }
  // The only per-read bookkeeping: one relaxed store.
  void touch() noexcept {
    entry_.last_tick.store(l_.tick.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
  // After a read: only this connection writes the count, so no atomic add.
  void received(std::size_t n) noexcept {
    entry_.received.store(entry_.received.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    touch();
  }

 private:
  Listener& l_;
  Counters& counters_;
  ConnEntry entry_;
  bool registered_ = false;
};

// One connection: read, echo, until the peer ends it (or `reads_before_close`
// reads). The first read is tried at once: a client sends its message right
// after its connect, so it is usually there when the connection is accepted.
// After an echo the peer has to read it before it can answer, so an
// immediate read would mostly say EAGAIN: with one thread, a read that
// emptied the socket (shorter than the buffer) is followed by a wait that
// skips the reactor's speculative read (reactor_io.hpp says when that is
// safe); otherwise the read is tried at once, and a wait follows only an
// EAGAIN seen in the same handler. With more threads every wait tries its
// read first, as stock Asio does.
Task<Executor> serve(Listener& l, Counters& counters, TcpSocket socket, bool one_thread) {
  const int fd = socket.native_handle();
  Registration reg(l, counters, fd);
  if (!reg) co_return;
  const std::unique_ptr<char[]> storage(new char[l.buffer_size]);  // uninitialised on purpose
  asio::mutable_buffer buffer(storage.get(), l.buffer_size);
  error_code ec;
  std::size_t n = 0;
  bool ready = try_recv(fd, &buffer, ec, n);
  bool empty = !ready;  // seen empty in this handler, with no wait since
  unsigned streak = 0;  // reads tried at once in a row, each finding a full buffer
  const unsigned limit = l.reads_before_close;  // 0: until the peer ends it
  for (unsigned reads = 0; limit == 0 || reads < limit;) {
    if (!ready && one_thread && !empty) {
      if (++streak > kBatch) {  // a peer that keeps the buffer full must not starve the rest
        co_await asio::post(socket.get_executor(), asio::use_awaitable_t<Executor>{});
        streak = 0;
      }
      ready = try_recv(fd, &buffer, ec, n);
    }
    if (!ready) {
      n = co_await socket.async_ready(try_recv, &buffer, one_thread, as_value<Executor>(ec));
      streak = 0;
    }
    ready = false;
    if (ec) break;  // EOF, ECONNRESET, or shut down by the sweep or stop()
    reg.received(n);
    const std::size_t sent = send_now(fd, buffer.data(), n, ec);
    empty = n < buffer.size();
    if (!ec && sent < n) {  // the peer is not reading: wait for room
      co_await asio::async_write(socket, asio::buffer(buffer + sent, n - sent), as_value<Executor>(ec));
      empty = false;
    }
    if (ec) break;  // EPIPE, ECONNRESET
    reg.touch();
    ++reads;
  }
}  // the socket's fd is closed here

bool resource_exhausted(const error_code& ec) {
  const int e = ec.value();
  return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

// Closes idle connections (no read or write for a timeout) and slow ones
// (fewer than `min_bytes` read in a window of a timeout plus one sweep, so
// that a peer's first bytes are never counted against it).
Task<Strand> sweep_idle(Listener& l, Counters& counters, std::chrono::milliseconds timeout, std::size_t min_bytes) {
  const auto period = std::max(std::chrono::microseconds(timeout) / kSweepsPerTimeout, std::chrono::microseconds(250));
  error_code ec;
  while (!l.stopping) {
    l.sweep_timer.expires_after(period);
    co_await l.sweep_timer.async_wait(as_value<Strand>(ec));
    if (ec || l.stopping) break;
    const std::uint32_t now = l.tick.fetch_add(1, std::memory_order_relaxed) + 1;
    std::lock_guard lock(l.mutex);
    for (ConnEntry* c = l.conns.next; c != &l.conns; c = c->next) {
      if (c->closing) continue;
      if (now - c->last_tick.load(std::memory_order_relaxed) > kSweepsPerTimeout) {
        c->closing = true;
        shut_down(c->fd, true);
        bump(counters.closed_idle);
      } else if (min_bytes > 0 && now - c->window_tick > kSweepsPerTimeout + 1) {
        const std::uint64_t received = c->received.load(std::memory_order_relaxed);
        if (received - c->window_received < min_bytes) {
          c->closing = true;
          shut_down(c->fd, true);
          bump(counters.closed_slow);
        } else {
          c->window_tick = now;
          c->window_received = received;
        }
      }
    }
  }
}

}  // namespace

struct Server::Impl {
  explicit Impl(Config c);
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl();

  bool admit() {
    if (counters.active.fetch_add(1, std::memory_order_relaxed) < cfg.max_connections) return true;
    counters.active.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  void stop();
  Task<Strand> accept_loop(Listener& l);
  void take(Listener& l, int fd);
  Task<Strand> udp_loop(std::size_t index);

  const Config cfg;
  asio::io_context ioc;  // before the I/O objects below, which need it
  Counters counters;
  Ports ports;
  Listener tcp{ioc, 0, kStreamBuffer};
  Listener once{ioc, 1, cfg.max_message};
  std::vector<std::unique_ptr<Listener>> after;  // close-after-N, ascending N
  std::vector<Listener*> listeners;              // all of the above
  std::vector<Strand> udp_strands;
  std::vector<UdpSocket> udp_sockets;  // one per thread, sharing the port (SO_REUSEPORT)
  std::vector<std::unique_ptr<char[]>> udp_buffers;
  std::atomic<bool> stop_requested{false};
};

namespace {

Config validated(Config cfg) {
  if (cfg.threads == 0) throw std::invalid_argument("threads must be at least 1");
  if (cfg.max_connections == 0) throw std::invalid_argument("max_connections must be at least 1");
  if (cfg.max_message == 0) throw std::invalid_argument("max_message must be at least 1");
  if (cfg.idle_timeout.count() < 0) throw std::invalid_argument("idle_timeout must not be negative");
  std::sort(cfg.close_after.begin(), cfg.close_after.end());
  for (std::size_t i = 0; i < cfg.close_after.size(); ++i) {
    const unsigned n = cfg.close_after[i];
    if (n < kCloseAfterMin || n > kCloseAfterMax)
      throw std::invalid_argument("close_after " + std::to_string(n) + " is not from " + std::to_string(kCloseAfterMin) +
                                  " to " + std::to_string(kCloseAfterMax));
    if (i > 0 && cfg.close_after[i - 1] == n)
      throw std::invalid_argument("close_after " + std::to_string(n) + " is given twice");
  }
  return cfg;
}

asio::ip::address listen_address(const std::string& text) {
  std::string_view host = text;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";  // as the benchmarks' own address parser
  error_code ec;
  auto addr = asio::ip::make_address(std::string(host), ec);
  if (ec) throw std::invalid_argument("invalid listen address '" + text + "' (a numeric IPv4 or IPv6 address, or localhost)");
  return addr;
}

template <typename Endpoint>
[[noreturn]] void throw_listen_error(const error_code& ec, const char* protocol, const Endpoint& ep) {
  throw std::system_error(ec, std::string("cannot listen on ") + protocol + " " + endpoint_text(ep) + ": " +
                                  errno_name(ec.value()));
}

// Set up with an acceptor, then served through Reactive (accept4).
void listen_on(Listener& l, const tcp::endpoint& ep) {
  TcpAcceptor acceptor(l.socket.get_executor());
  error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  // Accepted sockets inherit TCP_NODELAY from the listener: no setsockopt
  // per connection.
  if (!ec) acceptor.set_option(tcp::no_delay(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw_listen_error(ec, "tcp", ep);
  const tcp::endpoint local = acceptor.local_endpoint();
  l.name = "tcp " + endpoint_text(local);
  l.port = local.port();
  l.protocol = ep.protocol();
  const int fd = acceptor.release(ec);
  if (!ec) l.socket.assign(ep.protocol(), fd, ec);
  if (!ec) l.socket.non_blocking(true, ec);
  if (ec) throw_listen_error(ec, "tcp", ep);
}

void set_reuse_port(UdpSocket& s, const udp::endpoint& ep) {
  const int one = 1;
  if (::setsockopt(s.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    throw_listen_error(error_code(errno, asio::error::get_system_category()), "udp", ep);
}

}  // namespace

Server::Impl::Impl(Config c)
    : cfg(validated(std::move(c))), ioc(cfg.threads == 1 ? 1 : static_cast<int>(cfg.threads)) {
  const auto addr = listen_address(cfg.listen);
  listen_on(tcp, {addr, cfg.tcp_port});
  listen_on(once, {addr, cfg.tcp_once_port});
  listeners = {&tcp, &once};
  for (const unsigned n : cfg.close_after) {
    Listener& l = *after.emplace_back(std::make_unique<Listener>(ioc, n, cfg.max_message));
    listen_on(l, {addr, 0});
    listeners.push_back(&l);
  }

  // UDP: one socket per thread on one port, so datagrams are spread over
  // threads. The first socket binds alone (a port 0 bind with SO_REUSEPORT
  // could land on another process's port), the others join it.
  udp::endpoint ep{addr, cfg.udp_port};
  for (unsigned i = 0; i < cfg.threads; ++i) {
    UdpSocket& s = udp_sockets.emplace_back(ioc.get_executor());
    error_code ec;
    s.open(ep.protocol(), ec);
    if (!ec) s.non_blocking(true, ec);  // for the loop's own recvfrom and sendto
    if (ec) throw_listen_error(ec, "udp", ep);
    if (i > 0) set_reuse_port(s, ep);
    s.bind(ep, ec);
    if (ec) throw_listen_error(ec, "udp", ep);
    if (i == 0) {
      ep = s.local_endpoint();
      if (cfg.threads > 1) set_reuse_port(s, ep);
    }
    udp_strands.emplace_back(ioc.get_executor());
    udp_buffers.emplace_back(new char[cfg.max_message + 1]);  // +1 detects oversized datagrams
  }
  ports = {tcp.port, once.port, ep.port()};
  for (const auto& l : after) ports.tcp_after.emplace_back(l->reads_before_close, l->port);

  // Nothing runs before run().
  for (Listener* l : listeners) {
    asio::co_spawn(l->strand, accept_loop(*l), Rethrow{});
    if (cfg.idle_timeout.count() > 0) asio::co_spawn(l->strand, sweep_idle(*l, counters, cfg.idle_timeout, cfg.min_bytes), Rethrow{});
  }
  for (std::size_t i = 0; i < udp_sockets.size(); ++i) asio::co_spawn(udp_strands[i], udp_loop(i), Rethrow{});
}

// Coroutine frames refer to the listeners: let every coroutine finish before
// the members go, including when run() was never called or ended early.
Server::Impl::~Impl() {
  stop();
  for (;;) {
    try {
      ioc.restart();
      ioc.run();
      break;
    } catch (...) {
    }
  }
}

void Server::Impl::stop() {
  if (stop_requested.exchange(true)) return;
  for (Listener* l : listeners) asio::post(l->strand, [l] { l->close(); });
  for (std::size_t i = 0; i < udp_sockets.size(); ++i) {
    asio::post(udp_strands[i], [socket = &udp_sockets[i]] {
      error_code ignored;
      socket->close(ignored);
    });
  }
}

// With one thread: accepts until accept4 says EAGAIN (at most kBatch in a
// row), then waits for the listener through the reactor, skipping its
// speculative accept (accept4 has just said EAGAIN). With more threads each
// accept goes through the reactor, speculative attempt included.
Task<Strand> Server::Impl::accept_loop(Listener& l) {
  const int listen_fd = l.socket.native_handle();
  const bool one_thread = cfg.threads == 1;
  bool failing = false;  // in an episode of accept errors: logged once
  unsigned batch = 0;
  error_code ec;
  while (!l.stopping) {
    ec.clear();
    std::size_t fd = 0;
    const bool now = one_thread && batch < kBatch && try_accept(listen_fd, nullptr, ec, fd);
    if (!now) {
      fd = co_await l.socket.async_ready(try_accept, nullptr, one_thread && batch < kBatch, as_value<Strand>(ec));
      batch = 0;
    }
    ++batch;
    if (l.stopping) {
      if (!ec) ::close(static_cast<int>(fd));
      break;
    }
    if (ec) {
      if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) break;
      bump(counters.accept_errors);
      // Running out of descriptors or memory does not go away at once: back
      // off instead of spinning (the pending connection stays readable). Any
      // error seen twice in a row is treated the same way.
      const bool back_off = resource_exhausted(ec) || failing;
      if (!failing) {
        std::fprintf(stderr, "sockchurn-echo: accept on %s: %s (%s); retrying every %d ms\n", l.name.c_str(),
                     errno_name(ec.value()).c_str(), ec.message().c_str(), static_cast<int>(kAcceptBackoff.count()));
        failing = true;
      }
      if (back_off) {
        l.backoff.expires_after(kAcceptBackoff);
        co_await l.backoff.async_wait(as_value<Strand>(ec));
      }
      batch = kBatch;  // the next accept goes through the reactor
      continue;
    }
    failing = false;
    take(l, static_cast<int>(fd));
  }
}

// A new connection: served, or reset at once when over the limit.
void Server::Impl::take(Listener& l, int fd) {
  if (!admit()) {
    // Over the limit: reset at once (no TIME_WAIT here), keep serving the rest.
    bump(counters.refused);
    try_set_linger0(fd);
    ::close(fd);
    return;
  }
  const Executor ex = ioc.get_executor();
  TcpSocket socket(ex);
  error_code ec;
  socket.adopt(l.protocol, fd, ec);
  if (ec) {  // epoll_ctl(ADD) failed (ENOMEM, ENOSPC)
    ::close(fd);
    counters.active.fetch_sub(1, std::memory_order_relaxed);
    bump(counters.accept_errors);
    return;
  }
  bump(counters.accepted);
  asio::co_spawn(ex, serve(l, counters, std::move(socket), cfg.threads == 1), Rethrow{});
}

// Echoes each datagram with one sendto. With one thread: receives until
// recvfrom says EAGAIN (at most kBatch in a row), then waits through the
// reactor, skipping its speculative recvfrom; with more threads each receive
// goes through the reactor, as in the accept loop.
Task<Strand> Server::Impl::udp_loop(std::size_t index) {
  UdpSocket& socket = udp_sockets[index];
  const int fd = socket.native_handle();
  const bool one_thread = cfg.threads == 1;
  Datagram d{asio::mutable_buffer(udp_buffers[index].get(), cfg.max_message + 1), {}};
  unsigned batch = 0;
  error_code ec;
  for (;;) {
    ec.clear();
    std::size_t n = 0;
    const bool now = one_thread && batch < kBatch && try_recvfrom(fd, &d, ec, n);
    if (!now) {
      n = co_await socket.async_ready(try_recvfrom, &d, one_thread && batch < kBatch, as_value<Strand>(ec));
      batch = 0;
      if (!socket.is_open()) break;  // stop()
    }
    ++batch;
    if (ec) continue;
    if (n > cfg.max_message) {
      bump(counters.udp_oversized);
      continue;
    }
    bump(counters.udp_datagrams);  // before the echo leaves, so a client that got it sees the count
    const ssize_t sent = ::sendto(fd, d.buffer.data(), n, 0, d.peer.data(), static_cast<socklen_t>(d.peer.size()));
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {  // the send buffer is full: wait for room
      co_await socket.async_send_to(asio::buffer(d.buffer, n), d.peer, as_value<Strand>(ec));
      batch = kBatch;
      if (!socket.is_open()) break;
    }
    // Any other failed send (ENOBUFS, EPERM) loses this datagram only.
  }
}

Server::Server(Config cfg) : impl_(std::make_unique<Impl>(std::move(cfg))) {}

Server::~Server() = default;

Ports Server::ports() const { return impl_->ports; }

void Server::run() {
  std::mutex mutex;
  std::exception_ptr failure;
  const auto body = [&] {
    try {
      impl_->ioc.run();
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!failure) failure = std::current_exception();
      impl_->ioc.stop();
    }
  };
  std::vector<std::thread> helpers;
  for (unsigned i = 1; i < impl_->cfg.threads; ++i) helpers.emplace_back(body);
  body();
  for (std::thread& t : helpers) t.join();
  if (failure) std::rethrow_exception(failure);
}

void Server::stop() { impl_->stop(); }

Stats Server::stats() const {
  const Counters& c = impl_->counters;
  const auto get = [](const std::atomic<std::uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  return {get(c.accepted),      get(c.active),        get(c.refused),       get(c.closed_idle),
          get(c.closed_slow),   get(c.udp_datagrams), get(c.udp_oversized), get(c.accept_errors)};
}

boost::asio::io_context& Server::context() { return impl_->ioc; }

BackgroundServer::BackgroundServer(Config cfg) : server_(std::move(cfg)), thread_([this] { server_.run(); }) {}

BackgroundServer::~BackgroundServer() {
  server_.stop();
  thread_.join();
}

}  // namespace sockchurn::echo

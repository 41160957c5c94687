#include "observe/tcp_states.hpp"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "net/fd.hpp"

namespace sockchurn {
namespace {

constexpr std::uint32_t kAllStates = ~0U;

Endpoint diag_endpoint(int family, const __be32 (&addr)[4], __be16 port_be) {
  Endpoint ep;
  if (family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ep.storage);
    v4->sin_family = AF_INET;
    v4->sin_port = port_be;
    std::memcpy(&v4->sin_addr, addr, sizeof v4->sin_addr);
    ep.len = sizeof(sockaddr_in);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ep.storage);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = port_be;
    std::memcpy(&v6->sin6_addr, addr, sizeof v6->sin6_addr);
    ep.len = sizeof(sockaddr_in6);
  }
  return ep;
}

// One SOCK_DIAG_BY_FAMILY dump of TCP sockets of `family` in `states` (a bit
// mask of 1 << TcpState) on the netlink socket `nl`; calls on_socket for each.
template <typename OnSocket>
void dump_tcp(int nl, int family, std::uint32_t states, std::uint32_t seq, OnSocket&& on_socket) {
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } request{};
  request.nlh.nlmsg_len = sizeof request;
  request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.nlh.nlmsg_seq = seq;
  request.req.sdiag_family = static_cast<__u8>(family);
  request.req.sdiag_protocol = IPPROTO_TCP;
  request.req.idiag_states = states;

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(nl, &request, sizeof request, 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) !=
      static_cast<ssize_t>(sizeof request))
    throw_errno("sendto(NETLINK_SOCK_DIAG)");

  // The kernel fills at most 32 KiB per recv; a larger buffer never truncates.
  std::vector<char> buf(64 * 1024);
  for (;;) {
    const ssize_t n = ::recv(nl, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("recv(NETLINK_SOCK_DIAG)");
    }
    if (n == 0) throw std::system_error(EPROTO, std::generic_category(), "recv(NETLINK_SOCK_DIAG): end of stream");
    int len = static_cast<int>(n);
    for (const auto* h = reinterpret_cast<const nlmsghdr*>(buf.data()); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq) continue;  // a stale reply to an earlier request
      if (h->nlmsg_type == NLMSG_DONE) {
        // A dump that failed part-way ends with NLMSG_DONE carrying -errno.
        int err = 0;
        if (h->nlmsg_len >= NLMSG_LENGTH(sizeof err)) std::memcpy(&err, NLMSG_DATA(h), sizeof err);
        if (err < 0) throw std::system_error(-err, std::generic_category(), "NETLINK_SOCK_DIAG dump");
        return;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr)))
          throw std::system_error(EPROTO, std::generic_category(), "NETLINK_SOCK_DIAG: short NLMSG_ERROR");
        const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        throw std::system_error(e->error < 0 ? -e->error : EPROTO, std::generic_category(), "NETLINK_SOCK_DIAG");
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
        throw std::system_error(EPROTO, std::generic_category(), "NETLINK_SOCK_DIAG: short inet_diag_msg");
      on_socket(*static_cast<const inet_diag_msg*>(NLMSG_DATA(h)));
    }
    if (len != 0) throw std::system_error(EPROTO, std::generic_category(), "NETLINK_SOCK_DIAG: truncated message");
  }
}

template <typename OnSocket>
void dump_all_families(std::uint32_t states, OnSocket&& on_socket) {
  Fd nl(check(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG), "socket(NETLINK_SOCK_DIAG)"));
  dump_tcp(nl.get(), AF_INET, states, 1, on_socket);
  dump_tcp(nl.get(), AF_INET6, states, 2, on_socket);
}

}  // namespace

std::vector<TcpSocketInfo> list_tcp_sockets() {
  std::vector<TcpSocketInfo> sockets;
  dump_all_families(kAllStates, [&](const inet_diag_msg& m) {
    sockets.push_back({static_cast<TcpState>(m.idiag_state),
                       diag_endpoint(m.idiag_family, m.id.idiag_src, m.id.idiag_sport),
                       diag_endpoint(m.idiag_family, m.id.idiag_dst, m.id.idiag_dport),
                       m.id.idiag_cookie[0] | (std::uint64_t{m.id.idiag_cookie[1]} << 32)});
  });
  return sockets;
}

int count_tcp_sockets(TcpState state, std::uint16_t port) {
  const __be16 port_be = htons(port);
  int count = 0;
  dump_all_families(1U << static_cast<int>(state), [&](const inet_diag_msg& m) {
    if (m.idiag_state == static_cast<int>(state) && (m.id.idiag_sport == port_be || m.id.idiag_dport == port_be))
      ++count;
  });
  return count;
}

}  // namespace sockchurn

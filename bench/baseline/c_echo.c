/* A plain C epoll echo server: the yardstick for sockchurn-echo.
 * Speaks the same ready line and ports as sockchurn-echo (TCP echo, TCP
 * echo-once, UDP echo), single-threaded, IPv4 or IPv6, no limits: run the
 * benchmarks against it with --echo-binary=PATH/c_echo to see what Asio
 * costs. Not hardened; for measurements only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { KIND_CONN = 0, KIND_ONCE = 1, KIND_LISTEN = 2, KIND_LISTEN_ONCE = 3, KIND_UDP = 4 };

static volatile sig_atomic_t stopping;
static void on_signal(int sig) { (void)sig; stopping = 1; }

static void die(const char *what) {
  fprintf(stderr, "c_echo: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64_t tag(int fd, int kind) { return ((uint64_t)kind << 32) | (uint32_t)fd; }

static int open_socket(const struct sockaddr_storage *addr, socklen_t len, int type, uint16_t *port) {
  int fd = socket(addr->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  if (fd < 0) die("socket");
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (const struct sockaddr *)addr, len) != 0) die("bind");
  if (type == SOCK_STREAM && listen(fd, 4096) != 0) die("listen");
  if (getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) die("getsockname");
  *port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                           : ((struct sockaddr_in *)&bound)->sin_port);
  return fd;
}

int main(int argc, char **argv) {
  const char *listen_addr = "127.0.0.1";
  struct sockaddr_storage addr;
  socklen_t len;
  uint16_t tcp_port, once_port, udp_port;
  int ep, tcp, once, udp, i;
  static char buf[65536];

  for (i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--listen=", 9) == 0) listen_addr = argv[i] + 9;
    else if (strncmp(argv[i], "--threads=", 10) == 0) continue; /* always one */
    else {
      fprintf(stderr, "c_echo: unknown argument '%s' (accepts --listen=ADDR)\n", argv[i]);
      return 2;
    }
  }
  memset(&addr, 0, sizeof addr);
  if (inet_pton(AF_INET, listen_addr, &((struct sockaddr_in *)&addr)->sin_addr) == 1) {
    addr.ss_family = AF_INET;
    len = sizeof(struct sockaddr_in);
  } else if (inet_pton(AF_INET6, listen_addr, &((struct sockaddr_in6 *)&addr)->sin6_addr) == 1) {
    addr.ss_family = AF_INET6;
    len = sizeof(struct sockaddr_in6);
  } else {
    fprintf(stderr, "c_echo: '%s' is not a numeric address\n", listen_addr);
    return 2;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);

  tcp = open_socket(&addr, len, SOCK_STREAM, &tcp_port);
  once = open_socket(&addr, len, SOCK_STREAM, &once_port);
  udp = open_socket(&addr, len, SOCK_DGRAM, &udp_port);
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  {
    struct epoll_event e[3] = {{EPOLLIN, {.u64 = tag(tcp, KIND_LISTEN)}},
                               {EPOLLIN, {.u64 = tag(once, KIND_LISTEN_ONCE)}},
                               {EPOLLIN, {.u64 = tag(udp, KIND_UDP)}}};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, tcp, &e[0]) || epoll_ctl(ep, EPOLL_CTL_ADD, once, &e[1]) ||
        epoll_ctl(ep, EPOLL_CTL_ADD, udp, &e[2]))
      die("epoll_ctl");
  }
  printf("sockchurn-echo ready tcp=%u tcp_once=%u udp=%u\n", tcp_port, once_port, udp_port);
  fflush(stdout);

  while (!stopping) {
    struct epoll_event events[64];
    int n = epoll_wait(ep, events, 64, 500);
    for (i = 0; i < n; ++i) {
      int fd = (int)(uint32_t)events[i].data.u64;
      int kind = (int)(events[i].data.u64 >> 32);
      if (kind == KIND_LISTEN || kind == KIND_LISTEN_ONCE) {
        int c;
        while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          struct epoll_event e = {EPOLLIN, {.u64 = tag(c, kind == KIND_LISTEN ? KIND_CONN : KIND_ONCE)}};
          if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &e) != 0) close(c);
        }
      } else if (kind == KIND_UDP) {
        for (;;) {
          struct sockaddr_storage from;
          socklen_t flen = sizeof from;
          ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
          if (r < 0) break;
          sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&from, flen);
        }
      } else {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r > 0 && write(fd, buf, (size_t)r) == r && kind == KIND_CONN) continue;
        if (r < 0 && errno == EAGAIN) continue;
        close(fd); /* EOF, error, or the one echo of an echo-once connection */
      }
    }
  }
  return 0;
}

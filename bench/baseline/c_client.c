/* A plain C client: the yardstick for sockchurn's harness. One strategy, one
 * thread, a fixed time; prints exchanges per second. Pin it with taskset.
 *   c_client tcp|udp fresh_close|fresh_linger0|reuse_unspec HOST PORT SECONDS [PAYLOAD]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what) {
  fprintf(stderr, "c_client: %s: %s\n", what, strerror(errno));
  return 1;
}

int main(int argc, char **argv) {
  struct sockaddr_in peer;
  struct sockaddr unspec;
  char out[65536], in[65536];
  size_t payload = 64;
  int tcp, linger0, reuse, fd = -1;
  long count = 0;
  double seconds, start, end;

  if (argc < 6) {
    fprintf(stderr, "usage: c_client tcp|udp fresh_close|fresh_linger0|reuse_unspec HOST PORT SECONDS [PAYLOAD]\n");
    return 2;
  }
  tcp = strcmp(argv[1], "tcp") == 0;
  linger0 = strcmp(argv[2], "fresh_linger0") == 0;
  reuse = strcmp(argv[2], "reuse_unspec") == 0;
  memset(&peer, 0, sizeof peer);
  peer.sin_family = AF_INET;
  peer.sin_port = htons((unsigned short)atoi(argv[4]));
  if (inet_pton(AF_INET, argv[3], &peer.sin_addr) != 1) return fprintf(stderr, "c_client: bad address\n"), 2;
  seconds = atof(argv[5]);
  if (argc > 6) payload = (size_t)atol(argv[6]);
  if (payload < 1 || payload > sizeof out) return fprintf(stderr, "c_client: bad payload\n"), 2;
  memset(out, 'x', payload);
  memset(&unspec, 0, sizeof unspec);
  unspec.sa_family = AF_UNSPEC;

  start = now();
  end = start + seconds;
  while (now() < end) {
    int batch;
    for (batch = 0; batch < 64; ++batch, ++count) {
      size_t got = 0;
      if (fd < 0) {
        fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
        if (fd < 0) return fail("socket");
        if (linger0) {
          struct linger lg = {1, 0};
          setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
      }
      if (connect(fd, (struct sockaddr *)&peer, sizeof peer) != 0) return fail("connect");
      if (write(fd, out, payload) != (ssize_t)payload) return fail("write");
      while (got < payload) {
        ssize_t r = read(fd, in + got, payload - got);
        if (r <= 0) return fail("read");
        got += (size_t)r;
      }
      if (memcmp(in, out, payload) != 0) return fprintf(stderr, "c_client: echo mismatch\n"), 1;
      if (reuse) {
        if (connect(fd, &unspec, sizeof unspec) != 0) return fail("connect(AF_UNSPEC)");
      } else {
        close(fd);
        fd = -1;
      }
    }
  }
  printf("%s %s %.0f exchanges/s\n", argv[1], argv[2], (double)count / (now() - start));
  return 0;
}

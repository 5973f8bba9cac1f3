/* netload: the one load generator tools/net_bench.sh runs against every
 * server, Go's and gort's alike. Plain C, one thread, non-blocking sockets
 * and epoll, so it costs less per request than any server it measures.
 *
 *   netload echo  HOST PORT CONNS SIZE SECS WARMUP   closed-loop ping-pong
 *   netload churn HOST PORT INFLIGHT SECS            connect, 64 B echo, close
 *   netload idle  HOST PORT CONNS SERVER_PID         hold CONNS, RSS per conn
 *
 * echo: each connection sends SIZE bytes, waits for all of them back, and
 * sends again; after WARMUP seconds it counts SECS seconds of round trips
 * and their latencies. churn: INFLIGHT connections at a time, each one
 * echo of 64 bytes, then close. idle: opens CONNS connections, has each
 * echo one byte (so the server has accepted and served every one), reads
 * the server's VmRSS before and after, then closes them all. Each prints
 * one line "RESULT name=... metric=... unit=... key=value ..." and exits 0,
 * or 1 with a message if a byte came back wrong or a connection failed.
 * Loopback only: HOST must be a numeric address on this machine. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in server;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char* what) {
  fprintf(stderr, "netload: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* dial connects a blocking socket (the handshake on loopback is at once);
 * the echo loop reads it with MSG_DONTWAIT. */
static int dial(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr*)&server, sizeof server) != 0)
    die("connect");
  return fd;
}

/* roundtrip sends len bytes and reads them back, blocking; for churn and
 * idle, where the round trip itself is not what is measured. */
static void roundtrip(int fd, const char* out, char* in, size_t len) {
  if (send(fd, out, len, MSG_NOSIGNAL) != (ssize_t)len) die("send");
  size_t got = 0;
  while (got < len) {
    ssize_t n = recv(fd, in + got, len - got, 0);
    if (n <= 0) die("recv");
    got += (size_t)n;
  }
  if (memcmp(in, out, len) != 0) {
    fprintf(stderr, "netload: wrong bytes echoed\n");
    exit(1);
  }
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

struct conn {
  int fd;
  size_t got;
  double sent_at;
};

static int run_echo(int conns, size_t size, double secs, double warmup) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  char* out = malloc(size);
  char* in = malloc(size);
  for (size_t i = 0; i < size; ++i) out[i] = (char)('a' + i % 26);
  struct conn* cs = calloc((size_t)conns, sizeof *cs);
  for (int i = 0; i < conns; ++i) {
    cs[i].fd = dial();
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
  }
  size_t cap = 1 << 20, nsamples = 0;
  double* samples = malloc(cap * sizeof *samples);
  const double start = now_s(), measure = start + warmup, end = measure + secs;
  for (int i = 0; i < conns; ++i) {
    cs[i].sent_at = now_s();
    if (send(cs[i].fd, out, size, MSG_NOSIGNAL) != (ssize_t)size) die("send");
  }
  long reqs = 0;
  struct epoll_event evs[256];
  for (;;) {
    const double t = now_s();
    if (t >= end) break;
    int n = epoll_wait(ep, evs, 256, 100);
    for (int k = 0; k < n; ++k) {
      struct conn* c = &cs[evs[k].data.u32];
      ssize_t r = recv(c->fd, in, size - c->got, MSG_DONTWAIT);
      if (r == 0 || (r < 0 && errno != EAGAIN)) die("recv");
      if (r < 0) continue;
      if (memcmp(in, out + c->got, (size_t)r) != 0) {
        fprintf(stderr, "netload: wrong bytes echoed\n");
        return 1;
      }
      c->got += (size_t)r;
      if (c->got < size) continue;
      const double done = now_s();
      if (done >= measure) {
        ++reqs;
        if (nsamples == cap)
          samples = realloc(samples, (cap *= 2) * sizeof *samples);
        samples[nsamples++] = (done - c->sent_at) * 1e6;
      }
      c->got = 0;
      c->sent_at = done;
      if (send(c->fd, out, size, MSG_NOSIGNAL) != (ssize_t)size) die("send");
    }
  }
  qsort(samples, nsamples, sizeof *samples, cmp_double);
#define PCT(p) (nsamples ? samples[(size_t)((double)(nsamples - 1) * (p))] : 0)
  printf(
      "RESULT name=echo conns=%d size=%zu metric=%.0f unit=req/s "
      "p50_us=%.1f p99_us=%.1f p999_us=%.1f\n",
      conns, size, (double)reqs / secs, PCT(0.50), PCT(0.99), PCT(0.999));
  for (int i = 0; i < conns; ++i) close(cs[i].fd);
  return 0;
}

static int run_churn(int inflight, double secs) {
  /* inflight connections at a time, each one blocking 64 B round trip: a
   * single thread opens them all, then serves them in turn. */
  char out[64], in[64];
  memset(out, 'c', sizeof out);
  int* fds = calloc((size_t)inflight, sizeof *fds);
  long done = 0;
  const double end = now_s() + secs;
  while (now_s() < end) {
    for (int i = 0; i < inflight; ++i) fds[i] = dial();
    for (int i = 0; i < inflight; ++i) {
      roundtrip(fds[i], out, in, sizeof out);
      close(fds[i]);
      ++done;
    }
  }
  printf("RESULT name=churn inflight=%d metric=%.0f unit=conns/s\n", inflight,
         (double)done / secs);
  return 0;
}

static long rss_kb(int pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE* f = fopen(path, "re");
  if (f == NULL) die("open /proc/PID/status");
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
  fclose(f);
  return kb;
}

static int run_idle(int conns, int pid) {
  int* fds = calloc((size_t)conns, sizeof *fds);
  const long before = rss_kb(pid);
  const double start = now_s();
  char in;
  for (int i = 0; i < conns; ++i) {
    fds[i] = dial();
    roundtrip(fds[i], "x", &in, 1);
  }
  const double took = now_s() - start;
  usleep(200 * 1000);  /* let the server settle */
  const long after = rss_kb(pid);
  for (int i = 0; i < conns; ++i) close(fds[i]);
  usleep(500 * 1000);
  const long closed = rss_kb(pid);
  printf(
      "RESULT name=idle conns=%d metric=%.0f unit=B/conn accept_per_s=%.0f "
      "rss_before_kb=%ld rss_held_kb=%ld rss_closed_kb=%ld\n",
      conns, (double)(after - before) * 1024.0 / conns, conns / took, before,
      after, closed);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr,
            "usage: netload echo|churn|idle HOST PORT ... (see the source)\n");
    return 2;
  }
  server.sin_family = AF_INET;
  server.sin_port = htons((uint16_t)atoi(argv[3]));
  if (inet_pton(AF_INET, argv[2], &server.sin_addr) != 1) {
    fprintf(stderr, "netload: HOST must be a numeric IPv4 address\n");
    return 2;
  }
  if (strcmp(argv[1], "echo") == 0 && argc == 8)
    return run_echo(atoi(argv[4]), (size_t)atol(argv[5]), atof(argv[6]),
                    atof(argv[7]));
  if (strcmp(argv[1], "churn") == 0 && argc == 6)
    return run_churn(atoi(argv[4]), atof(argv[5]));
  if (strcmp(argv[1], "idle") == 0 && argc == 6)
    return run_idle(atoi(argv[4]), atoi(argv[5]));
  fprintf(stderr, "netload: bad arguments (see the source)\n");
  return 2;
}

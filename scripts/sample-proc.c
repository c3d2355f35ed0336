/* sample-proc-run: samples /proc memory files every INTERVAL_MS while a command runs (the
 * sampling part of scripts/sample-proc).
 *
 *   sample-proc-run INTERVAL_MS TAIL_MS OUT_DIR COMMAND [ARG...]
 *
 * Every INTERVAL_MS (absolute CLOCK_MONOTONIC deadlines, so the period does not drift) it reads
 * /proc/zoneinfo, buddyinfo, pagetypeinfo, vmstat, meminfo and pressure/memory, each with one
 * lseek+read, and appends "==== T_MS\n" and the text to OUT_DIR/<kind>.gz (through gzip), T_MS
 * being milliseconds (3 decimals) of CLOCK_MONOTONIC since the first sample, taken just before
 * that file's read. It samples once before spawning COMMAND, keeps sampling while it runs and
 * TAIL_MS after it exits, then once more. OUT_DIR/timeline.txt gets the CLOCK_MONOTONIC time of
 * sample 0 and the command's start and exit (ms since sample 0) and exit status. Exit status:
 * the command's, or 125 for a sampler error. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { NKINDS = 6, BUFSZ = 1 << 20 };
static const char *paths[NKINDS] = {"/proc/zoneinfo", "/proc/buddyinfo", "/proc/pagetypeinfo",
                                    "/proc/vmstat", "/proc/meminfo", "/proc/pressure/memory"};
static const char *kinds[NKINDS] = {"zoneinfo", "buddyinfo", "pagetypeinfo", "vmstat", "meminfo", "pressure-memory"};
static int fds[NKINDS];
static FILE *outs[NKINDS];
static char buf[BUFSZ];
static struct timespec t0;

static void die(const char *what) {
  fprintf(stderr, "sample-proc-run: %s: %s\n", what, strerror(errno));
  exit(125);
}

static double ms_since(const struct timespec *a, const struct timespec *b) {
  return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return ms_since(&t0, &t);
}

static void sample(void) {
  for (int i = 0; i < NKINDS; i++) {
    double t = now_ms();
    if (lseek(fds[i], 0, SEEK_SET) < 0) die(paths[i]);
    ssize_t n = 0, r;
    while ((r = read(fds[i], buf + n, BUFSZ - n)) > 0) n += r;
    if (r < 0) die(paths[i]);
    fprintf(outs[i], "==== %.3f\n", t);
    fwrite(buf, 1, n, outs[i]);
  }
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: sample-proc-run INTERVAL_MS TAIL_MS OUT_DIR COMMAND [ARG...]\n");
    return 125;
  }
  long interval = atol(argv[1]), tail = atol(argv[2]);
  const char *dir = argv[3];
  char cmd[4096];
  for (int i = 0; i < NKINDS; i++) {
    if ((fds[i] = open(paths[i], O_RDONLY | O_CLOEXEC)) < 0) die(paths[i]);
    snprintf(cmd, sizeof cmd, "gzip -6 > '%s/%s.gz'", dir, kinds[i]);
    if (!(outs[i] = popen(cmd, "we"))) die(cmd);
  }
  snprintf(cmd, sizeof cmd, "%s/timeline.txt", dir);
  FILE *tl = fopen(cmd, "we");
  if (!tl) die(cmd);

  clock_gettime(CLOCK_MONOTONIC, &t0);
  fprintf(tl, "sample 0 at CLOCK_MONOTONIC %ld.%09ld s; interval %ld ms; tail %ld ms\n",
          (long)t0.tv_sec, t0.tv_nsec, interval, tail);
  sample();
  pid_t pid;
  double start = now_ms();
  int err = posix_spawnp(&pid, argv[4], NULL, NULL, argv + 4, environ);
  if (err) { errno = err; die(argv[4]); }
  fprintf(tl, "command start %.3f ms\n", start);
  fflush(tl);

  struct timespec next = t0;
  int status = 0, running = 1, samples = 1;
  double stop_at = -1;
  for (;;) {
    next.tv_nsec += interval * 1000000L;
    while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {}
    if (running && waitpid(pid, &status, WNOHANG) == pid) {
      running = 0;
      double end = now_ms();
      int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      fprintf(tl, "command exit %.3f ms status %d\n", end, rc);
      stop_at = end + tail;
    }
    sample();
    samples++;
    if (!running && now_ms() >= stop_at) break;
  }
  fprintf(tl, "last sample %.3f ms; %d samples per kind\n", now_ms(), samples);
  fclose(tl);
  for (int i = 0; i < NKINDS; i++)
    if (pclose(outs[i]) != 0) die("gzip");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

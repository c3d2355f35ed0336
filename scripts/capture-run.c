/* capture-run: the timed part of scripts/capture, kept out of the shell so that nothing but the
 * workload allocates pages while the trace runs.
 *
 *   capture-run INSTANCE_DIR OUT_DIR TAIL_MS COMMAND [ARG...]
 *
 * Turns tracing on in INSTANCE_DIR, reads buddyinfo, pagetypeinfo, vmstat, meminfo and zoneinfo
 * (zoneinfo last), spawns COMMAND (posix_spawn: no page-table copy of this process), waits for
 * it, sleeps TAIL_MS, reads the same files again (zoneinfo first), turns tracing off, and only
 * then writes OUT_DIR/<file>-before.txt and <file>-after.txt. Each /proc file is opened and read
 * once before tracing starts, so its seq_file buffer exists and the traced reads allocate
 * nothing; all buffers are static and touched beforehand. trace_marker lines bracket each step
 * ("pcpsim-capture: ..."), so a replay can tell where the snapshots were taken. Exit status: the
 * workload's (or 125 for a capture error). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { NFILES = 5, BUFSZ = 1 << 20 };
static const char *names[NFILES] = {"buddyinfo", "pagetypeinfo", "vmstat", "meminfo", "zoneinfo"};
static char before[NFILES][BUFSZ], after[NFILES][BUFSZ];
static ssize_t nbefore[NFILES], nafter[NFILES];
static int fds[NFILES], marker = -1, tracing_on = -1;

static void die(const char *what) {
  fprintf(stderr, "capture-run: %s: %s\n", what, strerror(errno));
  exit(125);
}

static void mark(const char *text) {
  if (write(marker, text, strlen(text)) < 0) die("trace_marker");
}

static ssize_t readall(int fd, char *buf) {
  if (lseek(fd, 0, SEEK_SET) < 0) return -1;
  ssize_t n = 0, r;
  while ((r = read(fd, buf + n, BUFSZ - n)) > 0) n += r;
  return r < 0 ? -1 : n;
}

static void snapshot(char bufs[NFILES][BUFSZ], ssize_t *lens, int zoneinfo_first) {
  for (int k = 0; k < NFILES; k++) {
    int i = zoneinfo_first ? NFILES - 1 - k : k;
    if ((lens[i] = readall(fds[i], bufs[i])) < 0) die(names[i]);
  }
}

static void save(const char *dir, const char *suffix, char bufs[NFILES][BUFSZ], ssize_t *lens) {
  char path[4096];
  for (int i = 0; i < NFILES; i++) {
    snprintf(path, sizeof path, "%s/%s-%s.txt", dir, names[i], suffix);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, bufs[i], lens[i]) != lens[i] || close(fd) < 0) die(path);
  }
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: capture-run INSTANCE_DIR OUT_DIR TAIL_MS COMMAND [ARG...]\n");
    return 125;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/trace_marker", argv[1]);
  if ((marker = open(path, O_WRONLY)) < 0) die(path);
  snprintf(path, sizeof path, "%s/tracing_on", argv[1]);
  if ((tracing_on = open(path, O_WRONLY)) < 0) die(path);
  for (int i = 0; i < NFILES; i++) {
    snprintf(path, sizeof path, "/proc/%s", names[i]);
    if ((fds[i] = open(path, O_RDONLY)) < 0) die(path);
  }
  /* Touch every buffer and warm every seq_file, so the traced reads fault and allocate nothing. */
  memset(before, 0, sizeof before);
  memset(after, 0, sizeof after);
  snapshot(after, nafter, 0);
  long tail_ms = atol(argv[3]);
  struct timespec tail = {tail_ms / 1000, (tail_ms % 1000) * 1000000L};
  char line[256];

  if (write(tracing_on, "1", 1) != 1) die("tracing_on");
  mark("pcpsim-capture: before-snapshot begin");
  snapshot(before, nbefore, 0);
  mark("pcpsim-capture: before-snapshot end");

  pid_t pid;
  mark("pcpsim-capture: workload start");
  int err = posix_spawnp(&pid, argv[4], NULL, NULL, argv + 4, environ);
  if (err) { errno = err; die(argv[4]); }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) die("waitpid");
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  snprintf(line, sizeof line, "pcpsim-capture: workload end status %d", rc);
  mark(line);
  while (nanosleep(&tail, &tail) < 0 && errno == EINTR) {}
  mark("pcpsim-capture: after-snapshot begin");
  snapshot(after, nafter, 1);
  mark("pcpsim-capture: after-snapshot end");
  if (write(tracing_on, "0", 1) != 1) die("tracing_on");

  save(argv[2], "before", before, nbefore);
  save(argv[2], "after", after, nafter);
  return rc;
}

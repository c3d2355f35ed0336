/* load-latency: the host's dependent random load over a large array, the memory yardstick of
 * scripts/bench-speed. The 1 TiB and jemalloc-purge rows wait on such loads (page entries, LRU
 * links, held slots far apart), and how long one takes moves from hour to hour on these shared
 * hosts more than the instruction rate does.
 *
 *   load-latency MIB STEPS [huge]
 *
 * Links MIB MiB of 64-byte nodes into one random cycle (Sattolo's shuffle of a fixed seed), so
 * each load's address is the previous load's result, then follows STEPS links and prints the
 * nanoseconds a load took. With `huge` the nodes ask for transparent huge pages
 * (MADV_HUGEPAGE), as pcpsim's arrays of large machines do: the difference is the cost of the
 * loads' address translation. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

struct node { uint64_t next; uint64_t pad[7]; };

static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint64_t splitmix(void) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int main(int argc, char **argv) {
    int huge = argc == 4 && strcmp(argv[3], "huge") == 0;
    if (argc != 3 && !huge) { fprintf(stderr, "usage: load-latency MIB STEPS [huge]\n"); return 2; }
    uint64_t mib = strtoull(argv[1], NULL, 10), steps = strtoull(argv[2], NULL, 10);
    uint64_t n = mib * 1024 * 1024 / sizeof(struct node);
    if (n < 2 || steps == 0) { fprintf(stderr, "load-latency: MIB and STEPS must be positive\n"); return 2; }
    size_t bytes = n * sizeof(struct node);
    struct node *a = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t *order = malloc(n * sizeof *order);
    if (a == MAP_FAILED || !order) { fprintf(stderr, "load-latency: out of memory\n"); return 1; }
    if (huge) madvise(a, bytes, MADV_HUGEPAGE);
    for (uint64_t i = 0; i < n; i++) order[i] = i;
    for (uint64_t i = n - 1; i > 0; i--) { /* Sattolo: one cycle through every node */
        uint64_t j = splitmix() % i, t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint64_t i = 0; i < n; i++) a[order[i]].next = order[(i + 1) % n];
    free(order);
    struct timespec t0, t1;
    uint64_t p = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (uint64_t s = 0; s < steps; s++) p = a[p].next;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    printf("%.1f ns a load (%llu dependent loads over %llu MiB of %s pages; end %llu)\n", ns / steps,
           (unsigned long long)steps, (unsigned long long)mib, huge ? "huge" : "base", (unsigned long long)p);
    munmap(a, bytes);
    return 0;
}

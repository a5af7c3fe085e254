/* bench-common.h: timing, statistics and tree filling shared by
 * fscache-bench (the library) and fscache-floor (the system-call floor).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Plain C and libc only: the floor program includes it too and must not
 * depend on GLib. Everything here runs outside the timed regions, except
 * bench_now_ns() (a vDSO clock_gettime, the same in both programs) and
 * bench_write_file() (the caller's own work inside a store, identical in
 * both programs).
 */

#pragma once

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define BENCH_FILE_SIZE 4096

/* Names of the entries of the prepared load cache, and of missing ones. */
#define BENCH_LOAD_PREFIX "entry-"
#define BENCH_MISS_PREFIX "missing-"
#define BENCH_STORE_PREFIX "stored-"
#define BENCH_CONTENTION_PREFIX "name-"

/* Name number @i with @prefix: "entry-00042". */
static inline void
bench_name (char *out, size_t size, const char *prefix, unsigned i)
{
  snprintf (out, size, "%s%06u", prefix, i);
}

/* Callgrind counts instructions only between these markers, which the run
 * script selects with --toggle-collect=bench_loop_*: each scenario's loop
 * is a function of that name in both programs, never inlined. */
#if defined(__clang__)
#define BENCH_LOOP __attribute__ ((noinline))
#else
#define BENCH_LOOP __attribute__ ((noinline, noclone))
#endif

static inline uint64_t
bench_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* CPU time (user + system) of this process, all its threads, and its
 * children waited for: what an operation costs whatever else the machine
 * runs meanwhile (wall time also shows what a second thread gains). */
static inline uint64_t
bench_cpu_ns (void)
{
  struct rusage self, children;

  getrusage (RUSAGE_SELF, &self);
  getrusage (RUSAGE_CHILDREN, &children);
  return ((uint64_t) (self.ru_utime.tv_sec + self.ru_stime.tv_sec + children.ru_utime.tv_sec +
                      children.ru_stime.tv_sec)) *
           1000000000u +
         (uint64_t) (self.ru_utime.tv_usec + self.ru_stime.tv_usec + children.ru_utime.tv_usec +
                     children.ru_stime.tv_usec) *
           1000u;
}

/* The CPUs this process may run on (taskset). */
static inline unsigned
bench_cpus (void)
{
  cpu_set_t cpus;

  if (sched_getaffinity (0, sizeof cpus, &cpus) == 0)
    return (unsigned) CPU_COUNT (&cpus);
  return 1;
}

static void bench_die (const char *fmt, ...) __attribute__ ((noreturn, format (printf, 1, 2)));

static void
bench_die (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  fputs ("bench: ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
  exit (1);
}

static int
bench_cmp_u64 (const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
  return x < y ? -1 : x > y;
}

/* Samples of one run: per-operation durations in nanoseconds. */
typedef struct {
  uint64_t *ns;
  size_t n, cap;
  uint64_t wall_ns; /* the whole loop, timer calls included */
} BenchSamples;

static void
bench_samples_init (BenchSamples *s, size_t cap)
{
  s->ns = calloc (cap ? cap : 1, sizeof *s->ns);
  if (s->ns == NULL)
    bench_die ("out of memory");
  s->n = 0;
  s->cap = cap ? cap : 1;
  s->wall_ns = 0;
}

static inline void
bench_samples_add (BenchSamples *s, uint64_t ns)
{
  if (s->n == s->cap)
    {
      s->cap *= 2;
      s->ns = realloc (s->ns, s->cap * sizeof *s->ns);
      if (s->ns == NULL)
        bench_die ("out of memory");
    }
  s->ns[s->n++] = ns;
}

/* Prints one JSON line: {"prog":..,"scenario":..,"n":..,"median_ns":..,
 * "p90_ns":..,"mean_ns":..,"min_ns":..,"max_ns":..,"wall_s":..} —
 * bench_emit0() — or with more "key": value pairs — bench_emit(). */
static void
bench_emit_begin (const char *prog, const char *scenario, BenchSamples *s)
{
  uint64_t sum = 0;
  size_t n = s->n;

  if (n > 0)
    {
      qsort (s->ns, n, sizeof *s->ns, bench_cmp_u64);
      for (size_t i = 0; i < n; i++)
        sum += s->ns[i];
    }
  printf ("{\"prog\": \"%s\", \"scenario\": \"%s\", \"n\": %zu", prog, scenario, n);
  if (n > 0)
    printf (", \"median_ns\": %" PRIu64 ", \"p90_ns\": %" PRIu64 ", \"mean_ns\": %" PRIu64
            ", \"min_ns\": %" PRIu64 ", \"max_ns\": %" PRIu64,
            s->ns[n / 2], s->ns[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], sum / n, s->ns[0],
            s->ns[n - 1]);
  printf (", \"wall_s\": %.6f", (double) s->wall_ns / 1e9);
}

static void
bench_emit0 (const char *prog, const char *scenario, BenchSamples *s)
{
  bench_emit_begin (prog, scenario, s);
  puts ("}");
  fflush (stdout);
}

static void bench_emit (const char *prog,
                        const char *scenario,
                        BenchSamples *s,
                        const char *extra_fmt,
                        ...) __attribute__ ((format (printf, 4, 5)));

static void
bench_emit (const char *prog, const char *scenario, BenchSamples *s, const char *extra_fmt, ...)
{
  va_list ap;

  bench_emit_begin (prog, scenario, s);
  fputs (", ", stdout);
  va_start (ap, extra_fmt);
  vprintf (extra_fmt, ap);
  va_end (ap);
  puts ("}");
  fflush (stdout);
}

static unsigned long
bench_arg_ulong (int argc, char **argv, int i, unsigned long def)
{
  char *end;
  unsigned long v;

  if (i >= argc)
    return def;
  errno = 0;
  v = strtoul (argv[i], &end, 10);
  if (errno != 0 || *end != '\0')
    bench_die ("not a number: %s", argv[i]);
  return v;
}

static double
bench_arg_double (int argc, char **argv, int i, double def)
{
  char *end;
  double v;

  if (i >= argc)
    return def;
  v = strtod (argv[i], &end);
  if (*end != '\0')
    bench_die ("not a number: %s", argv[i]);
  return v;
}

/* The 4 KiB the caller of a store writes: the same bytes, flags and system
 * calls (open, write, close by absolute path) in both programs. */
static char bench_file_data[BENCH_FILE_SIZE];

static inline void
bench_write_file (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0644);

  if (fd < 0)
    bench_die ("creating %s: %s", path, strerror (errno));
  if (write (fd, bench_file_data, sizeof bench_file_data) != (ssize_t) sizeof bench_file_data)
    bench_die ("writing %s: %s", path, strerror (errno));
  close (fd);
}

/* Fills the directory @dir (which exists) with @files files of 4 KiB
 * spread over @dirs sub-directories. Not timed. */
static void
bench_fill_tree (const char *dir, unsigned files, unsigned dirs)
{
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (dfd < 0)
    bench_die ("opening %s: %s", dir, strerror (errno));
  if (dirs == 0)
    dirs = 1;
  for (unsigned d = 0; d < dirs; d++)
    {
      char name[32];
      int sfd;
      unsigned per = files / dirs + (d < files % dirs ? 1 : 0);

      snprintf (name, sizeof name, "d%03u", d);
      if (mkdirat (dfd, name, 0755) < 0)
        bench_die ("creating %s/%s: %s", dir, name, strerror (errno));
      sfd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (sfd < 0)
        bench_die ("opening %s/%s: %s", dir, name, strerror (errno));
      for (unsigned f = 0; f < per; f++)
        {
          char fname[32];
          int fd;

          snprintf (fname, sizeof fname, "f%05u", f);
          fd = openat (sfd, fname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
          if (fd < 0 || write (fd, bench_file_data, sizeof bench_file_data) < 0)
            bench_die ("writing %s/%s/%s: %s", dir, name, fname, strerror (errno));
          close (fd);
        }
      close (sfd);
    }
  close (dfd);
}

/* Before a timed phase: write back what the setup dirtied, so that the
 * file system's background work lands less in the measurement (nothing to
 * do on tmpfs). Not timed; the same in both programs. */
static void
bench_settle (const char *path)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd >= 0)
    {
      syncfs (fd);
      close (fd);
    }
}

static void
bench_init_data (void)
{
  for (size_t i = 0; i < sizeof bench_file_data; i++)
    bench_file_data[i] = (char) ('a' + i % 26);
}

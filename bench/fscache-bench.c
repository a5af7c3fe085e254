/* fscache-bench.c: libfscache's operations, timed through the public API
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each scenario mirrors one of fscache-floor.c, which does the same
 * operations with only the system calls the protocol needs: bench/run runs
 * both alternately and reports the ratio. Usage: fscache-bench SCENARIO DIR
 * [ARGS…]; one JSON line per result on stdout.
 */

#include <fscache.h>

#include <sys/wait.h>

#include "bench-common.h"

static void
check (gboolean ok, GError *error, const char *what)
{
  if (!ok)
    bench_die ("%s: %s", what, error != NULL ? error->message : "failed");
}

static FsCache *
open_cache (const char *dir)
{
  GError *error = NULL;
  FsCache *cache = fs_cache_new_for_path ("bench", dir, NULL, &error);

  check (cache != NULL, error, "opening the cache");
  return cache;
}

/* A new cache (not timed) with the given maximum size, volatile (commits
 * don't sync: what the floor measures by default) unless @durable. */
static FsCache *
create_cache_mode (const char *dir, guint64 max, gboolean durable)
{
  GError *error = NULL;
  FsCache *cache = open_cache (dir);
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();

  fs_cache_info_set_maximum_size (info, max);
#ifdef HAVE_VOLATILE
  fs_cache_info_set_volatile (info, !durable);
#else
  if (durable)
    bench_die ("this build of the library has no durability setting");
#endif
  check (fs_cache_set_info (cache, info, NULL, &error), error, "configuring the cache");
  return cache;
}

static FsCache *
create_cache (const char *dir, guint64 max)
{
  return create_cache_mode (dir, max, FALSE);
}

static char **
make_names (const char *prefix, unsigned n)
{
  char **names = g_new0 (char *, n + 1);
  for (unsigned i = 0; i < n; i++)
    {
      names[i] = g_malloc (64);
      bench_name (names[i], 64, prefix, i);
    }
  return names;
}

/* store + write one 4 KiB file + commit + release: the unit of work of
 * store_small, prune and contention. */
static inline FsCacheCommitStatus
store_one (FsCache *cache, const char *name, guint64 *out_size)
{
  GError *error = NULL;
  FsCacheEntry *entry;
  FsCacheCommitStatus status;
  char file[4200];

  entry = fs_cache_store (cache, name, NULL, &error);
  check (entry != NULL, error, "fs_cache_store");
  snprintf (file, sizeof file, "%s/file", fs_cache_entry_get_path (entry));
  bench_write_file (file);
  check (fs_cache_entry_commit (entry, &status, NULL, &error), error, "fs_cache_entry_commit");
  if (out_size != NULL)
    *out_size = fs_cache_entry_get_size (entry);
  g_object_unref (entry);
  return status;
}

static void
scenario_prepare_load (const char *dir, unsigned count)
{
  FsCache *cache = create_cache (dir, FS_CACHE_SIZE_UNLIMITED);
  char **names = make_names (BENCH_LOAD_PREFIX, count);

  for (unsigned i = 0; i < count; i++)
    if (store_one (cache, names[i], NULL) != FS_CACHE_COMMIT_STORED)
      bench_die ("could not store %s", names[i]);
  g_strfreev (names);
  g_object_unref (cache);
}

BENCH_LOOP static void
bench_loop_load_hit (FsCache *cache, char **names, unsigned count, unsigned n, BenchSamples *s)
{
  guint64 start = bench_now_ns ();
  for (unsigned i = 0; i < n; i++)
    {
      GError *error = NULL;
      guint64 t0 = bench_now_ns ();
      FsCacheEntry *entry = fs_cache_load (cache, names[i % count], NULL, &error);
      check (entry != NULL, error, "fs_cache_load");
      g_object_unref (entry); /* releases */
      bench_samples_add (s, bench_now_ns () - t0);
    }
  s->wall_ns = bench_now_ns () - start;
}

static void
scenario_load_hit (const char *dir, unsigned n, unsigned count)
{
  FsCache *cache = open_cache (dir);
  char **names = make_names (BENCH_LOAD_PREFIX, count);
  BenchSamples s;

  bench_settle (dir);
  bench_samples_init (&s, n);
  bench_loop_load_hit (cache, names, count, count, &s); /* warm up */
  s.n = 0;
  bench_loop_load_hit (cache, names, count, n, &s);
  bench_emit0 ("lib", "load_hit", &s);
  g_object_unref (cache);
}

BENCH_LOOP static void
bench_loop_load_miss (FsCache *cache, char **names, unsigned count, unsigned n, BenchSamples *s)
{
  guint64 start = bench_now_ns ();
  for (unsigned i = 0; i < n; i++)
    {
      GError *error = NULL;
      guint64 t0 = bench_now_ns ();
      FsCacheEntry *entry = fs_cache_load (cache, names[i % count], NULL, &error);
      if (entry != NULL || !g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
        bench_die ("load of %s did not miss", names[i % count]);
      g_error_free (error);
      bench_samples_add (s, bench_now_ns () - t0);
    }
  s->wall_ns = bench_now_ns () - start;
}

static void
scenario_load_miss (const char *dir, unsigned n)
{
  FsCache *cache = open_cache (dir);
  unsigned count = 1000;
  char **names = make_names (BENCH_MISS_PREFIX, count);
  BenchSamples s;

  bench_settle (dir);
  bench_samples_init (&s, n);
  bench_loop_load_miss (cache, names, count, n / 10 + 1, &s); /* warm up */
  s.n = 0;
  bench_loop_load_miss (cache, names, count, n, &s);
  bench_emit0 ("lib", "load_miss", &s);
  g_object_unref (cache);
}

BENCH_LOOP static void
bench_loop_store_small (FsCache *cache, char **names, unsigned n, BenchSamples *s)
{
  guint64 start = bench_now_ns ();
  for (unsigned i = 0; i < n; i++)
    {
      guint64 t0 = bench_now_ns ();
      if (store_one (cache, names[i], NULL) != FS_CACHE_COMMIT_STORED)
        bench_die ("commit of %s did not store", names[i]);
      bench_samples_add (s, bench_now_ns () - t0);
    }
  s->wall_ns = bench_now_ns () - start;
}

static void
scenario_store_small (const char *dir, unsigned n, const char *mode)
{
  gboolean durable = g_strcmp0 (mode, "durable") == 0;
  FsCache *cache;
  char **names = make_names (BENCH_STORE_PREFIX, n);
  BenchSamples s;

#ifndef HAVE_VOLATILE
  if (durable)
    {
      printf ("{\"prog\": \"lib\", \"scenario\": \"store_small\", \"mode\": \"durable\", "
              "\"n\": 0, \"unavailable\": \"n/a until the durability setting exists\"}\n");
      return;
    }
#endif
  cache = create_cache_mode (dir, FS_CACHE_SIZE_UNLIMITED, durable);
  bench_settle (dir);
  bench_samples_init (&s, n);
  bench_loop_store_small (cache, names, n, &s);
  bench_emit ("lib", "store_small", &s, "\"mode\": \"%s\"", durable ? "durable" : "volatile");
  g_object_unref (cache);
}

BENCH_LOOP static void
bench_loop_stage (FsCache *cache, unsigned n, BenchSamples *s)
{
  guint64 start = bench_now_ns ();
  for (unsigned i = 0; i < n; i++)
    {
      GError *error = NULL;
      guint64 t0 = bench_now_ns ();
      FsCacheEntry *entry = fs_cache_stage (cache, NULL, &error);
      check (entry != NULL, error, "fs_cache_stage");
      g_object_unref (entry); /* releases: removes the tree */
      bench_samples_add (s, bench_now_ns () - t0);
    }
  s->wall_ns = bench_now_ns () - start;
}

static void
scenario_stage (const char *dir, unsigned n)
{
  FsCache *cache = create_cache (dir, FS_CACHE_SIZE_UNLIMITED);
  BenchSamples s;

  bench_settle (dir);
  bench_samples_init (&s, n);
  bench_loop_stage (cache, n / 10 + 1, &s); /* warm up */
  s.n = 0;
  bench_loop_stage (cache, n, &s);
  bench_emit0 ("lib", "stage", &s);
  g_object_unref (cache);
}

/* The timed part of commit_tree and prune, in functions of their own for
 * callgrind (--toggle-collect=bench_loop_*). */
BENCH_LOOP static gboolean
bench_loop_commit_tree (FsCacheEntry *entry, FsCacheCommitStatus *status, GError **error)
{
  return fs_cache_entry_commit (entry, status, NULL, error);
}

BENCH_LOOP static FsCacheCommitStatus
bench_loop_prune (FsCache *cache, const char *name)
{
  return store_one (cache, name, NULL);
}

static void
scenario_commit_tree (const char *dir, unsigned files, unsigned dirs)
{
  FsCache *cache = create_cache (dir, FS_CACHE_SIZE_UNLIMITED);
  GError *error = NULL;
  FsCacheEntry *entry;
  FsCacheCommitStatus status;
  BenchSamples s;
  guint64 t0, c0;

  entry = fs_cache_store (cache, "tree", NULL, &error);
  check (entry != NULL, error, "fs_cache_store");
  bench_fill_tree (fs_cache_entry_get_path (entry), files, dirs);
  bench_settle (dir);
  bench_samples_init (&s, 1);
  c0 = bench_cpu_ns ();
  t0 = bench_now_ns ();
  check (bench_loop_commit_tree (entry, &status, &error), error, "fs_cache_entry_commit");
  s.wall_ns = bench_now_ns () - t0;
  c0 = bench_cpu_ns () - c0;
  if (status != FS_CACHE_COMMIT_STORED)
    bench_die ("commit of the tree did not store (%d)", (int) status);
  bench_samples_add (&s, s.wall_ns);
  bench_emit ("lib", "commit_tree", &s,
              "\"files\": %u, \"dirs\": %u, \"size\": %" PRIu64 ", \"cpu_ns\": %" PRIu64
              ", \"cpus\": %u",
              files, dirs, (guint64) fs_cache_entry_get_size (entry), c0, bench_cpus ());
  g_object_unref (entry);
  g_object_unref (cache);
}

static unsigned
count_entries (const char *dir)
{
  g_autofree char *objects = g_build_filename (dir, "objects", NULL);
  GDir *d = g_dir_open (objects, 0, NULL);
  const char *name;
  unsigned n = 0;

  if (d == NULL)
    return 0;
  while ((name = g_dir_read_name (d)) != NULL)
    if (!g_str_has_prefix (name, "uuid-"))
      n++;
  g_dir_close (d);
  return n;
}

/* A cache filled to its maximum with @entries entries, then one store that
 * must evict @percent % of them: that store (store + write + commit +
 * release) is timed. */
static void
scenario_prune (const char *dir, unsigned entries, unsigned percent)
{
  FsCache *cache = create_cache (dir, FS_CACHE_SIZE_UNLIMITED);
  GError *error = NULL;
  char **names = make_names (BENCH_STORE_PREFIX, entries + 1);
  FsCacheCommitStatus status;
  BenchSamples s;
  guint64 esize = 0, used = 0, max, t0;
  unsigned before, after;

  if (store_one (cache, names[0], &esize) != FS_CACHE_COMMIT_STORED || esize == 0)
    bench_die ("could not store the first entry");
  max = esize * entries;
  {
    g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
    fs_cache_info_set_maximum_size (info, max);
#ifdef HAVE_LOW_WATERMARK
    fs_cache_info_set_low_watermark (info, 100 - percent);
#else
    (void) percent;
#endif
    check (fs_cache_set_info (cache, info, NULL, &error), error, "fs_cache_set_info");
  }
  for (unsigned i = 1; i < entries; i++)
    if (store_one (cache, names[i], NULL) != FS_CACHE_COMMIT_STORED)
      bench_die ("could not store %s while filling", names[i]);
  check (fs_cache_get_usage (cache, &used, NULL, NULL, &error), error, "fs_cache_get_usage");
  if (used != max)
    bench_die ("the cache holds %" PRIu64 " bytes, not %" PRIu64, used, max);
  before = count_entries (dir);

  bench_settle (dir);
  bench_samples_init (&s, 1);
  t0 = bench_now_ns ();
  status = bench_loop_prune (cache, names[entries]);
  s.wall_ns = bench_now_ns () - t0;
  bench_samples_add (&s, s.wall_ns);
  after = count_entries (dir);
  if (status != FS_CACHE_COMMIT_STORED)
    {
      printf ("{\"prog\": \"lib\", \"scenario\": \"prune\", \"n\": 0, \"unavailable\": "
              "\"the store that needs eviction returned status %d (no eviction yet?)\"}\n",
              (int) status);
      g_object_unref (cache);
      return;
    }
  bench_emit ("lib", "prune", &s,
              "\"entries\": %u, \"evicted\": %u, \"entry_size\": %" PRIu64
              ", \"low_watermark\": %u",
              before, before + 1 - after, esize,
#if defined(HAVE_LOW_WATERMARK)
              100 - percent
#elif defined(FS_CACHE_DEFAULT_LOW_WATERMARK)
              FS_CACHE_DEFAULT_LOW_WATERMARK
#else
              0u
#endif
  );
  g_strfreev (names);
  g_object_unref (cache);
}

/* One fs_cache_store_tree() copy of @source (made by `fscache-floor
 * make_tree`), timed; compared with `cp -a --reflink=auto` of it. */
static void
scenario_store_tree (const char *dir, const char *source)
{
#ifdef HAVE_STORE_TREE
  FsCache *cache = create_cache (dir, FS_CACHE_SIZE_UNLIMITED);
  g_autoptr (GFile) file = g_file_new_for_path (source);
  GError *error = NULL;
  FsCacheCommitStatus status;
  BenchSamples s;
  guint64 t0, c0;

  bench_settle (dir);
  bench_samples_init (&s, 1);
  c0 = bench_cpu_ns ();
  t0 = bench_now_ns ();
  check (fs_cache_store_tree (cache, "tree", file, FS_CACHE_STORE_NONE, NULL, NULL, &status, NULL,
                              &error),
         error, "fs_cache_store_tree");
  s.wall_ns = bench_now_ns () - t0;
  c0 = bench_cpu_ns () - c0;
  if (status != FS_CACHE_COMMIT_STORED)
    bench_die ("store_tree did not store (%d)", (int) status);
  bench_samples_add (&s, s.wall_ns);
  bench_emit ("lib", "store_tree", &s, "\"cpu_ns\": %" PRIu64 ", \"cpus\": %u", c0, bench_cpus ());
  g_object_unref (cache);
#else
  (void) dir;
  (void) source;
  printf ("{\"prog\": \"lib\", \"scenario\": \"store_tree\", \"n\": 0, \"unavailable\": "
          "\"fs_cache_store_tree() is not in this build of the library\"}\n");
#endif
}

/* Verifying an entry (issue 13): @source stored with store_tree() (not
 * timed), then one load + fs_cache_entry_list_differences() + release,
 * timed; compared with `openssl dgst -sha256` of the files of @source
 * (fscache-floor dgst). The library hashes on every CPU it may use: run
 * under `taskset -c 0` for one core. */
BENCH_LOOP static GListModel *
bench_loop_verify (FsCache *cache, GError **error)
{
  FsCacheEntry *entry = fs_cache_load (cache, "tree", NULL, error);
  GListModel *differences;

  if (entry == NULL)
    return NULL;
  differences = fs_cache_entry_list_differences (entry, NULL, NULL, NULL, error);
  g_object_unref (entry);
  return differences;
}

static void
scenario_verify (const char *dir, const char *source)
{
  FsCache *cache = create_cache (dir, FS_CACHE_SIZE_UNLIMITED);
  g_autoptr (GFile) file = g_file_new_for_path (source);
  g_autoptr (GListModel) differences = NULL;
  GError *error = NULL;
  FsCacheCommitStatus status;
  BenchSamples s;
  guint64 t0, c0;

  check (fs_cache_store_tree (cache, "tree", file, FS_CACHE_STORE_NONE, NULL, NULL, &status, NULL,
                              &error),
         error, "fs_cache_store_tree");
  if (status != FS_CACHE_COMMIT_STORED)
    bench_die ("store_tree did not store (%d)", (int) status);
  bench_settle (dir);
  bench_samples_init (&s, 1);
  c0 = bench_cpu_ns ();
  t0 = bench_now_ns ();
  differences = bench_loop_verify (cache, &error);
  s.wall_ns = bench_now_ns () - t0;
  c0 = bench_cpu_ns () - c0;
  check (differences != NULL, error, "verifying the entry");
  if (g_list_model_get_n_items (differences) != 0)
    bench_die ("the entry differs from its manifest");
  bench_samples_add (&s, s.wall_ns);
  bench_emit ("lib", "verify", &s, "\"cpu_ns\": %" PRIu64 ", \"cpus\": %u", c0, bench_cpus ());
  g_object_unref (cache);
}

BENCH_LOOP static void
bench_loop_open (const char *dir, unsigned n, BenchSamples *s)
{
  guint64 start = bench_now_ns ();
  for (unsigned i = 0; i < n; i++)
    {
      guint64 t0 = bench_now_ns ();
      FsCache *cache = open_cache (dir);
      fs_cache_close (cache);
      g_object_unref (cache);
      bench_samples_add (s, bench_now_ns () - t0);
    }
  s->wall_ns = bench_now_ns () - start;
}

static void
scenario_open (const char *dir, unsigned n, const char *label)
{
  BenchSamples s;

  bench_settle (dir);
  bench_samples_init (&s, n);
  bench_loop_open (dir, n / 10 + 1, &s); /* warm up */
  s.n = 0;
  bench_loop_open (dir, n, &s);
  bench_emit0 ("lib", label, &s);
}

typedef struct {
  guint64 ops, loads, hits, misses, stores, stored, exists, stages, errors;
} Counts;

static guint64
rng_next (guint64 *state)
{
  guint64 x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static void
contention_child (const char *dir, double secs, unsigned nnames, unsigned seed, int out_fd)
{
  Counts k = { 0 };
  char **names = make_names (BENCH_CONTENTION_PREFIX, nnames);
  guint64 rng = (guint64) g_random_int () << 32 | (seed * 2654435761u) | 1;
  FsCache *cache = open_cache (dir);
  guint64 end = bench_now_ns () + (guint64) (secs * 1e9);

  while (bench_now_ns () < end)
    {
      unsigned r = (unsigned) (rng_next (&rng) % 100);
      const char *name = names[rng_next (&rng) % nnames];
      GError *error = NULL;
      FsCacheEntry *entry;

      k.ops++;
      if (r < 70)
        {
          k.loads++;
          entry = fs_cache_load (cache, name, NULL, &error);
          if (entry != NULL)
            {
              k.hits++;
              g_object_unref (entry);
            }
          else if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
            k.misses++;
          else
            {
              k.errors++;
              g_printerr ("load: %s\n", error->message);
            }
          g_clear_error (&error);
        }
      else if (r < 90)
        {
          FsCacheCommitStatus status;
          char file[4200];

          k.stores++;
          entry = fs_cache_store (cache, name, NULL, &error);
          if (entry == NULL)
            {
              k.errors++;
              g_printerr ("store: %s\n", error->message);
              g_clear_error (&error);
              continue;
            }
          snprintf (file, sizeof file, "%s/file", fs_cache_entry_get_path (entry));
          bench_write_file (file);
          if (!fs_cache_entry_commit (entry, &status, NULL, &error))
            {
              k.errors++;
              g_printerr ("commit: %s\n", error->message);
              g_clear_error (&error);
            }
          else if (status == FS_CACHE_COMMIT_STORED)
            k.stored++;
          else if (status == FS_CACHE_COMMIT_EXISTS)
            k.exists++;
          else
            k.errors++;
          g_object_unref (entry);
        }
      else
        {
          k.stages++;
          entry = fs_cache_stage (cache, NULL, &error);
          if (entry == NULL)
            {
              k.errors++;
              g_printerr ("stage: %s\n", error->message);
              g_clear_error (&error);
              continue;
            }
          g_object_unref (entry);
        }
    }
  g_object_unref (cache);
  if (write (out_fd, &k, sizeof k) != (ssize_t) sizeof k)
    _exit (1);
  _exit (0);
}

static void
scenario_contention (const char *dir, unsigned procs, double secs, unsigned nnames)
{
  Counts total = { 0 };
  int pfd[2];
  guint64 t0;
  unsigned failed = 0;

  /* The cache is made by a short-lived child: a parent that used the
   * library before forking would hand its workers one state of GLib's
   * random generator, which the library names its temporary entries with
   * (they would collide: see bench/README.md). */
  {
    pid_t pid = fork ();
    int status;

    if (pid == 0)
      {
        g_object_unref (create_cache (dir, FS_CACHE_SIZE_UNLIMITED));
        _exit (0);
      }
    if (pid < 0 || waitpid (pid, &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status))
      bench_die ("could not create the cache %s", dir);
  }
  bench_settle (dir);
  if (pipe (pfd) < 0)
    bench_die ("pipe: %s", strerror (errno));
  fflush (stdout);
  t0 = bench_now_ns ();
  for (unsigned i = 0; i < procs; i++)
    {
      pid_t pid = fork ();
      if (pid < 0)
        bench_die ("fork: %s", strerror (errno));
      if (pid == 0)
        {
          close (pfd[0]);
          contention_child (dir, secs, nnames, i + 1, pfd[1]);
        }
    }
  close (pfd[1]);
  for (unsigned i = 0; i < procs; i++)
    {
      Counts k;
      if (read (pfd[0], &k, sizeof k) != (ssize_t) sizeof k)
        {
          failed++;
          continue;
        }
      total.ops += k.ops;
      total.loads += k.loads;
      total.hits += k.hits;
      total.misses += k.misses;
      total.stores += k.stores;
      total.stored += k.stored;
      total.exists += k.exists;
      total.stages += k.stages;
      total.errors += k.errors;
    }
  while (wait (NULL) > 0)
    ;
  {
    double wall = (double) (bench_now_ns () - t0) / 1e9;
    printf ("{\"prog\": \"lib\", \"scenario\": \"contention\", \"procs\": %u, \"seconds\": %.3f, "
            "\"ops\": %" PRIu64 ", \"ops_per_s\": %.1f, \"loads\": %" PRIu64 ", \"hits\": %" PRIu64
            ", \"misses\": %" PRIu64 ", \"stores\": %" PRIu64 ", \"stored\": %" PRIu64
            ", \"exists\": %" PRIu64 ", \"stages\": %" PRIu64 ", \"errors\": %" PRIu64
            ", \"crashed\": %u}\n",
            procs, wall, total.ops, (double) total.ops / secs, total.loads, total.hits,
            total.misses, total.stores, total.stored, total.exists, total.stages, total.errors,
            failed);
  }
}

static void
usage (void)
{
  fputs ("usage: fscache-bench SCENARIO DIR [ARGS...]\n"
         "  prepare_load DIR COUNT   (a cache with entries " BENCH_LOAD_PREFIX "NNNNNN)\n"
         "  load_hit DIR N COUNT\n"
         "  load_miss DIR N\n"
         "  store_small DIR N [volatile|durable]\n"
         "  stage DIR N\n"
         "  commit_tree DIR FILES DIRS\n"
         "  prune DIR ENTRIES PERCENT\n"
         "  store_tree DIR SOURCE\n"
         "  verify DIR SOURCE\n"
         "  open DIR N LABEL\n"
         "  contention DIR PROCS SECONDS NAMES\n",
         stderr);
  exit (2);
}

int
main (int argc, char **argv)
{
  const char *scenario, *dir;

  if (argc < 3)
    usage ();
  scenario = argv[1];
  dir = argv[2];
  bench_init_data ();
  umask (022);

  if (strcmp (scenario, "prepare_load") == 0)
    scenario_prepare_load (dir, bench_arg_ulong (argc, argv, 3, 100));
  else if (strcmp (scenario, "load_hit") == 0)
    scenario_load_hit (dir, bench_arg_ulong (argc, argv, 3, 20000),
                       bench_arg_ulong (argc, argv, 4, 100));
  else if (strcmp (scenario, "load_miss") == 0)
    scenario_load_miss (dir, bench_arg_ulong (argc, argv, 3, 20000));
  else if (strcmp (scenario, "store_small") == 0)
    scenario_store_small (dir, bench_arg_ulong (argc, argv, 3, 2000),
                          argc > 4 ? argv[4] : "volatile");
  else if (strcmp (scenario, "stage") == 0)
    scenario_stage (dir, bench_arg_ulong (argc, argv, 3, 2000));
  else if (strcmp (scenario, "commit_tree") == 0)
    scenario_commit_tree (dir, bench_arg_ulong (argc, argv, 3, 10000),
                          bench_arg_ulong (argc, argv, 4, 100));
  else if (strcmp (scenario, "prune") == 0)
    scenario_prune (dir, bench_arg_ulong (argc, argv, 3, 5000),
                    bench_arg_ulong (argc, argv, 4, 10));
  else if (strcmp (scenario, "store_tree") == 0 && argc > 3)
    scenario_store_tree (dir, argv[3]);
  else if (strcmp (scenario, "verify") == 0 && argc > 3)
    scenario_verify (dir, argv[3]);
  else if (strcmp (scenario, "open") == 0)
    scenario_open (dir, bench_arg_ulong (argc, argv, 3, 200), argc > 4 ? argv[4] : "open");
  else if (strcmp (scenario, "contention") == 0)
    scenario_contention (dir, bench_arg_ulong (argc, argv, 3, 4),
                         bench_arg_double (argc, argv, 4, 5.0),
                         bench_arg_ulong (argc, argv, 5, 200));
  else
    usage ();
  return 0;
}

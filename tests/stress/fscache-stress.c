/* fscache-stress.c: concurrent stress and crash injection on the public API
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One program, several roles (the first argument):
 *
 *   run          the driver of the concurrent stress: N worker processes
 *                for M seconds on one small cache, then, idle, the checks
 *   crash        the crash-injection loop: workers SIGKILLed at random
 *                moments (and replaced), rounds of it, then after each round
 *                a lone open of the cache and the checks
 *   crashpoints  every test-only fault point of the library (FSCACHE_CRASH_AT)
 *                hit by a worker, then the repair checked twice: by a live
 *                process that is not alone (a store that does not fit must
 *                repair before evicting), and by a lone open
 *   race         creation against sweeping (issue 11): processes that only
 *                stage (through the library, or system call for system call
 *                the way osbuild's fscache does), only store, only collect
 *                garbage and only evict, on one cache, for M seconds; every
 *                stage and store must succeed and leave a whole entry,
 *                whatever the sweepers do
 *   integrity    the stress of `run`, with verifiers alongside (issue 13): two
 *                worker processes that only check entries against their
 *                manifests through the library (load_full with VERIFY, and
 *                load + list_differences), and with --fscache PATH one process
 *                that runs `fscache verify`, `fscache fsck` and
 *                `fscache fsck --repair` (all --json) in a loop; every entry
 *                is intact, so any difference, damaged manifest or removal
 *                they report is a false report, and there must be none; at
 *                the end, idle, `fscache fsck` must find the cache exact
 *   worker       one worker process (the drivers start these): random load,
 *                store + commit, stage, store_tree (copy and move), remove,
 *                prune, garbage collection and list, in T threads; with
 *                --job, one kind of operation only (race)
 *   check        the checks alone, on an existing cache directory
 *
 * Every entry a worker stores is a function of its name: data/payload holds
 * bytes from a generator seeded with a hash of the name (its length too),
 * data/sub/sha256 the checksum of those bytes. A reader recomputes both
 * from the name alone and compares every byte it loads: any difference is
 * a corrupted read.
 *
 * Workers count what they do in a shared file (one slot per worker process,
 * mmapped), so the counts of a killed worker survive it. A warning or a
 * critical of the library counts as an unexpected error.
 *
 * The checks, with nobody else in the cache: cache.size equals the sum of
 * the "size" members of the committed entries' object.info; each of those
 * sizes is the space the entry's tree uses; no uuid-* (or batch file) in
 * objects/, stage/ or journal/; no size transaction pending in
 * journal/size.intent; cache.size <= the maximum size; every committed entry
 * loads and is complete (checksums right); garbage collection then finds
 * nothing to remove and nothing to correct.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fscache.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#define APP_ID "org.example.FsCacheStress"
#define MAX_SLOTS 4096
#define KIB 1024
#define MIB (1024 * 1024)

/* ------------------------------------------------------------------------ */
/* Counters shared by all workers                                            */

typedef struct {
  gint64 started;
  gint64 finished;
  gint64 ops;
  gint64 loads;
  gint64 hits;
  gint64 misses;
  gint64 held; /* loads kept a while before release */
  gint64 stores;
  gint64 stored;
  gint64 exists;
  gint64 no_space;
  gint64 too_large;
  gint64 abandoned; /* stores released without a commit */
  gint64 tree_copies;
  gint64 tree_moves;
  gint64 stages;
  gint64 removes;
  gint64 removed;
  gint64 remove_miss;
  gint64 remove_busy;
  gint64 prunes;
  gint64 pruned;
  gint64 gcs;
  gint64 gc_removed;
  gint64 lists;
  gint64 async_ops;
  gint64 verified; /* entries whose every byte was checked */
  gint64 corrupt;
  gint64 errors;
  gint64 warnings;
  gint64 create_errors;    /* a stage or store that could not create its entry */
  gint64 osbuild_made;     /* anonymous entries made the way osbuild does (race) */
  gint64 osbuild_tmp_lost; /* …whose temporary lock file a sweeper took */
  gint64 checks;           /* entries checked against their manifests (integrity) */
  gint64 check_misses;     /* …removed before they could be loaded */
  gint64 false_reports;    /* an intact entry reported as differing or damaged */
  gint64 tool_runs;        /* runs of fscache verify/fsck (integrity) */
  gint64 tool_checked;     /* entries those runs checked */
  gint64 tool_debris;      /* runs of fsck that reported stale debris */
  gint64 pad[1];
} Stats;

#define STAT_ADD(s, field, n) __atomic_add_fetch (&(s)->field, (n), __ATOMIC_RELAXED)
#define STAT_INC(s, field) STAT_ADD (s, field, 1)

static Stats *
map_stats (const char *path, gboolean create)
{
  gsize len = sizeof (Stats) * MAX_SLOTS;
  int fd = open (path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0600);
  void *p;

  if (fd < 0)
    g_error ("opening %s: %s", path, g_strerror (errno));
  if (create && ftruncate (fd, (off_t) len) < 0)
    g_error ("sizing %s: %s", path, g_strerror (errno));
  p = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    g_error ("mapping %s: %s", path, g_strerror (errno));
  close (fd);
  return p;
}

static void
sum_stats (const Stats *slots, guint n, Stats *out)
{
  const gint64 *src;
  gint64 *dst = (gint64 *) out;

  memset (out, 0, sizeof *out);
  for (guint i = 0; i < n; i++)
    {
      src = (const gint64 *) &slots[i];
      for (gsize f = 0; f < sizeof (Stats) / sizeof (gint64); f++)
        dst[f] += __atomic_load_n (&src[f], __ATOMIC_RELAXED);
    }
}

/* ------------------------------------------------------------------------ */
/* Content derived from the name                                             */

static guint64
name_hash (const char *name)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (const guchar *p = (const guchar *) name; *p != '\0'; p++)
    {
      h ^= *p;
      h *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return h;
}

/* Key i of the key space. Most entries are small (1–48 KiB); one key in 32
 * is big (a sixth of the maximum size), so that commits evict several
 * entries at once; the key "huge" is larger than the whole cache. */
static char *
key_name (guint i)
{
  static const char *const prefixes[] = { "k", "ключ", "clé ", "🗃" };

  return g_strdup_printf ("%s%04u", prefixes[i % G_N_ELEMENTS (prefixes)], i);
}

static guint64 opt_max_size = 3 * MIB;

static gsize
payload_size (const char *name)
{
  guint64 h = name_hash (name);

  if (g_str_equal (name, "huge"))
    return (gsize) opt_max_size + 64 * KIB;
  if (h % 32 == 7)
    return (gsize) (opt_max_size / 6) + (gsize) (h >> 40) % 4096;
  return KIB + (gsize) ((h >> 8) % (47 * KIB));
}

static guint8 *
payload_new (const char *name, gsize *out_len)
{
  gsize len = payload_size (name);
  guint8 *buf = g_malloc (len);
  guint64 x = name_hash (name) | 1;

  for (gsize i = 0; i < len; i++)
    {
      /* xorshift64*: cheap and name-determined */
      if ((i & 7) == 0)
        {
          x ^= x >> 12;
          x ^= x << 25;
          x ^= x >> 27;
        }
      buf[i] = (guint8) ((x * G_GUINT64_CONSTANT (0x2545F4914F6CDD1D)) >> (8 * (i & 7)));
    }
  *out_len = len;
  return buf;
}

/* The expected checksum of each name, computed once per process. */
static GMutex sums_lock;
static GHashTable *sums;

static char *
expected_sum (const char *name)
{
  char *sum;

  g_mutex_lock (&sums_lock);
  if (sums == NULL)
    sums = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sum = g_strdup (g_hash_table_lookup (sums, name));
  g_mutex_unlock (&sums_lock);
  if (sum == NULL)
    {
      gsize len;
      g_autofree guint8 *buf = payload_new (name, &len);

      sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, buf, len);
      g_mutex_lock (&sums_lock);
      g_hash_table_replace (sums, g_strdup (name), g_strdup (sum));
      g_mutex_unlock (&sums_lock);
    }
  return sum;
}

static gboolean
write_file (const char *path, const void *data, gsize len, GError **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  const guint8 *p = data;

  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "creating %s: %s", path,
                   g_strerror (errno));
      return FALSE;
    }
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int errsv = n < 0 ? errno : ENOSPC;
          close (fd);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "writing %s: %s", path,
                       g_strerror (errsv));
          return FALSE;
        }
      p += n;
      len -= (gsize) n;
    }
  close (fd);
  return TRUE;
}

/* Fills the directory @dir (which exists) with the content of @name. */
static gboolean
fill_tree (const char *dir, const char *name, GError **error)
{
  g_autofree char *payload_path = g_build_filename (dir, "payload", NULL);
  g_autofree char *sub = g_build_filename (dir, "sub", NULL);
  g_autofree char *sum_path = g_build_filename (sub, "sha256", NULL);
  g_autofree char *sum = expected_sum (name);
  g_autofree guint8 *buf = NULL;
  gsize len;

  buf = payload_new (name, &len);
  if (!write_file (payload_path, buf, len, error))
    return FALSE;
  if (mkdir (sub, 0755) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "creating %s: %s", sub,
                   g_strerror (errno));
      return FALSE;
    }
  return write_file (sum_path, sum, strlen (sum), error);
}

/* Space used by a tree: st_blocks * 512 over everything including @path
 * itself, each inode once — what the library accounts. */
static gboolean
tree_space (int dir_fd, const char *name, GHashTable *seen, guint64 *total)
{
  struct stat st;

  if (fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return FALSE;
  if (st.st_nlink > 1 && !S_ISDIR (st.st_mode))
    {
      guint64 key = (guint64) st.st_ino;
      if (g_hash_table_contains (seen, &key))
        return TRUE;
      g_hash_table_add (seen, g_memdup2 (&key, sizeof key));
    }
  *total += (guint64) st.st_blocks * 512;
  if (S_ISDIR (st.st_mode))
    {
      int fd = openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      struct dirent *de;
      gboolean ok = TRUE;
      DIR *d;

      if (fd < 0 || (d = fdopendir (fd)) == NULL)
        return FALSE;
      while (ok && (de = readdir (d)) != NULL)
        if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
          ok = tree_space (dirfd (d), de->d_name, seen, total);
      closedir (d);
      return ok;
    }
  return TRUE;
}

static gboolean
tree_space_of (const char *path, guint64 *out)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  *out = 0;
  return tree_space (AT_FDCWD, path, seen, out);
}

/* Checks the tree of a loaded entry against its name. Returns NULL when it
 * is whole and right, else what is wrong. */
static char *
verify_tree (const char *data_dir, const char *name)
{
  g_autofree char *payload_path = g_build_filename (data_dir, "payload", NULL);
  g_autofree char *sum_path = g_build_filename (data_dir, "sub", "sha256", NULL);
  g_autofree char *want = expected_sum (name);
  g_autofree char *payload = NULL;
  g_autofree char *stored_sum = NULL;
  g_autofree char *got = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = NULL;
  gsize len, sum_len;
  guint n = 0;
  const char *child;

  if (!g_file_get_contents (payload_path, &payload, &len, &error))
    return g_strdup_printf ("payload unreadable: %s", error->message);
  if (len != payload_size (name))
    return g_strdup_printf ("payload of %zu bytes, expected %zu", len, payload_size (name));
  got = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) payload, len);
  if (!g_str_equal (got, want))
    return g_strdup_printf ("payload checksum %s, expected %s", got, want);
  if (!g_file_get_contents (sum_path, &stored_sum, &sum_len, &error))
    return g_strdup_printf ("sub/sha256 unreadable: %s", error->message);
  if (!g_str_equal (stored_sum, want))
    return g_strdup_printf ("sub/sha256 says %.64s, expected %s", stored_sum, want);
  dir = g_dir_open (data_dir, 0, &error);
  if (dir == NULL)
    return g_strdup_printf ("data/ unreadable: %s", error->message);
  while ((child = g_dir_read_name (dir)) != NULL)
    {
      if (!g_str_equal (child, "payload") && !g_str_equal (child, "sub"))
        return g_strdup_printf ("unexpected file data/%s", child);
      n++;
    }
  if (n != 2)
    return g_strdup_printf ("data/ has %u children, expected 2", n);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Log handler: a warning or a critical of the library is an error          */

static Stats *my_stats;

static void
log_handler (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      if (my_stats != NULL)
        STAT_INC (my_stats, warnings);
      g_printerr ("[%d] %s-%s: %s\n", (int) getpid (), domain ? domain : "?",
                  (level & G_LOG_LEVEL_WARNING) ? "WARNING" : "CRITICAL", message);
      return;
    }
  g_log_default_handler (domain, level, message, user_data);
}

static void
install_log_handler (void)
{
  g_log_set_handler ("FsCache", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                     log_handler, NULL);
  g_log_set_handler (NULL, G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL,
                     log_handler, NULL);
  g_log_set_handler ("GLib", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL,
                     log_handler, NULL);
  g_log_set_handler ("GLib-GObject", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL,
                     log_handler, NULL);
  g_log_set_handler ("GLib-GIO", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL,
                     log_handler, NULL);
}

/* ------------------------------------------------------------------------ */
/* The worker                                                                */

static char *opt_cache;
static char *opt_stats;
static int opt_slot;
static int opt_seconds = 10;
static int opt_procs = 8;
static int opt_threads = 2;
static int opt_keys = 160;
static int opt_rounds = 4;
static int opt_kill_ms = 40;
static int opt_min_kills = 0;
static int opt_reps = -1;
static gint64 opt_seed;
static gboolean opt_durable;
static gboolean opt_keep;
static gboolean opt_hold;
static char *opt_figures;
static char *opt_tmpdir;
static char *opt_max_str;
static char *opt_points;
static char *opt_job;
static char *opt_jobs;
static char *opt_fscache;

typedef struct {
  FsCache *cache;
  Stats *stats;
  GRand *rand;
  gint64 deadline; /* monotonic µs; 0: forever */
  GMainContext *context;
} Worker;

static void
unexpected (Worker *w, const char *what, const GError *error)
{
  STAT_INC (w->stats, errors);
  g_printerr ("[%d] unexpected error in %s: %s (%s %d)\n", (int) getpid (), what,
              error ? error->message : "(no message)",
              error ? g_quark_to_string (error->domain) : "-", error ? error->code : 0);
}

static void
corrupted (Worker *w, const char *name, const char *how, const char *path)
{
  STAT_INC (w->stats, corrupt);
  g_printerr ("[%d] CORRUPTED READ of “%s” at %s: %s\n", (int) getpid (), name, path, how);
}

static void
got_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (Worker *w, GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (w->context, TRUE);
  return *slot;
}

static char *
random_key (Worker *w)
{
  return key_name ((guint) g_rand_int_range (w->rand, 0, opt_keys));
}

static void
verify_entry (Worker *w, FsCacheEntry *entry, const char *name)
{
  g_autofree char *why = verify_tree (fs_cache_entry_get_path (entry), name);

  if (why != NULL)
    corrupted (w, name, why, fs_cache_entry_get_path (entry));
  else
    STAT_INC (w->stats, verified);
  if (fs_cache_entry_get_size (entry) == 0)
    corrupted (w, name, "size 0", fs_cache_entry_get_path (entry));
}

static void
op_load (Worker *w)
{
  g_autofree char *name = random_key (w);
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;

  STAT_INC (w->stats, loads);
  if (g_rand_int_range (w->rand, 0, 8) == 0)
    {
      GAsyncResult *res = NULL;
      STAT_INC (w->stats, async_ops);
      fs_cache_load_async (w->cache, name, G_PRIORITY_DEFAULT, NULL, got_result, &res);
      entry = fs_cache_load_finish (w->cache, wait_result (w, &res), &error);
      g_object_unref (res);
    }
  else
    entry = fs_cache_load (w->cache, name, NULL, &error);

  if (entry == NULL)
    {
      if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
        STAT_INC (w->stats, misses);
      else
        unexpected (w, "load", error);
      return;
    }
  STAT_INC (w->stats, hits);
  if (g_strcmp0 (fs_cache_entry_get_name (entry), name) != 0 ||
      fs_cache_entry_get_kind (entry) != FS_CACHE_ENTRY_KIND_LOADED)
    corrupted (w, name, "wrong name or kind", fs_cache_entry_get_path (entry));
  verify_entry (w, entry, name);
  /* Sometimes keep it a while: eviction must skip it, removal be BUSY. */
  if (g_rand_int_range (w->rand, 0, 4) == 0)
    {
      STAT_INC (w->stats, held);
      g_usleep ((gulong) g_rand_int_range (w->rand, 100, 5000));
      /* still whole after the wait */
      verify_entry (w, entry, name);
    }
  fs_cache_entry_release (entry);
}

static void
count_status (Worker *w, FsCacheCommitStatus status)
{
  switch (status)
    {
    case FS_CACHE_COMMIT_STORED:
      STAT_INC (w->stats, stored);
      break;
    case FS_CACHE_COMMIT_EXISTS:
      STAT_INC (w->stats, exists);
      break;
    case FS_CACHE_COMMIT_NO_SPACE:
      STAT_INC (w->stats, no_space);
      break;
    case FS_CACHE_COMMIT_TOO_LARGE:
      STAT_INC (w->stats, too_large);
      break;
    case FS_CACHE_COMMIT_INCOMPATIBLE:
    default:
      {
        g_autoptr (GError) e =
          g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "commit status %d", (int) status);
        unexpected (w, "commit", e);
      }
    }
}

static void
check_commit_result (Worker *w, FsCacheEntry *entry, const char *name, FsCacheCommitStatus status)
{
  count_status (w, status);
  if (status == FS_CACHE_COMMIT_STORED)
    {
      if (g_strcmp0 (fs_cache_entry_get_name (entry), name) != 0 ||
          fs_cache_entry_get_kind (entry) != FS_CACHE_ENTRY_KIND_LOADED)
        corrupted (w, name, "stored entry has the wrong name or kind",
                   fs_cache_entry_get_path (entry));
      verify_entry (w, entry, name);
    }
}

static void
op_store (Worker *w, gboolean huge)
{
  g_autofree char *name = huge ? g_strdup ("huge") : random_key (w);
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  FsCacheCommitStatus status;
  gboolean use_async = g_rand_int_range (w->rand, 0, 8) == 0;

  STAT_INC (w->stats, stores);
  if (use_async)
    {
      GAsyncResult *res = NULL;
      STAT_INC (w->stats, async_ops);
      fs_cache_store_async (w->cache, name, G_PRIORITY_DEFAULT, NULL, got_result, &res);
      entry = fs_cache_store_finish (w->cache, wait_result (w, &res), &error);
      g_object_unref (res);
    }
  else
    entry = fs_cache_store (w->cache, name, NULL, &error);
  if (entry == NULL)
    {
      STAT_INC (w->stats, create_errors);
      unexpected (w, "store", error);
      return;
    }
  if (!fill_tree (fs_cache_entry_get_path (entry), name, &error))
    {
      unexpected (w, "filling a store", error);
      return;
    }
  if (g_rand_int_range (w->rand, 0, 20) == 0)
    {
      STAT_INC (w->stats, abandoned);
      fs_cache_entry_release (entry);
      return;
    }
  if (use_async)
    {
      GAsyncResult *res = NULL;
      fs_cache_entry_commit_async (entry, G_PRIORITY_DEFAULT, NULL, got_result, &res);
      if (!fs_cache_entry_commit_finish (entry, wait_result (w, &res), &status, &error))
        unexpected (w, "commit (async)", error);
      else
        check_commit_result (w, entry, name, status);
      g_object_unref (res);
    }
  else if (!fs_cache_entry_commit (entry, &status, NULL, &error))
    unexpected (w, "commit", error);
  else
    check_commit_result (w, entry, name, status);
  fs_cache_entry_release (entry);
}

static void
check_stage_intact (Worker *w, FsCacheEntry *stage, const char *name)
{
  const char *data = fs_cache_entry_get_path (stage);
  g_autofree char *dir = g_path_get_dirname (data);
  g_autofree char *lock = g_build_filename (dir, "object.lock", NULL);
  g_autofree char *why = NULL;

  if (!g_file_test (lock, G_FILE_TEST_IS_REGULAR))
    corrupted (w, "(stage)", "the lock file of a live staging entry is gone", data);
  else if ((why = verify_tree (data, name)) != NULL)
    corrupted (w, "(stage)", why, data);
}

/* A staging entry: scratch space, discarded; sometimes its tree is then
 * stored under a name, by copy or by move (the way to commit a stage). */
static void
op_stage (Worker *w)
{
  g_autofree char *name = random_key (w);
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) stage = NULL;
  FsCacheCommitStatus status;
  int how = g_rand_int_range (w->rand, 0, 3); /* 0: scratch, 1: copy, 2: move */

  STAT_INC (w->stats, stages);
  stage = fs_cache_stage (w->cache, NULL, &error);
  if (stage == NULL)
    {
      unexpected (w, "stage", error);
      return;
    }
  if (fs_cache_entry_get_kind (stage) != FS_CACHE_ENTRY_KIND_STAGED ||
      fs_cache_entry_get_name (stage) != NULL)
    corrupted (w, "(stage)", "staging entry with a name or the wrong kind",
               fs_cache_entry_get_path (stage));
  if (!fill_tree (fs_cache_entry_get_path (stage), name, &error))
    {
      unexpected (w, "filling a stage", error);
      return;
    }
  /* A live staging entry is whole: its lock file (DESIGN §3: stage/uuid-X/
   * object.lock, held by us) and its tree are still there. */
  check_stage_intact (w, stage, name);
  if (how != 0)
    {
      STAT_INC (w->stats, stores);
      if (how == 1)
        STAT_INC (w->stats, tree_copies);
      else
        STAT_INC (w->stats, tree_moves);
      if (!fs_cache_store_tree (w->cache, name, fs_cache_entry_get_file (stage),
                                how == 2 ? FS_CACHE_STORE_MOVE : FS_CACHE_STORE_NONE, NULL, NULL,
                                &status, NULL, &error))
        unexpected (w, how == 2 ? "store_tree (move)" : "store_tree (copy)", error);
      else
        {
          count_status (w, status);
          if (status == FS_CACHE_COMMIT_STORED)
            {
              /* What was stored must load whole (unless evicted meanwhile). */
              g_autoptr (FsCacheEntry) loaded = fs_cache_load (w->cache, name, NULL, NULL);
              if (loaded != NULL)
                verify_entry (w, loaded, name);
            }
        }
    }
  if (how != 2)
    check_stage_intact (w, stage, name);
  fs_cache_entry_release (stage);
}

static void
op_remove (Worker *w)
{
  g_autofree char *name = random_key (w);
  g_autoptr (GError) error = NULL;

  STAT_INC (w->stats, removes);
  if (fs_cache_remove (w->cache, name, NULL, &error))
    STAT_INC (w->stats, removed);
  else if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
    STAT_INC (w->stats, remove_miss);
  else if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_BUSY))
    STAT_INC (w->stats, remove_busy);
  else
    unexpected (w, "remove", error);
}

static void
op_prune (Worker *w)
{
  g_autoptr (GError) error = NULL;
  guint64 target =
    opt_max_size / 2 + (guint64) (g_rand_double (w->rand) * (double) (opt_max_size / 2));
  guint n = 0;
  guint64 bytes = 0;

  STAT_INC (w->stats, prunes);
  if (g_rand_int_range (w->rand, 0, 4) == 0)
    {
      GAsyncResult *res = NULL;
      STAT_INC (w->stats, async_ops);
      fs_cache_prune_async (w->cache, target, FS_CACHE_MAINTENANCE_NONE, G_PRIORITY_DEFAULT, NULL,
                            got_result, &res);
      if (!fs_cache_prune_finish (w->cache, wait_result (w, &res), &n, &bytes, &error))
        unexpected (w, "prune (async)", error);
      g_object_unref (res);
    }
  else if (!fs_cache_prune (w->cache, target, FS_CACHE_MAINTENANCE_NONE, &n, &bytes, NULL, &error))
    unexpected (w, "prune", error);
  STAT_ADD (w->stats, pruned, n);
}

static void
op_gc (Worker *w)
{
  g_autoptr (GError) error = NULL;
  guint removed = 0;
  guint64 reclaimed = 0;
  gint64 correction = 0;

  STAT_INC (w->stats, gcs);
  if (!fs_cache_collect_garbage (w->cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed,
                                 &correction, NULL, &error))
    unexpected (w, "collect_garbage", error);
  STAT_ADD (w->stats, gc_removed, removed);
}

static void
op_list (Worker *w)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) list = NULL;
  guint64 used = 0, max = 0;

  STAT_INC (w->stats, lists);
  list = fs_cache_list (w->cache, NULL, &error);
  if (list == NULL)
    {
      unexpected (w, "list", error);
      return;
    }
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);
      const char *name = fs_cache_item_get_name (item);
      if (!fs_cache_name_is_valid (name, NULL) || fs_cache_item_get_size (item) == 0)
        corrupted (w, name, "listed with an invalid name or size 0", "(list)");
    }
  if (!fs_cache_get_usage (w->cache, &used, &max, NULL, &error))
    unexpected (w, "get_usage", error);
  else if (max != opt_max_size)
    corrupted (w, "(usage)", "maximum size changed", "(usage)");
}

/* A bare staging entry, as many as can be made (race): it must come whole
 * (its lock file and an empty data/) and stay whole until released, however
 * many sweepers run beside it. */
static void
op_stage_bare (Worker *w)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) stage = NULL;
  g_autofree char *file = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *lock = NULL;

  STAT_INC (w->stats, stages);
  stage = fs_cache_stage (w->cache, NULL, &error);
  if (stage == NULL)
    {
      STAT_INC (w->stats, create_errors);
      unexpected (w, "stage", error);
      return;
    }
  file = g_build_filename (fs_cache_entry_get_path (stage), "file", NULL);
  if (!write_file (file, "x", 1, &error))
    corrupted (w, "(stage)", error->message, fs_cache_entry_get_path (stage));
  dir = g_path_get_dirname (fs_cache_entry_get_path (stage));
  lock = g_build_filename (dir, "object.lock", NULL);
  if (!g_file_test (lock, G_FILE_TEST_IS_REGULAR))
    corrupted (w, "(stage)", "the lock file of a live staging entry is gone",
               fs_cache_entry_get_path (stage));
  fs_cache_entry_release (stage);
}

/* Eviction down to a random target of at most half the maximum size. */
static void
op_evict (Worker *w)
{
  g_autoptr (GError) error = NULL;
  guint64 target = (guint64) (g_rand_double (w->rand) * (double) (opt_max_size / 2));
  guint n = 0;
  guint64 bytes = 0;

  STAT_INC (w->stats, prunes);
  if (!fs_cache_prune (w->cache, target, FS_CACHE_MAINTENANCE_NONE, &n, &bytes, NULL, &error))
    unexpected (w, "prune", error);
  STAT_ADD (w->stats, pruned, n);
}

static gboolean
osbuild_fail (Worker *w, const char *area, const char *what, const char *path, int errsv)
{
  g_autoptr (GError) error = g_error_new (G_IO_ERROR, g_io_error_from_errno (errsv), "%s %s/%s: %s",
                                          what, area, path, g_strerror (errsv));
  STAT_INC (w->stats, create_errors);
  unexpected (w, g_str_equal (area, "stage") ? "osbuild stage" : "osbuild store", error);
  return FALSE;
}

static void
osbuild_rm_tree (int dfd, const char *name)
{
  int fd;
  DIR *dir;
  struct dirent *de;

  if (unlinkat (dfd, name, 0) == 0 || errno == ENOENT)
    return;
  fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return;
  dir = fdopendir (fd);
  if (dir == NULL)
    {
      close (fd);
      return;
    }
  while ((de = readdir (dir)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      osbuild_rm_tree (dirfd (dir), de->d_name);
  closedir (dir);
  unlinkat (dfd, name, AT_REMOVEDIR);
}

static volatile guint64 interpreter_sink;

static void
osbuild_interpreter_work (void)
{
  guint64 x = (guint64) g_get_monotonic_time () | 1;

  for (int i = 0; i < 20000; i++)
    {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
  interpreter_sink = x;
}

static char *
osbuild_uuid_name (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  GString *s = g_string_new ("uuid-");

  for (const char *p = uuid; *p != '\0'; p++)
    if (*p != '-')
      g_string_append_c (s, *p);
  return g_string_free (s, FALSE);
}

/* An anonymous entry made and discarded the way osbuild does it in
 * @area_name ("stage": the seed's FsCache.stage(); "objects": its store(),
 * abandoned before the commit): _atomic_dir() over _atomic_file() and
 * _atomic_open(), then _rm_r_object(), system call for system call. A
 * locked temporary file AREA/uuid-T, a folder AREA/uuid-D, the file renamed
 * (no replace) to uuid-D/object.lock — retried on ENOENT ("a parallel
 * cleanup might have deleted the empty directory"), any other error fails
 * osbuild's call —, then uuid-D/data. Our sweepers share the cache with
 * osbuild: they must never make such a call fail. */
static void
op_osbuild_anonymous (Worker *w, const char *area_name)
{
  g_autofree char *area_dir = g_build_filename (opt_cache, area_name, NULL);
  int area = open (area_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int lock_fd = -1;
  char dir_name[64], lock_rel[128], data_rel[128], file_rel[160];
  gboolean ok = TRUE;

  if (g_str_equal (area_name, "stage"))
    STAT_INC (w->stats, stages);
  else
    {
      STAT_INC (w->stats, stores);
      STAT_INC (w->stats, abandoned);
    }
  STAT_INC (w->stats, osbuild_made);
  if (area < 0)
    {
      osbuild_fail (w, area_name, "opening", "", errno);
      return;
    }
  for (;;)
    {
      g_autofree char *tmp = osbuild_uuid_name ();
      g_autofree char *dir = osbuild_uuid_name ();
      struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
      struct stat st_fd, st_path;

      g_strlcpy (dir_name, dir, sizeof dir_name);
      g_snprintf (lock_rel, sizeof lock_rel, "%s/object.lock", dir);
      /* _atomic_file(): O_CREAT|O_EXCL, a write lock (waiting), then the
       * check that the path is still that file */
      lock_fd = openat (area, tmp, O_RDWR | O_CLOEXEC | O_CREAT | O_EXCL, 0644);
      if (lock_fd < 0)
        {
          ok = osbuild_fail (w, area_name, "creating", tmp, errno);
          break;
        }
      while (fcntl (lock_fd, F_OFD_SETLKW, &fl) < 0 && errno == EINTR)
        ;
      if (fstat (lock_fd, &st_fd) < 0 || fstatat (area, tmp, &st_path, 0) < 0 ||
          st_fd.st_ino != st_path.st_ino || st_fd.st_dev != st_path.st_dev)
        {
          /* A sweeper locked the bare file between osbuild's open and its
           * lock and removed it as stale: osbuild's stage fails here too.
           * Sweepers leave young bare files alone (fs-anon.c), so this
           * must never happen. */
          STAT_INC (w->stats, osbuild_tmp_lost);
          unlinkat (area, tmp, 0);
          ok = FALSE;
          break;
        }
      if (mkdirat (area, dir, 0755) < 0)
        {
          ok = osbuild_fail (w, area_name, "creating", dir, errno);
          break;
        }
      /* osbuild runs Python between the two (the exit of its context
       * managers): some work of that order, tens of microseconds. */
      osbuild_interpreter_work ();
      if (renameat2 (area, tmp, area, lock_rel, RENAME_NOREPLACE) == 0)
        break;
      {
        int errsv = errno;

        unlinkat (area, tmp, 0);
        if (errsv == ENOENT)
          {
            /* the empty folder was collected: osbuild takes another name */
            close (lock_fd);
            lock_fd = -1;
            continue;
          }
        /* osbuild's error path: unlink the lock path and the folder, raise */
        unlinkat (area, lock_rel, 0);
        unlinkat (area, dir, AT_REMOVEDIR);
        ok = osbuild_fail (w, area_name, "linking the lock file", lock_rel, errsv);
        break;
      }
    }

  if (ok)
    {
      /* data/, used, then _rm_r_object() */
      g_snprintf (data_rel, sizeof data_rel, "%s/data", dir_name);
      g_snprintf (file_rel, sizeof file_rel, "%s/data/file", dir_name);
      if (mkdirat (area, data_rel, 0755) < 0)
        ok = osbuild_fail (w, area_name, "creating", data_rel, errno);
      else
        {
          int fd = openat (area, file_rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
          if (fd < 0)
            corrupted (w, "(osbuild)", g_strerror (errno), file_rel);
          else
            close (fd);
        }
      osbuild_rm_tree (area, data_rel);
      unlinkat (area, lock_rel, 0);
      unlinkat (area, dir_name, AT_REMOVEDIR);
    }
  if (lock_fd >= 0)
    close (lock_fd);
  close (area);
}

/* Checks an entry against its manifest, as a verifier running beside the
 * workers does (integrity): every entry here is intact, so a difference, a
 * damaged manifest or a missing one is a false report. */
static void
op_check (Worker *w)
{
  g_autofree char *name = random_key (w);
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GListModel) differences = NULL;
  gboolean with_load = g_rand_boolean (w->rand);

  STAT_INC (w->stats, checks);
  /* Half through load_full(VERIFY), half through list_differences(). */
  entry = fs_cache_load_full (w->cache, name, with_load ? FS_CACHE_LOAD_VERIFY : FS_CACHE_LOAD_NONE,
                              NULL, &error);
  if (entry == NULL)
    {
      if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
        STAT_INC (w->stats, check_misses);
      else if (error->domain == FS_CACHE_ERROR)
        {
          STAT_INC (w->stats, false_reports);
          g_printerr ("[%d] FALSE REPORT: loading “%s” with VERIFY: %s\n", (int) getpid (), name,
                      error->message);
        }
      else
        unexpected (w, "load_full(VERIFY)", error);
      return;
    }
  if (!with_load)
    {
      differences = fs_cache_entry_list_differences (entry, NULL, NULL, NULL, &error);
      if (differences == NULL || g_list_model_get_n_items (differences) > 0)
        {
          g_autoptr (FsCacheDifference) first =
            differences != NULL ? g_list_model_get_item (differences, 0) : NULL;
          g_autofree char *what = first != NULL ? fs_cache_difference_to_string (first) : NULL;

          STAT_INC (w->stats, false_reports);
          g_printerr ("[%d] FALSE REPORT: “%s” differs from its manifest: %s\n", (int) getpid (),
                      name, what != NULL ? what : error->message);
        }
    }
  /* The library's check and the workers' own agree. */
  verify_entry (w, entry, name);
  fs_cache_entry_release (entry);
}

static const char *const all_jobs[] = { "stage",         "store",         "gc",    "evict", "load",
                                        "osbuild-stage", "osbuild-store", "check", NULL };

/* One operation of the worker's --job. */
static void
run_job (Worker *w)
{
  if (g_str_equal (opt_job, "stage"))
    op_stage_bare (w);
  else if (g_str_equal (opt_job, "store"))
    op_store (w, FALSE);
  else if (g_str_equal (opt_job, "gc"))
    op_gc (w);
  else if (g_str_equal (opt_job, "evict"))
    op_evict (w);
  else if (g_str_equal (opt_job, "osbuild-stage"))
    op_osbuild_anonymous (w, "stage");
  else if (g_str_equal (opt_job, "osbuild-store"))
    op_osbuild_anonymous (w, "objects");
  else if (g_str_equal (opt_job, "check"))
    op_check (w);
  else
    op_load (w);
}

static gpointer
worker_thread (gpointer data)
{
  Worker *w = data;

  w->context = g_main_context_new ();
  g_main_context_push_thread_default (w->context);

  while (w->deadline == 0 || g_get_monotonic_time () < w->deadline)
    {
      int r = g_rand_int_range (w->rand, 0, 1000);

      if (opt_job != NULL)
        {
          run_job (w);
          STAT_INC (w->stats, ops);
          continue;
        }
      if (r < 420)
        op_load (w);
      else if (r < 690)
        op_store (w, FALSE);
      else if (r < 692)
        op_store (w, TRUE);
      else if (r < 860)
        op_stage (w);
      else if (r < 930)
        op_remove (w);
      else if (r < 940)
        op_prune (w);
      else if (r < 946)
        op_gc (w);
      else
        op_list (w);
      STAT_INC (w->stats, ops);
    }

  g_main_context_pop_thread_default (w->context);
  g_main_context_unref (w->context);
  return NULL;
}

static int
run_worker (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GPtrArray) threads = g_ptr_array_new ();
  Worker *workers;
  gint64 deadline = 0;

  if (opt_cache == NULL || opt_stats == NULL || opt_slot < 0 || opt_slot >= MAX_SLOTS)
    {
      g_printerr ("worker: --cache, --stats and --slot are needed\n");
      return 2;
    }
  my_stats = &map_stats (opt_stats, FALSE)[opt_slot];
  STAT_INC (my_stats, started);

  cache = fs_cache_new_for_path (APP_ID, opt_cache, NULL, &error);
  if (cache == NULL)
    {
      STAT_INC (my_stats, errors);
      g_printerr ("[%d] opening the cache: %s\n", (int) getpid (), error->message);
      return 1;
    }

  if (opt_seconds > 0)
    deadline = g_get_monotonic_time () + (gint64) opt_seconds * G_USEC_PER_SEC;
  workers = g_new0 (Worker, opt_threads);
  for (int t = 0; t < opt_threads; t++)
    {
      guint32 seed[3] = { (guint32) opt_seed, (guint32) opt_slot, (guint32) t };
      workers[t].cache = cache;
      workers[t].stats = my_stats;
      workers[t].rand = g_rand_new_with_seed_array (seed, 3);
      workers[t].deadline = deadline;
      if (t > 0)
        g_ptr_array_add (threads, g_thread_new ("stress", worker_thread, &workers[t]));
    }
  worker_thread (&workers[0]);
  for (guint t = 0; t < threads->len; t++)
    g_thread_join (threads->pdata[t]);
  for (int t = 0; t < opt_threads; t++)
    g_rand_free (workers[t].rand);
  g_free (workers);

  fs_cache_close (cache);
  STAT_INC (my_stats, finished);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* The checks                                                                */

typedef struct {
  guint problems;
  guint entries;
  guint64 counter;
  guint64 sum;
} CheckResult;

static void problem (CheckResult *r, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
problem (CheckResult *r, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  r->problems++;
  g_printerr ("CHECK FAILED: %s\n", msg);
}

static gboolean
parse_size_text (const char *text, gsize len, guint64 *out)
{
  g_autofree char *s = g_strndup (text, len);
  char *end = NULL;

  g_strstrip (s);
  if (*s == '\0' || !g_ascii_isdigit (*s))
    return FALSE;
  *out = g_ascii_strtoull (s, &end, 10);
  return end != NULL && *end == '\0';
}

/* The "size" of an object.info, or FALSE. */
static gboolean
read_object_size (const char *path, guint64 *out)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root, *node;

  if (!json_parser_load_from_file (parser, path, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  node = json_object_get_member (json_node_get_object (root), "size");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    return FALSE;
  *out = (guint64) json_node_get_int (node);
  return TRUE;
}

/* What is on disk, without opening the cache through the library. */
static void
check_raw (const char *cache_dir, guint64 max, CheckResult *r)
{
  static const char *const areas[] = { "objects", "stage", "journal" };
  g_autofree char *size_path = g_build_filename (cache_dir, "cache.size", NULL);
  g_autofree char *intent_path = g_build_filename (cache_dir, "journal", "size.intent", NULL);
  g_autofree char *objects = g_build_filename (cache_dir, "objects", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *child;
  gsize len;

  r->entries = 0;
  r->sum = 0;
  r->counter = 0;

  if (!g_file_get_contents (size_path, &text, &len, NULL) ||
      !parse_size_text (text, len, &r->counter))
    problem (r, "%s is missing or does not hold a number", size_path);

  dir = g_dir_open (objects, 0, NULL);
  if (dir == NULL)
    problem (r, "%s can't be read", objects);
  while (dir != NULL && (child = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *entry = g_build_filename (objects, child, NULL);
      g_autofree char *info = g_build_filename (entry, "object.info", NULL);
      g_autofree char *data = g_build_filename (entry, "data", NULL);
      guint64 size, space;

      if (g_str_has_prefix (child, "uuid-"))
        continue; /* counted below */
      if (!g_file_test (entry, G_FILE_TEST_IS_DIR) || g_file_test (entry, G_FILE_TEST_IS_SYMLINK))
        {
          problem (r, "objects/%s is not a directory", child);
          continue;
        }
      if (!read_object_size (info, &size))
        {
          problem (r, "objects/%s has no valid object.info (a named entry never served)", child);
          continue;
        }
      r->entries++;
      r->sum += size;
      if (!tree_space_of (data, &space))
        problem (r, "objects/%s/data can't be walked", child);
      else if (space != size && opt_durable)
        problem (r,
                 "objects/%s: object.info says %" G_GUINT64_FORMAT
                 " bytes, the tree uses %" G_GUINT64_FORMAT,
                 child, size, space);
      else if (space != size)
        /* A volatile commit measures the tree before writeback; a file
         * system with delayed allocation (ext4) may settle on a block more
         * or less afterwards. What must be exact is the accounting
         * (cache.size == sum of object.info, checked below), not the
         * match with blocks the file system chose later. Durable commits
         * measure after syncfs() and are held to the exact match. */
        g_print ("note: objects/%s: object.info says %" G_GUINT64_FORMAT
                 " bytes, the tree uses %" G_GUINT64_FORMAT " now (volatile cache, delayed "
                 "allocation)\n",
                 child, size, space);
    }

  for (guint a = 0; a < G_N_ELEMENTS (areas); a++)
    {
      g_autofree char *area = g_build_filename (cache_dir, areas[a], NULL);
      g_autoptr (GDir) d = g_dir_open (area, 0, NULL);

      while (d != NULL && (child = g_dir_read_name (d)) != NULL)
        if (g_str_has_prefix (child, "uuid-") || g_str_has_prefix (child, "bat-"))
          problem (r, "leftover %s/%s", areas[a], child);
    }

  g_clear_pointer (&text, g_free);
  if (g_file_get_contents (intent_path, &text, &len, NULL))
    {
      /* "idle" (then the boot id of the last writer, in newer versions),
       * with no pending transaction and no recount asked for */
      g_strstrip (text);
      if (*text != '\0' && (!g_str_has_prefix (text, "idle") || strstr (text, "recount") != NULL))
        problem (r, "journal/size.intent is not idle: “%s”", text);
    }

  if (r->counter != r->sum)
    problem (r,
             "accounting: cache.size says %" G_GUINT64_FORMAT
             ", the entries' object.info sum to %" G_GUINT64_FORMAT " (%u entries)",
             r->counter, r->sum, r->entries);
  if (r->counter > max)
    problem (r, "cache.size %" G_GUINT64_FORMAT " is above the maximum size %" G_GUINT64_FORMAT,
             r->counter, max);
}

/* Every committed entry loads and is whole. */
static void
check_entries (FsCache *cache, const char *cache_dir, CheckResult *r)
{
  g_autofree char *objects = g_build_filename (cache_dir, "objects", NULL);
  g_autoptr (GDir) dir = g_dir_open (objects, 0, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) list = NULL;
  const char *child;
  guint n = 0;

  while (dir != NULL && (child = g_dir_read_name (dir)) != NULL)
    {
      g_autoptr (FsCacheEntry) entry = NULL;
      g_autofree char *why = NULL;

      if (g_str_has_prefix (child, "uuid-"))
        continue;
      entry = fs_cache_load (cache, child, NULL, &error);
      if (entry == NULL)
        {
          problem (r, "objects/%s does not load: %s", child, error->message);
          g_clear_error (&error);
          continue;
        }
      n++;
      why = verify_tree (fs_cache_entry_get_path (entry), child);
      if (why != NULL)
        problem (r, "entry “%s” is not complete: %s", child, why);
    }

  list = fs_cache_list (cache, NULL, &error);
  if (list == NULL)
    problem (r, "list: %s", error->message);
  else if (g_list_model_get_n_items (list) != n)
    problem (r, "list gives %u entries, %u load", g_list_model_get_n_items (list), n);
}

static FsCache *
open_alone (const char *cache_dir, CheckResult *r)
{
  g_autoptr (GError) error = NULL;
  FsCache *cache = fs_cache_new_for_path (APP_ID, cache_dir, NULL, &error);

  if (cache == NULL)
    {
      problem (r, "opening %s: %s", cache_dir, error->message);
      return NULL;
    }
  if (fs_cache_has_other_users (cache))
    problem (r, "the cache is not idle for the check");
  return cache;
}

/* Garbage collection on a cache the checks found clean must find nothing. */
static void
check_gc_finds_nothing (FsCache *cache, CheckResult *r)
{
  g_autoptr (GError) error = NULL;
  guint removed = 0;
  guint64 reclaimed = 0;
  gint64 correction = 0;

  if (!fs_cache_collect_garbage (cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed,
                                 &correction, NULL, &error))
    problem (r, "collect_garbage: %s", error->message);
  else if (removed != 0 || correction != 0)
    problem (r,
             "garbage collection after recovery removed %u leftovers (%" G_GUINT64_FORMAT
             " bytes) and corrected the counter by %" G_GINT64_FORMAT,
             removed, reclaimed, correction);
}

/* @open_first: open the cache alone before looking (after crashes: the
 * lone open is what repairs); else look at the raw state first (after a
 * clean run nothing needs repairing, not even by an open). */
static guint
check_cache (const char *cache_dir, guint64 max, gboolean open_first, CheckResult *out)
{
  CheckResult r = { 0 };
  g_autoptr (FsCache) cache = NULL;

  if (open_first)
    cache = open_alone (cache_dir, &r);
  check_raw (cache_dir, max, &r);
  if (cache == NULL)
    cache = open_alone (cache_dir, &r);
  if (cache != NULL)
    {
      check_entries (cache, cache_dir, &r);
      check_gc_finds_nothing (cache, &r);
      fs_cache_close (cache);
    }
  {
    CheckResult again = { 0 };
    check_raw (cache_dir, max, &again);
    r.problems += again.problems;
  }
  if (out != NULL)
    *out = r;
  return r.problems;
}

/* ------------------------------------------------------------------------ */
/* Drivers                                                                   */

static char *self_exe;

static gboolean
create_cache (const char *dir, guint64 max)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = fs_cache_new_for_path (APP_ID, dir, NULL, &error);
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();

  if (cache == NULL)
    {
      g_printerr ("creating the cache %s: %s\n", dir, error->message);
      return FALSE;
    }
  fs_cache_info_set_maximum_size (info, max);
  /* No power cut is simulated here: syncs only slow the stress down. */
  fs_cache_info_set_volatile (info, !opt_durable);
  if (!fs_cache_set_info (cache, info, NULL, &error))
    {
      g_printerr ("configuring the cache %s: %s\n", dir, error->message);
      return FALSE;
    }
  fs_cache_close (cache);
  return TRUE;
}

static GPid spawn_worker_job (const char *cache_dir,
                              const char *stats,
                              int slot,
                              int seconds,
                              const char *crash_at,
                              const char *job);

static GPid
spawn_worker (const char *cache_dir, const char *stats, int slot, int seconds, const char *crash_at)
{
  return spawn_worker_job (cache_dir, stats, slot, seconds, crash_at, NULL);
}

/* With @job, the worker does that one kind of operation only. */
static GPid
spawn_worker_job (const char *cache_dir,
                  const char *stats,
                  int slot,
                  int seconds,
                  const char *crash_at,
                  const char *job)
{
  g_autofree char *slot_s = g_strdup_printf ("%d", slot);
  g_autofree char *seconds_s = g_strdup_printf ("%d", seconds);
  g_autofree char *threads_s = g_strdup_printf ("%d", opt_threads);
  g_autofree char *keys_s = g_strdup_printf ("%d", opt_keys);
  g_autofree char *seed_s = g_strdup_printf ("%" G_GINT64_FORMAT, opt_seed);
  g_autofree char *max_s = g_strdup_printf ("%" G_GUINT64_FORMAT, opt_max_size);
  const char *argv[] = { self_exe,
                         "worker",
                         "--cache",
                         cache_dir,
                         "--stats",
                         stats,
                         "--slot",
                         slot_s,
                         "--seconds",
                         seconds_s,
                         "--threads",
                         threads_s,
                         "--keys",
                         keys_s,
                         "--seed",
                         seed_s,
                         "--max",
                         max_s,
                         job ? "--job" : NULL,
                         job,
                         NULL };
  pid_t pid;

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    g_error ("fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      if (crash_at != NULL)
        setenv ("FSCACHE_CRASH_AT", crash_at, 1);
      else
        unsetenv ("FSCACHE_CRASH_AT");
      execv (self_exe, (char **) argv);
      _exit (127);
    }
  return pid;
}

static const char *
describe_status (int status, char buf[64])
{
  if (WIFEXITED (status))
    g_snprintf (buf, 64, "exit status %d", WEXITSTATUS (status));
  else if (WIFSIGNALED (status))
    g_snprintf (buf, 64, "signal %d (%s)", WTERMSIG (status), g_strsignal (WTERMSIG (status)));
  else
    g_snprintf (buf, 64, "status 0x%x", status);
  return buf;
}

static void
print_figures (GString *out, const char *title, const Stats *s, double seconds)
{
  g_string_append_printf (out, "%s\n", title);
  g_string_append_printf (out,
                          "  ops            %" G_GINT64_FORMAT
                          " in %.1f s: %.0f ops/s (async %" G_GINT64_FORMAT ")\n",
                          s->ops, seconds, seconds > 0 ? (double) s->ops / seconds : 0.0,
                          s->async_ops);
  g_string_append_printf (out,
                          "  loads          %" G_GINT64_FORMAT ": hits %" G_GINT64_FORMAT
                          ", misses %" G_GINT64_FORMAT ", held a while %" G_GINT64_FORMAT "\n",
                          s->loads, s->hits, s->misses, s->held);
  g_string_append_printf (out,
                          "  stores         %" G_GINT64_FORMAT " (store_tree copy %" G_GINT64_FORMAT
                          ", move %" G_GINT64_FORMAT "): stored %" G_GINT64_FORMAT
                          ", exists %" G_GINT64_FORMAT ", no space %" G_GINT64_FORMAT
                          ", too large %" G_GINT64_FORMAT ", abandoned %" G_GINT64_FORMAT "\n",
                          s->stores, s->tree_copies, s->tree_moves, s->stored, s->exists,
                          s->no_space, s->too_large, s->abandoned);
  g_string_append_printf (out, "  stages         %" G_GINT64_FORMAT "\n", s->stages);
  g_string_append_printf (out,
                          "  removes        %" G_GINT64_FORMAT ": removed %" G_GINT64_FORMAT
                          ", miss %" G_GINT64_FORMAT ", busy %" G_GINT64_FORMAT "\n",
                          s->removes, s->removed, s->remove_miss, s->remove_busy);
  g_string_append_printf (out,
                          "  prunes         %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT
                          " entries evicted\n",
                          s->prunes, s->pruned);
  g_string_append_printf (out,
                          "  gc             %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT
                          " leftovers removed\n",
                          s->gcs, s->gc_removed);
  g_string_append_printf (out, "  lists          %" G_GINT64_FORMAT "\n", s->lists);
  g_string_append_printf (out,
                          "  verified reads %" G_GINT64_FORMAT ", CORRUPTED %" G_GINT64_FORMAT
                          ", unexpected errors %" G_GINT64_FORMAT ", warnings %" G_GINT64_FORMAT
                          "\n",
                          s->verified, s->corrupt, s->errors, s->warnings);
}

static void
emit (GString *figures)
{
  g_print ("%s", figures->str);
  if (opt_figures != NULL)
    {
      g_autoptr (GError) error = NULL;
      if (!g_file_set_contents (opt_figures, figures->str, (gssize) figures->len, &error))
        g_printerr ("writing %s: %s\n", opt_figures, error->message);
    }
}

static char *
make_workdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir;

  if (opt_tmpdir != NULL)
    {
      g_autofree char *tmpl = g_build_filename (opt_tmpdir, "fscache-stress-XXXXXX", NULL);
      g_mkdir_with_parents (opt_tmpdir, 0755);
      dir = g_mkdtemp (g_steal_pointer (&tmpl));
      if (dir == NULL)
        g_error ("mkdtemp in %s: %s", opt_tmpdir, g_strerror (errno));
      return dir;
    }
  dir = g_dir_make_tmp ("fscache-stress-XXXXXX", &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  return dir;
}

static void
remove_workdir (const char *dir, gboolean ok)
{
  if (!ok || opt_keep)
    {
      g_printerr ("the cache is kept for inspection in %s\n", dir);
      return;
    }
  {
    const char *argv[] = { "rm", "-rf", "--", dir, NULL };
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                  NULL);
  }
}

static int
run_stress (void)
{
  g_autofree char *work = make_workdir ();
  g_autofree char *cache_dir = g_build_filename (work, "cache", NULL);
  g_autofree char *stats_path = g_build_filename (work, "stats", NULL);
  g_autoptr (GString) figures = g_string_new (NULL);
  g_autofree GPid *pids = g_new0 (GPid, opt_procs);
  g_autoptr (FsCache) holder = NULL;
  Stats *slots, total;
  CheckResult r = { 0 };
  guint bad_exits = 0;
  gint64 t0, t1;
  gint64 evicted;
  double secs;

  if (!create_cache (cache_dir, opt_max_size))
    return 1;
  slots = map_stats (stats_path, TRUE);

  g_print ("stress: %d processes × %d threads × %d s on %s (maximum size %" G_GUINT64_FORMAT
           " bytes, %d keys, seed %" G_GINT64_FORMAT ")\n",
           opt_procs, opt_threads, opt_seconds, cache_dir, opt_max_size, opt_keys, opt_seed);
  if (opt_hold)
    {
      g_autoptr (GError) error = NULL;
      holder = fs_cache_new_for_path (APP_ID, cache_dir, NULL, &error);
      if (holder == NULL)
        g_error ("opening %s: %s", cache_dir, error->message);
    }
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < opt_procs; i++)
    pids[i] = spawn_worker (cache_dir, stats_path, i, opt_seconds, NULL);
  for (int i = 0; i < opt_procs; i++)
    {
      int status;
      char buf[64];
      while (waitpid (pids[i], &status, 0) < 0 && errno == EINTR)
        ;
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        {
          bad_exits++;
          g_printerr ("worker %d (pid %d) ended with %s\n", i, (int) pids[i],
                      describe_status (status, buf));
        }
    }
  t1 = g_get_monotonic_time ();
  secs = (double) (t1 - t0) / G_USEC_PER_SEC;
  if (holder != NULL)
    fs_cache_close (holder);
  g_clear_object (&holder);
  sum_stats (slots, (guint) opt_procs, &total);

  check_cache (cache_dir, opt_max_size, FALSE, &r);

  /* Every stored entry left by a removal, a prune, or an eviction by a
   * commit that did not fit: the last are what is left to explain. */
  evicted = total.stored - total.removed - total.pruned - (gint64) r.entries;
  print_figures (figures, "== stress figures", &total, secs);
  g_string_append_printf (figures,
                          "  evictions      %" G_GINT64_FORMAT " by prune + %" G_GINT64_FORMAT
                          " by commits that did not fit\n",
                          total.pruned, evicted);
  g_string_append_printf (figures,
                          "  at the end     %u entries, %" G_GUINT64_FORMAT
                          " bytes accounted (maximum %" G_GUINT64_FORMAT
                          "), check problems %u, bad worker exits %u\n",
                          r.entries, r.counter, opt_max_size, r.problems, bad_exits);
  emit (figures);

  if (total.finished != opt_procs)
    g_printerr ("only %" G_GINT64_FORMAT " of %d workers finished\n", total.finished, opt_procs);
  {
    gboolean ok = r.problems == 0 && bad_exits == 0 && total.corrupt == 0 && total.errors == 0 &&
                  total.warnings == 0 && total.finished == opt_procs && evicted >= 0 &&
                  total.stored > 0 && total.hits > 0;
    munmap (slots, sizeof (Stats) * MAX_SLOTS);
    remove_workdir (work, ok);
    g_print ("stress: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
  }
}

/* Reaps workers that ended on their own (a crash of theirs, not our kill). */
static guint
reap_unexpected (GPid *pids, int n)
{
  guint bad = 0;

  for (int i = 0; i < n; i++)
    {
      int status;
      char buf[64];
      if (pids[i] > 0 && waitpid (pids[i], &status, WNOHANG) == pids[i])
        {
          g_printerr ("worker pid %d ended by itself with %s\n", (int) pids[i],
                      describe_status (status, buf));
          pids[i] = 0;
          bad++;
        }
    }
  return bad;
}

static gboolean
kill_and_reap (GPid pid, guint *bad)
{
  int status;
  char buf[64];

  kill (pid, SIGKILL);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL)
    return TRUE;
  g_printerr ("worker pid %d ended with %s before it was killed\n", (int) pid,
              describe_status (status, buf));
  (*bad)++;
  return FALSE;
}

static int
run_crash (void)
{
  g_autofree char *work = make_workdir ();
  g_autofree char *cache_dir = g_build_filename (work, "cache", NULL);
  g_autofree char *stats_path = g_build_filename (work, "stats", NULL);
  g_autoptr (GString) figures = g_string_new (NULL);
  g_autofree GPid *pids = g_new0 (GPid, opt_procs);
  g_autoptr (GRand) rand = g_rand_new_with_seed ((guint32) opt_seed ^ 0x5eed);
  Stats *slots, total;
  guint problems = 0, bad = 0, kills = 0, checks = 0;
  int next_slot = 0;
  gint64 t0;
  double secs;
  CheckResult last = { 0 };

  if (!create_cache (cache_dir, opt_max_size))
    return 1;
  slots = map_stats (stats_path, TRUE);

  g_print (
    "crash: %d processes × %d threads, %d rounds, %d s in all, a SIGKILL every ~%d ms, on %s (seed %" G_GINT64_FORMAT
    ")\n",
    opt_procs, opt_threads, opt_rounds, opt_seconds, opt_kill_ms, cache_dir, opt_seed);
  t0 = g_get_monotonic_time ();
  for (int round = 0; round < opt_rounds; round++)
    {
      gint64 end = g_get_monotonic_time () + (gint64) opt_seconds * G_USEC_PER_SEC / opt_rounds;
      CheckResult r = { 0 };

      for (int i = 0; i < opt_procs && next_slot < MAX_SLOTS; i++)
        pids[i] = spawn_worker (cache_dir, stats_path, next_slot++, 0, NULL);
      while (g_get_monotonic_time () < end)
        {
          int victim = g_rand_int_range (rand, 0, opt_procs);

          g_usleep ((gulong) g_rand_int_range (rand, 0, 2 * opt_kill_ms * 1000 + 1));
          bad += reap_unexpected (pids, opt_procs);
          if (pids[victim] > 0 && kill_and_reap (pids[victim], &bad))
            kills++;
          pids[victim] = 0;
          if (next_slot < MAX_SLOTS)
            pids[victim] = spawn_worker (cache_dir, stats_path, next_slot++, 0, NULL);
        }
      /* The end of the round kills everyone still running. */
      for (int i = 0; i < opt_procs; i++)
        if (pids[i] > 0)
          {
            if (kill_and_reap (pids[i], &bad))
              kills++;
            pids[i] = 0;
          }

      problems += check_cache (cache_dir, opt_max_size, TRUE, &r);
      checks++;
      last = r;
      g_print ("crash: round %d: %u kills so far, %u entries, %" G_GUINT64_FORMAT
               " bytes accounted, %u problems\n",
               round + 1, kills, r.entries, r.counter, r.problems);
    }
  secs = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  sum_stats (slots, (guint) next_slot, &total);

  print_figures (figures, "== crash-injection figures", &total, secs);
  g_string_append_printf (
    figures,
    "  kills          %u SIGKILLs in %d rounds, %d worker processes started, %u lone opens checked\n",
    kills, opt_rounds, next_slot, checks);
  g_string_append_printf (figures,
                          "  at the end     %u entries, %" G_GUINT64_FORMAT
                          " bytes accounted (maximum %" G_GUINT64_FORMAT
                          "), check problems %u, workers that died by themselves %u\n",
                          last.entries, last.counter, opt_max_size, problems, bad);
  emit (figures);

  {
    gboolean ok = problems == 0 && bad == 0 && total.corrupt == 0 && total.errors == 0 &&
                  total.warnings == 0 && kills >= (guint) opt_min_kills && total.stored > 0;
    if (kills < (guint) opt_min_kills)
      g_printerr ("only %u kills, %d wanted\n", kills, opt_min_kills);
    munmap (slots, sizeof (Stats) * MAX_SLOTS);
    remove_workdir (work, ok);
    g_print ("crash: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
  }
}

/* The fault points compiled into test builds of the library
 * (_fs_fault_point): the steps of store, commit, size transaction, discard
 * and removal. */
static const char *const all_points[] = { "anon-record",
                                          "commit-record",
                                          "commit-accounted",
                                          "commit-renamed",
                                          "txn-locked",
                                          "txn-intent",
                                          "txn-size",
                                          "txn-record",
                                          "discard-entry",
                                          "remove-record",
                                          "remove-hidden",
                                          "remove-accounted",
                                          NULL };

/* Stores one entry that can't fit beside what is there, so the commit has
 * to take the eviction path (which repairs dead records first). */
static gboolean
store_big (FsCache *cache, const char *name, guint64 bytes, CheckResult *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = fs_cache_store (cache, name, NULL, &error);
  g_autofree char *path = NULL;
  g_autofree char *buf = NULL;
  FsCacheCommitStatus status;

  if (entry == NULL)
    {
      problem (r, "store %s: %s", name, error->message);
      return FALSE;
    }
  path = g_build_filename (fs_cache_entry_get_path (entry), "big", NULL);
  buf = g_malloc0 (bytes);
  memset (buf, 'x', bytes);
  if (!write_file (path, buf, bytes, &error) ||
      !fs_cache_entry_commit (entry, &status, NULL, &error))
    {
      problem (r, "store %s: %s", name, error->message);
      return FALSE;
    }
  if (status != FS_CACHE_COMMIT_STORED)
    problem (r, "store %s: status %d, expected STORED", name, (int) status);
  fs_cache_entry_release (entry);
  /* The big one is not part of the name-derived key space: take it out. */
  if (!fs_cache_remove (cache, name, NULL, &error))
    problem (r, "remove %s: %s", name, error->message);
  return TRUE;
}

/* Stores @n entries of the key space, by name-derived content. */
static void
prefill (const char *cache_dir, guint n, CheckResult *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = fs_cache_new_for_path (APP_ID, cache_dir, NULL, &error);

  if (cache == NULL)
    {
      problem (r, "opening %s: %s", cache_dir, error->message);
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = key_name (i * 7 % (guint) opt_keys);
      g_autoptr (FsCacheEntry) entry = fs_cache_store (cache, name, NULL, &error);
      FsCacheCommitStatus status;

      if (entry == NULL || !fill_tree (fs_cache_entry_get_path (entry), name, &error) ||
          !fs_cache_entry_commit (entry, &status, NULL, &error))
        {
          problem (r, "prefilling %s: %s", name, error->message);
          return;
        }
    }
  fs_cache_close (cache);
}

/* With the repaired cache still shared (our open is not alone), what a
 * repair must give: exact accounting, no dead record, no debris. */
static void
check_repaired_while_shared (const char *cache_dir, guint64 max, CheckResult *r)
{
  CheckResult raw = { 0 };

  check_raw (cache_dir, max, &raw);
  r->problems += raw.problems;
}

static int
run_crashpoints (void)
{
  g_autofree char *work = make_workdir ();
  g_autofree char *stats_path = g_build_filename (work, "stats", NULL);
  g_auto (GStrv) points = NULL;
  g_autoptr (GString) figures = g_string_new (NULL);
  Stats *slots;
  guint problems = 0, runs = 0, not_reached = 0;
  int slot = 0;
  guint64 saved_max = opt_max_size;
  gint64 t0 = g_get_monotonic_time ();

  if (opt_points != NULL)
    points = g_strsplit (opt_points, ",", -1);
  else
    points = g_strdupv ((char **) all_points);
  slots = map_stats (stats_path, TRUE);
  /* A small cache, so that a few stores already evict. */
  opt_max_size = MIN (opt_max_size, 1 * MIB);

  for (guint p = 0; points[p] != NULL; p++)
    for (int shared = 0; shared < 2; shared++)
      for (int rep = 0; rep < opt_reps; rep++)
        {
          g_autofree char *dir_name =
            g_strdup_printf ("cache-%s-%s-%d", points[p], shared ? "shared" : "alone", rep);
          g_autofree char *cache_dir = g_build_filename (work, dir_name, NULL);
          g_autoptr (FsCache) holder = NULL;
          g_autoptr (GError) error = NULL;
          CheckResult r = { 0 };
          GPid pid;
          int status;
          char buf[64];

          runs++;
          if (!create_cache (cache_dir, opt_max_size))
            return 1;
          /* A few entries to load, remove and evict. */
          prefill (cache_dir, 12, &r);

          if (shared)
            {
              holder = fs_cache_new_for_path (APP_ID, cache_dir, NULL, &error);
              if (holder == NULL)
                {
                  problem (&r, "opening %s: %s", cache_dir, error->message);
                  problems += r.problems;
                  continue;
                }
            }

          /* The victim runs until the fault point kills it. */
          opt_seed += 7919;
          pid = spawn_worker (cache_dir, stats_path, slot++, 10, points[p]);
          while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
            ;
          if (!(WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL))
            {
              if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
                {
                  g_printerr ("crashpoints: %s was not reached in 10 s\n", points[p]);
                  not_reached++;
                }
              else
                problem (&r, "victim at %s ended with %s", points[p],
                         describe_status (status, buf));
            }

          if (shared)
            {
              /* Not alone in the cache: a store that does not fit repairs
               * the dead record before it evicts (DESIGN §5.4). */
              store_big (holder, "big-repair", opt_max_size * 9 / 10, &r);
              check_repaired_while_shared (cache_dir, opt_max_size, &r);
              fs_cache_close (holder);
              g_clear_object (&holder);
            }
          check_cache (cache_dir, opt_max_size, TRUE, &r);
          if (r.problems != 0)
            g_printerr ("crashpoints: ^ after a kill at %s (%s, run %d)\n", points[p],
                        shared ? "repaired by a live user" : "repaired by a lone open", rep);
          problems += r.problems;
          if (r.problems == 0)
            {
              const char *argv[] = { "rm", "-rf", "--", cache_dir, NULL };
              g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                            NULL, NULL);
            }
        }

  {
    Stats total;
    gboolean ok;

    sum_stats (slots, (guint) slot, &total);
    g_string_append_printf (
      figures,
      "== crash-point figures\n  %u runs over %u fault points (each: repaired by a live user, and by a lone open), %.1f s, %u points not reached, %u check problems, corrupted reads %" G_GINT64_FORMAT
      ", unexpected errors %" G_GINT64_FORMAT ", warnings %" G_GINT64_FORMAT "\n",
      runs, g_strv_length (points), (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC,
      not_reached, problems, total.corrupt, total.errors, total.warnings);
    emit (figures);
    ok = problems == 0 && not_reached == 0 && total.corrupt == 0 && total.errors == 0 &&
         total.warnings == 0;
    munmap (slots, sizeof (Stats) * MAX_SLOTS);
    remove_workdir (work, ok);
    opt_max_size = saved_max;
    g_print ("crashpoints: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
  }
}

/* Creation against sweeping (issue 11, item 4): stagers and a storer
 * create anonymous entries as fast as they can while garbage collectors
 * and an evictor sweep stage/ and objects/ without pause. A sweeper must
 * never take an entry whose creator is alive: every stage and store
 * succeeds, and every live staging entry stays whole. Rare windows need
 * many creations: on a tmpfs (/dev/shm, the default when it is there)
 * this makes about a hundred thousand in 10 s. */
#define RACE_JOBS "stage,stage,osbuild-stage,osbuild-store,store,gc,gc,evict"

static int
run_race (void)
{
  g_auto (GStrv) jobs = g_strsplit (opt_jobs != NULL ? opt_jobs : RACE_JOBS, ",", -1);
  g_autofree char *work = NULL;
  g_autofree char *cache_dir = NULL;
  g_autofree char *stats_path = NULL;
  g_autoptr (GString) figures = g_string_new (NULL);
  guint n_jobs = g_strv_length (jobs);
  g_autofree GPid *pids = g_new0 (GPid, MAX (n_jobs, 1));
  Stats *slots, total;
  CheckResult r = { 0 };
  guint bad_exits = 0;
  gint64 t0;
  double secs;

  for (guint i = 0; i < n_jobs; i++)
    if (!g_strv_contains (all_jobs, jobs[i]))
      {
        g_printerr ("race: unknown job %s\n", jobs[i]);
        return 2;
      }
  if (opt_tmpdir == NULL && g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) &&
      g_access ("/dev/shm", W_OK) == 0)
    opt_tmpdir = g_strdup ("/dev/shm");
  work = make_workdir ();
  cache_dir = g_build_filename (work, "cache", NULL);
  stats_path = g_build_filename (work, "stats", NULL);
  if (!create_cache (cache_dir, opt_max_size))
    return 1;
  slots = map_stats (stats_path, TRUE);

  g_print ("race: %s × %d threads × %d s on %s (maximum size %" G_GUINT64_FORMAT
           " bytes, seed %" G_GINT64_FORMAT ")\n",
           opt_jobs != NULL ? opt_jobs : RACE_JOBS, opt_threads, opt_seconds, cache_dir,
           opt_max_size, opt_seed);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n_jobs; i++)
    pids[i] = spawn_worker_job (cache_dir, stats_path, (int) i, opt_seconds, NULL, jobs[i]);
  for (guint i = 0; i < n_jobs; i++)
    {
      int status;
      char buf[64];
      while (waitpid (pids[i], &status, 0) < 0 && errno == EINTR)
        ;
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        {
          bad_exits++;
          g_printerr ("%s worker (pid %d) ended with %s\n", jobs[i], (int) pids[i],
                      describe_status (status, buf));
        }
    }
  secs = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  sum_stats (slots, n_jobs, &total);

  /* Nobody crashed: nothing may be left over, not even before an open. */
  check_cache (cache_dir, opt_max_size, FALSE, &r);

  g_string_append_printf (figures, "== race figures (%.1f s)\n", secs);
  g_string_append_printf (figures,
                          "  creations      %" G_GINT64_FORMAT " stages, %" G_GINT64_FORMAT
                          " stores (stored %" G_GINT64_FORMAT ", exists %" G_GINT64_FORMAT
                          ", no space %" G_GINT64_FORMAT ", too large %" G_GINT64_FORMAT
                          ", abandoned %" G_GINT64_FORMAT "): %" G_GINT64_FORMAT " FAILED\n",
                          total.stages, total.stores, total.stored, total.exists, total.no_space,
                          total.too_large, total.abandoned, total.create_errors);
  if (total.osbuild_made > 0)
    g_string_append_printf (figures,
                            "  osbuild's way  %" G_GINT64_FORMAT
                            " of them (stages, abandoned stores); %" G_GINT64_FORMAT
                            " lost their temporary lock file to a sweeper\n",
                            total.osbuild_made, total.osbuild_tmp_lost);
  g_string_append_printf (figures,
                          "  sweepers       %" G_GINT64_FORMAT
                          " garbage collections (%" G_GINT64_FORMAT
                          " leftovers removed), %" G_GINT64_FORMAT " prunes (%" G_GINT64_FORMAT
                          " entries evicted)\n",
                          total.gcs, total.gc_removed, total.prunes, total.pruned);
  g_string_append_printf (figures,
                          "  problems       corrupted %" G_GINT64_FORMAT
                          ", unexpected errors %" G_GINT64_FORMAT ", warnings %" G_GINT64_FORMAT
                          ", check problems %u, bad worker exits %u\n",
                          total.corrupt, total.errors, total.warnings, r.problems, bad_exits);
  emit (figures);

  {
    gboolean ok = r.problems == 0 && bad_exits == 0 && total.corrupt == 0 && total.errors == 0 &&
                  total.warnings == 0 && total.create_errors == 0 && total.osbuild_tmp_lost == 0 &&
                  total.finished == (gint64) n_jobs;
    munmap (slots, sizeof (Stats) * MAX_SLOTS);
    remove_workdir (work, ok);
    g_print ("race: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
  }
}

/* ------------------------------------------------------------------------ */
/* Verifiers beside the workers (issue 13)                                   */

/* Runs `fscache --cache DIR ARGS… --json --no-progress`; its JSON (NULL,
 * with the reason on stderr, when it printed none) and exit status. */
static JsonObject *
run_tool (const char *cache_dir, const char *const *args, int *out_status)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  JsonNode *root;
  int wait_status = 0;

  g_ptr_array_add (argv, opt_fscache);
  g_ptr_array_add (argv, (char *) "--cache");
  g_ptr_array_add (argv, (char *) cache_dir);
  for (const char *const *a = args; *a != NULL; a++)
    g_ptr_array_add (argv, (char *) *a);
  g_ptr_array_add (argv, (char *) "--json");
  g_ptr_array_add (argv, (char *) "--no-progress");
  g_ptr_array_add (argv, NULL);
  *out_status = -1;
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                     &wait_status, &error))
    {
      g_printerr ("[%d] running %s: %s\n", (int) getpid (), opt_fscache, error->message);
      return NULL;
    }
  *out_status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : 128 + WTERMSIG (wait_status);
  if (!json_parser_load_from_data (parser, out, -1, &error) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_printerr ("[%d] fscache %s: status %d, no JSON: %s\n", (int) getpid (), args[0],
                  *out_status, err);
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static gint64
member_int (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_int (n) : 0;
}

/* The entries of a verify or fsck report that are not intact: every entry
 * of the cache is intact, so each is a false report (printed). */
static gint64
false_entries (JsonObject *report, const char *command)
{
  const char *const members[] = { "entries", "problems" };
  gint64 n = 0;

  for (gsize m = 0; m < G_N_ELEMENTS (members); m++)
    {
      JsonArray *a = json_object_has_member (report, members[m])
                       ? json_object_get_array_member (report, members[m])
                       : NULL;

      for (guint i = 0; a != NULL && i < json_array_get_length (a); i++)
        {
          JsonObject *e = json_array_get_object_element (a, i);
          const char *status = json_object_get_string_member (e, "status");

          if (g_str_equal (status, "intact") || g_str_equal (status, "missing"))
            continue; /* missing: removed by a worker since the list */
          n++;
          g_printerr ("[%d] FALSE REPORT by fscache %s: “%s” %s: %s\n", (int) getpid (), command,
                      json_object_get_string_member (e, "name"), status,
                      json_object_get_null_member (e, "message")
                        ? "-"
                        : json_object_get_string_member (e, "message"));
        }
    }
  return n;
}

/* The tool's verify, fsck and fsck --repair in turn until --seconds are up. */
static int
run_tool_loop (void)
{
  static const char *const verify_args[] = { "verify", NULL };
  static const char *const fsck_args[] = { "fsck", NULL };
  static const char *const repair_args[] = { "fsck", "--repair", NULL };
  static const char *const *const runs[] = { verify_args, fsck_args, repair_args };
  gint64 deadline = g_get_monotonic_time () + (gint64) opt_seconds * G_USEC_PER_SEC;
  Stats *stats;

  if (opt_cache == NULL || opt_stats == NULL || opt_fscache == NULL || opt_slot < 0)
    {
      g_printerr ("toolloop: --cache, --stats, --slot and --fscache are needed\n");
      return 2;
    }
  stats = &map_stats (opt_stats, FALSE)[opt_slot];
  STAT_INC (stats, started);
  for (guint i = 0; g_get_monotonic_time () < deadline; i++)
    {
      const char *const *args = runs[i % G_N_ELEMENTS (runs)];
      g_autoptr (JsonObject) report = NULL;
      gint64 found;
      int status;

      report = run_tool (opt_cache, args, &status);
      STAT_INC (stats, tool_runs);
      STAT_INC (stats, ops);
      if (report == NULL)
        {
          STAT_INC (stats, errors);
          continue;
        }
      found = false_entries (report, args[0]);
      STAT_ADD (stats, false_reports, found);
      STAT_ADD (stats, tool_checked,
                g_str_equal (args[0], "verify")
                  ? (gint64) json_array_get_length (
                      json_object_get_array_member (report, "entries"))
                  : member_int (report, "checked"));
      if (member_int (report, "stale-items") > 0)
        STAT_INC (stats, tool_debris);
      /* Exit 1 only for what was reported: nothing else may fail. */
      if (status != 0 && found == 0 && member_int (report, "stale-items") == 0)
        {
          STAT_INC (stats, errors);
          g_printerr ("[%d] fscache %s%s exited with %d and reported nothing wrong\n",
                      (int) getpid (), args[0], args[1] != NULL ? " --repair" : "", status);
        }
    }
  STAT_INC (stats, finished);
  return 0;
}

static GPid
spawn_tool_loop (const char *cache_dir, const char *stats, int slot)
{
  g_autofree char *slot_s = g_strdup_printf ("%d", slot);
  g_autofree char *seconds_s = g_strdup_printf ("%d", opt_seconds);
  const char *argv[] = { self_exe,    "toolloop",  "--cache", cache_dir,   "--stats",
                         stats,       "--slot",    slot_s,    "--seconds", seconds_s,
                         "--fscache", opt_fscache, NULL };
  pid_t pid;

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    g_error ("fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      execv (self_exe, (char **) argv);
      _exit (127);
    }
  return pid;
}

static int
run_integrity (void)
{
  g_autofree char *work = make_workdir ();
  g_autofree char *cache_dir = g_build_filename (work, "cache", NULL);
  g_autofree char *stats_path = g_build_filename (work, "stats", NULL);
  g_autoptr (GString) figures = g_string_new (NULL);
  guint n_checkers = 2, n_tools = opt_fscache != NULL ? 1 : 0;
  guint n = (guint) opt_procs + n_checkers + n_tools;
  g_autofree GPid *pids = g_new0 (GPid, n);
  Stats *slots, total;
  CheckResult r = { 0 };
  guint bad_exits = 0;
  gint64 final_false = 0;
  int final_status = -1;
  gboolean final_ok = n_tools == 0;
  gint64 t0;
  double secs;

  if (!create_cache (cache_dir, opt_max_size))
    return 1;
  slots = map_stats (stats_path, TRUE);
  g_print ("integrity: %d workers + %u checkers%s × %d s on %s (maximum size %" G_GUINT64_FORMAT
           " bytes, %d keys, seed %" G_GINT64_FORMAT ")\n",
           opt_procs, n_checkers, n_tools > 0 ? " + the fscache tool in a loop" : "", opt_seconds,
           cache_dir, opt_max_size, opt_keys, opt_seed);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      if (i < (guint) opt_procs)
        pids[i] = spawn_worker (cache_dir, stats_path, (int) i, opt_seconds, NULL);
      else if (i < (guint) opt_procs + n_checkers)
        pids[i] = spawn_worker_job (cache_dir, stats_path, (int) i, opt_seconds, NULL, "check");
      else
        pids[i] = spawn_tool_loop (cache_dir, stats_path, (int) i);
    }
  for (guint i = 0; i < n; i++)
    {
      int status;
      char buf[64];
      while (waitpid (pids[i], &status, 0) < 0 && errno == EINTR)
        ;
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        {
          bad_exits++;
          g_printerr ("process %u (pid %d) ended with %s\n", i, (int) pids[i],
                      describe_status (status, buf));
        }
    }
  secs = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  sum_stats (slots, n, &total);

  check_cache (cache_dir, opt_max_size, FALSE, &r);
  /* Idle now: the tool's fsck must find the cache exact. */
  if (n_tools > 0)
    {
      static const char *const args[] = { "fsck", NULL };
      g_autoptr (JsonObject) report = run_tool (cache_dir, args, &final_status);

      if (report != NULL)
        {
          final_false = false_entries (report, "fsck");
          final_ok = final_status == 0 && final_false == 0 &&
                     json_object_get_boolean_member (report, "counter-checked") &&
                     member_int (report, "size-correction") == 0 &&
                     member_int (report, "stale-items") == 0 &&
                     member_int (report, "checked") == (gint64) r.entries;
        }
    }

  print_figures (figures, "== integrity figures", &total, secs);
  g_string_append_printf (figures,
                          "  checkers       %" G_GINT64_FORMAT
                          " entries checked by the library (%" G_GINT64_FORMAT
                          " removed before their check)\n",
                          total.checks, total.check_misses);
  if (n_tools > 0)
    g_string_append_printf (figures,
                            "  fscache tool   %" G_GINT64_FORMAT
                            " runs of verify, fsck, fsck --repair: %" G_GINT64_FORMAT
                            " entries checked; %" G_GINT64_FORMAT " fsck runs saw stale debris\n"
                            "  at the end     fsck of the idle cache: status %d, %s\n",
                            total.tool_runs, total.tool_checked, total.tool_debris, final_status,
                            final_ok ? "the cache is exact" : "PROBLEMS");
  g_string_append_printf (figures,
                          "  FALSE REPORTS  %" G_GINT64_FORMAT
                          "; check problems %u, bad exits %u, %u entries at the end\n",
                          total.false_reports + final_false, r.problems, bad_exits, r.entries);
  emit (figures);

  {
    gboolean ok = r.problems == 0 && bad_exits == 0 && total.corrupt == 0 && total.errors == 0 &&
                  total.warnings == 0 && total.false_reports == 0 && final_ok &&
                  total.finished == (gint64) n && total.checks > 0 && total.stored > 0 &&
                  (n_tools == 0 || total.tool_runs > 0);
    munmap (slots, sizeof (Stats) * MAX_SLOTS);
    remove_workdir (work, ok);
    g_print ("integrity: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
  }
}

/* Keeps the cache open (so that it is never idle) for --seconds. */
static int
run_hold (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = NULL;

  if (opt_cache == NULL)
    {
      g_printerr ("hold: --cache is needed\n");
      return 2;
    }
  cache = fs_cache_new_for_path (APP_ID, opt_cache, NULL, &error);
  if (cache == NULL)
    {
      g_printerr ("hold: %s\n", error->message);
      return 1;
    }
  g_usleep ((gulong) opt_seconds * G_USEC_PER_SEC);
  return 0;
}

static int
run_check (void)
{
  CheckResult r = { 0 };

  if (opt_cache == NULL)
    {
      g_printerr ("check: --cache is needed\n");
      return 2;
    }
  check_cache (opt_cache, opt_max_size, TRUE, &r);
  g_print ("check: %u entries, %" G_GUINT64_FORMAT " bytes accounted, %u problems\n", r.entries,
           r.counter, r.problems);
  return r.problems == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------------ */

static int
env_int (const char *name, int fallback)
{
  const char *v = g_getenv (name);
  return v != NULL && *v != '\0' ? atoi (v) : fallback;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = NULL;
  const char *role;
  GOptionEntry entries[] = {
    { "cache", 0, 0, G_OPTION_ARG_FILENAME, &opt_cache, "Cache directory (worker, check)", "DIR" },
    { "stats", 0, 0, G_OPTION_ARG_FILENAME, &opt_stats, "Shared counters file (worker)", "FILE" },
    { "slot", 0, 0, G_OPTION_ARG_INT, &opt_slot, "Counter slot (worker)", "N" },
    { "procs", 'p', 0, G_OPTION_ARG_INT, &opt_procs, "Worker processes [$FSCACHE_STRESS_PROCS, 8]",
      "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &opt_threads, "Threads per worker [2]", "N" },
    { "seconds", 's', 0, G_OPTION_ARG_INT, &opt_seconds,
      "Duration [$FSCACHE_STRESS_SECONDS, 10; crash: $FSCACHE_CRASH_SECONDS, 24]; 0: until killed (worker)",
      "S" },
    { "keys", 'k', 0, G_OPTION_ARG_INT, &opt_keys, "Number of distinct names [160]", "N" },
    { "max", 'm', 0, G_OPTION_ARG_STRING, &opt_max_str,
      "Maximum size of the cache in bytes [3 MiB]", "BYTES" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &opt_rounds, "Rounds of the crash loop [4]", "N" },
    { "kill-ms", 0, 0, G_OPTION_ARG_INT, &opt_kill_ms, "Mean time between kills in ms [40]", "MS" },
    { "min-kills", 0, 0, G_OPTION_ARG_INT, &opt_min_kills,
      "Fail with fewer kills than this [$FSCACHE_CRASH_MIN_KILLS, 200]", "N" },
    { "reps", 0, 0, G_OPTION_ARG_INT, &opt_reps,
      "Runs per fault point and variant (crashpoints) [$FSCACHE_CRASHPOINT_REPS, 5]", "N" },
    { "points", 0, 0, G_OPTION_ARG_STRING, &opt_points,
      "Comma-separated fault points (crashpoints) [all]", "LIST" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &opt_seed, "Random seed [time]", "N" },
    { "durable", 0, 0, G_OPTION_ARG_NONE, &opt_durable, "Keep the default durable commits (syncs)",
      NULL },
    { "tmpdir", 0, 0, G_OPTION_ARG_FILENAME, &opt_tmpdir, "Where to make the cache [$TMPDIR]",
      "DIR" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep, "Keep the cache directory afterwards", NULL },
    { "hold", 0, 0, G_OPTION_ARG_NONE, &opt_hold,
      "Keep the cache open in the driver while workers run (run)", NULL },
    { "figures", 0, 0, G_OPTION_ARG_FILENAME, &opt_figures, "Also write the figures to FILE",
      "FILE" },
    { "job", 0, 0, G_OPTION_ARG_STRING, &opt_job,
      "One kind of operation only: stage, store, gc, evict, load or check (worker)", "JOB" },
    { "jobs", 0, 0, G_OPTION_ARG_STRING, &opt_jobs,
      "The workers, one job each (race) [" RACE_JOBS "]", "LIST" },
    { "fscache", 0, 0, G_OPTION_ARG_FILENAME, &opt_fscache,
      "The fscache tool, run in a loop beside the workers (integrity, toolloop)", "PATH" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  opt_procs = env_int ("FSCACHE_STRESS_PROCS", opt_procs);
  opt_seconds = -1;
  opt_min_kills = -1;
  opt_seed = g_get_real_time ();
  opt_slot = -1;

  context =
    g_option_context_new ("run|crash|crashpoints|race|integrity|worker|check — stress libfscache");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (argc < 2)
    {
      g_printerr ("usage: %s run|crash|crashpoints|race|worker|check [OPTION…]\n", argv[0]);
      return 2;
    }
  role = argv[1];
  /* Durations: --seconds, else the environment, else 10 s (24 s for the
   * crash loop, which must also reach $FSCACHE_CRASH_MIN_KILLS, 200). */
  if (opt_seconds < 0)
    opt_seconds = g_str_equal (role, "crash") ? env_int ("FSCACHE_CRASH_SECONDS", 24)
                                              : env_int ("FSCACHE_STRESS_SECONDS", 10);
  if (opt_min_kills < 0)
    opt_min_kills = g_str_equal (role, "crash") ? env_int ("FSCACHE_CRASH_MIN_KILLS", 200) : 0;
  if (opt_reps < 0)
    opt_reps = env_int ("FSCACHE_CRASHPOINT_REPS", 5);
  if (opt_max_str != NULL)
    opt_max_size = g_ascii_strtoull (opt_max_str, NULL, 10);
  if (opt_procs < 1 || opt_threads < 1 || opt_keys < 1 || opt_rounds < 1 || opt_reps < 1 ||
      opt_max_size < MIB / 4)
    {
      g_printerr ("bad sizes\n");
      return 2;
    }
  self_exe = g_file_read_link ("/proc/self/exe", NULL);
  if (self_exe == NULL)
    self_exe = g_strdup (argv[0]);
  if (opt_job != NULL && !g_strv_contains (all_jobs, opt_job))
    {
      g_printerr ("unknown job %s\n", opt_job);
      return 2;
    }
  install_log_handler ();

  if (g_str_equal (role, "worker"))
    return run_worker ();
  signal (SIGPIPE, SIG_IGN);
  if (g_str_equal (role, "run"))
    return run_stress ();
  if (g_str_equal (role, "crash"))
    return run_crash ();
  if (g_str_equal (role, "crashpoints"))
    return run_crashpoints ();
  if (g_str_equal (role, "race"))
    return run_race ();
  if (g_str_equal (role, "check"))
    return run_check ();
  if (g_str_equal (role, "hold"))
    return run_hold ();
  if (g_str_equal (role, "integrity"))
    return run_integrity ();
  if (g_str_equal (role, "toolloop"))
    return run_tool_loop ();
  g_printerr ("unknown role %s\n", role);
  return 2;
}

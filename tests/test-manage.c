/* test-manage.c: statistics, pins, pruning by age and count, one entry
 * described
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The statistics are shared by processes (a helper process counts, we read
 * its counts), written without a lock round-trip per operation (with the
 * periodic write switched off, a thousand loads write nothing until the
 * cache is closed), survive a fork without counting twice, and can be
 * zeroed. Pinned entries survive every kind of eviction but a removal by
 * name; their pins go with them, and stale ones with gc. A prune by age or
 * count takes the least recently used entries and names what it skipped.
 * A description reads an entry without touching its lock or its last use.
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs-cache-private.h"
#include "fs-stats-private.h"
#include "fs-test-util.h"

#define ENTRY_BYTES 4096

static FsCacheStats *
get_stats (FsCache *cache)
{
  g_autoptr (GError) error = NULL;
  FsCacheStats *stats = fs_cache_get_stats (cache, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (stats);
  return stats;
}

static void
load_hit (FsCache *cache, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, name, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (entry);
}

static guint
count_shards (const char *cache_dir)
{
  g_autofree char *dir = g_build_filename (cache_dir, "stats", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* ---- statistics ---- */

static void
test_stats_count_everything (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheStats) before = get_stats (fx->cache);
  g_autoptr (FsCacheStats) stats = NULL;
  g_autoptr (FsCacheEntry) exists = NULL;
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status;
  guint64 evicted_bytes = 0;
  guint entries = 0;

  /* Nothing counted yet: no time either. */
  g_assert_cmpuint (fs_cache_stats_get_hits (before), ==, 0);
  g_assert_null (fs_cache_stats_get_since (before));
  g_assert_cmpfloat (fs_cache_stats_get_hit_ratio (before), ==, 0.0);

  fs_test_store_committed (fx->cache, "a", ENTRY_BYTES);
  fs_test_store_committed (fx->cache, "b", ENTRY_BYTES);
  fs_test_store_committed (fx->cache, "c", ENTRY_BYTES);
  exists = fs_test_store_commit (fx->cache, "a", ENTRY_BYTES, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_EXISTS);
  load_hit (fx->cache, "a");
  load_hit (fx->cache, "b");
  load_hit (fx->cache, "b");
  fs_test_assert_miss (fx->cache, "nope");
  g_assert_true (fs_cache_remove (fx->cache, "c", NULL, &error));
  g_assert_no_error (error);
  fs_test_set_last_use (fx->cache_dir, "a", 1000);
  g_assert_true (fs_cache_prune (fx->cache, fs_test_read_object_size (fx->cache_dir, "b"),
                                 FS_CACHE_MAINTENANCE_NONE, &entries, &evicted_bytes, NULL,
                                 &error));
  g_assert_no_error (error);
  g_assert_cmpuint (entries, ==, 1);

  stats = get_stats (fx->cache);
  g_assert_cmpuint (fs_cache_stats_get_hits (stats), ==, 3);
  g_assert_cmpuint (fs_cache_stats_get_misses (stats), ==, 1);
  g_assert_true (fabs (fs_cache_stats_get_hit_ratio (stats) - 0.75) < 1e-9);
  g_assert_cmpuint (fs_cache_stats_get_stored (stats), ==, 3);
  g_assert_cmpuint (fs_cache_stats_get_exists (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_too_large (stats), ==, 0);
  g_assert_cmpuint (fs_cache_stats_get_removed (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_evicted (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_evicted_bytes (stats), ==, evicted_bytes);
  g_assert_cmpuint (fs_cache_stats_get_remote_hits (stats), ==, 0);
  g_assert_nonnull (fs_cache_stats_get_since (stats));
  /* The properties say the same. */
  {
    guint64 hits = 0;
    double ratio = 0;

    g_object_get (stats, "hits", &hits, "hit-ratio", &ratio, NULL);
    g_assert_cmpuint (hits, ==, 3);
    g_assert_true (fabs (ratio - 0.75) < 1e-9);
  }
}

static void
test_stats_too_large (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheStats) stats = NULL;
  FsCacheCommitStatus status;
  g_autoptr (FsCacheEntry) entry = fs_test_store_commit (fx->cache, "big", 4096, &status);

  /* The fixture leaves the maximum size unset: nothing is kept. */
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_TOO_LARGE);
  g_assert_true (fs_cache_entry_is_released (entry));
  stats = get_stats (fx->cache);
  g_assert_cmpuint (fs_cache_stats_get_too_large (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_stored (stats), ==, 0);
}

/* Other processes' counts are summed in, once they wrote them (at the
 * latest when they close the cache). */
static void
test_stats_shared_by_processes (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheStats) stats = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (FsTestHelper) helper =
        fs_test_helper_spawn ("stats", fx->cache_dir, "5", "2", NULL);
      fs_test_helper_assert_line (helper, "ok");
      g_assert_cmpint (fs_test_helper_wait (helper), ==, 0);
    }
  load_hit (fx->cache, "stats-hit");
  stats = get_stats (fx->cache);
  g_assert_cmpuint (fs_cache_stats_get_hits (stats), ==, 3 * 5 + 1);
  g_assert_cmpuint (fs_cache_stats_get_misses (stats), ==, 3 * 2);
  /* One store that stored, two that found it there. */
  g_assert_cmpuint (fs_cache_stats_get_stored (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_exists (stats), ==, 2);
  g_assert_cmpuint (count_shards (fx->cache_dir), >=, 1);
  g_assert_cmpuint (count_shards (fx->cache_dir), <=, FS_STATS_SHARDS);
}

/* With the periodic write off, loads write nothing: they only count in
 * memory. The close writes them all, once. */
static void
test_stats_no_write_per_load (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (FsCache) other = NULL;
  g_autoptr (FsCacheStats) stats = NULL;
  g_autofree char *dir = g_build_filename (fx->cache_dir, "stats", NULL);

  fs_test_store_committed (fx->cache, "a", ENTRY_BYTES);
  g_clear_object (&fx->cache); /* writes the store */
  fs_test_rm_rf (dir);

  other = fs_test_open_cache (fx->cache_dir);
  _fs_stats_set_interval (_fs_cache_get_store (other)->stats, G_MAXINT64);
  for (guint i = 0; i < 1000; i++)
    load_hit (other, "a");
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  fs_cache_close (other);
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));

  fx->cache = fs_test_open_cache (fx->cache_dir);
  stats = get_stats (fx->cache);
  g_assert_cmpuint (fs_cache_stats_get_hits (stats), ==, 1000);
}

/* With an interval of 0, an operation writes the counts (the first few
 * after a write look at the clock): a process that never closes the cache
 * still gets counted. */
static void
test_stats_written_while_open (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (FsCache) reader = NULL;
  g_autoptr (FsCacheStats) stats = NULL;

  fs_test_store_committed (fx->cache, "a", ENTRY_BYTES);
  _fs_stats_set_interval (_fs_cache_get_store (fx->cache)->stats, 0);
  load_hit (fx->cache, "a");

  /* Another open cache reads what this one wrote, without it closing. */
  reader = fs_test_open_cache (fx->cache_dir);
  stats = get_stats (reader);
  g_assert_cmpuint (fs_cache_stats_get_hits (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_stored (stats), ==, 1);
}

static void
test_stats_zero (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheStats) stats = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDateTime) before = NULL;

  fs_test_store_committed (fx->cache, "a", ENTRY_BYTES);
  load_hit (fx->cache, "a");
  g_clear_object (&stats);
  stats = get_stats (fx->cache);
  g_assert_cmpuint (fs_cache_stats_get_hits (stats), ==, 1);

  before = g_date_time_new_from_unix_utc (g_get_real_time () / G_USEC_PER_SEC);
  g_assert_true (fs_cache_zero_stats (fx->cache, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&stats);
  stats = get_stats (fx->cache);
  g_assert_cmpuint (fs_cache_stats_get_hits (stats), ==, 0);
  g_assert_cmpuint (fs_cache_stats_get_stored (stats), ==, 0);
  g_assert_nonnull (fs_cache_stats_get_since (stats));
  g_assert_cmpint (g_date_time_compare (fs_cache_stats_get_since (stats), before), >=, 0);
  g_assert_cmpuint (count_shards (fx->cache_dir), ==, FS_STATS_SHARDS);

  load_hit (fx->cache, "a");
  g_clear_object (&stats);
  stats = get_stats (fx->cache);
  g_assert_cmpuint (fs_cache_stats_get_hits (stats), ==, 1);
}

/* A shard damaged by hand: what can't be read counts 0, a newer version's
 * counter is kept, and the next write repairs the rest. */
static void
test_stats_damaged_shard (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *dir = g_build_filename (fx->cache_dir, "stats", NULL);
  g_autofree char *shard = NULL;
  g_autofree char *text = NULL;
  g_autoptr (FsCacheStats) stats = NULL;

  fs_test_store_committed (fx->cache, "a", ENTRY_BYTES);
  g_clear_object (&fx->cache);
  /* Every shard, so that whichever is ours is the damaged one. */
  for (guint i = 0; i < FS_STATS_SHARDS; i++)
    {
      g_autofree char *name = g_strdup_printf ("%02u", i);
      g_clear_pointer (&shard, g_free);
      shard = g_build_filename (dir, name, NULL);
      fs_test_write_text (
        shard,
        i == 0 ? "hits 7\nmisses x\nfuture-counter 42\nstored 99999999999999999999999\n" : "", -1);
    }
  fx->cache = fs_test_open_cache (fx->cache_dir);
  stats = get_stats (fx->cache);
  g_assert_cmpuint (fs_cache_stats_get_hits (stats), ==, 7);
  g_assert_cmpuint (fs_cache_stats_get_misses (stats), ==, 0);
  g_assert_cmpuint (fs_cache_stats_get_stored (stats), ==, 0);

  /* What the next write of shard 00 keeps: the counts it could read, the
   * newer version's counter, a fixed-width text that parses back. */
  {
    guint64 values[FS_STAT_N] = { 0 }, again[FS_STAT_N] = { 0 };
    gint64 since = 0;
    g_autoptr (GString) other = g_string_new (NULL);
    g_autoptr (GString) other_again = g_string_new (NULL);
    g_autofree char *formatted = NULL;
    gsize len;

    g_clear_pointer (&shard, g_free);
    shard = g_build_filename (dir, "00", NULL);
    g_assert_true (g_file_get_contents (shard, &text, &len, NULL));
    _fs_stats_parse (text, len, values, &since, other);
    g_assert_cmpint (since, ==, 0);
    g_assert_cmpuint (values[FS_STAT_HIT], ==, 7);
    g_assert_true (g_str_has_prefix (other->str, "future-counter "));
    g_assert_true (g_str_has_suffix (other->str, " 42\n"));
    formatted = _fs_stats_format (values, 5, other->str, &len);
    _fs_stats_parse (formatted, len, again, &since, other_again);
    g_assert_cmpint (since, ==, 5);
    g_assert_cmpmem (values, sizeof values, again, sizeof again);
    g_assert_cmpstr (other_again->str, ==, other->str);
  }
}

/* A forked child starts from zero: what the parent counted before the fork
 * is the parent's to write. */
static void
test_stats_fork (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheStats) stats = NULL;
  FsStore *store;
  int status = 0, answer[2];
  char said[2];
  pid_t pid;

  fs_test_store_committed (fx->cache, "a", ENTRY_BYTES);
  store = _fs_cache_get_store (fx->cache);
  g_assert_true (_fs_stats_flush (store->stats, NULL));
  _fs_stats_set_interval (store->stats, G_MAXINT64);
  for (guint i = 0; i < 3; i++)
    load_hit (fx->cache, "a");

  /* The child answers through a pipe, not its exit status: under valgrind
   * a forked child's exit reports the parent's live memory as its own. */
  g_assert_cmpint (pipe (answer), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      FsCacheEntry *entry = fs_cache_load (fx->cache, "a", NULL, NULL);
      gboolean ok = entry != NULL;

      g_clear_object (&entry);
      ok = _fs_stats_flush (store->stats, NULL) && ok;
      if (write (answer[1], ok ? "ok" : "no", 2) != 2)
        _exit (2);
      _exit (0);
    }
  close (answer[1]);
  g_assert_cmpint (read (answer[0], said, sizeof said), ==, 2);
  close (answer[0]);
  g_assert_cmpmem (said, 2, "ok", 2);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));

  stats = get_stats (fx->cache);
  g_assert_cmpuint (fs_cache_stats_get_hits (stats), ==, 3 + 1);
}

/* ---- pins ---- */

static gboolean
pin_file_exists (FsTestFixture *fx, const char *name)
{
  g_autofree char *path = g_build_filename (fx->cache_dir, "pins", name, NULL);

  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static void
pin (FsCache *cache, const char *name, gboolean pinned)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (fs_cache_pin (cache, name, pinned, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
listed_pinned (FsCache *cache, const char *name)
{
  g_autoptr (GListModel) list = fs_cache_list (cache, NULL, NULL);

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);
      if (g_str_equal (fs_cache_item_get_name (item), name))
        return fs_cache_item_get_pinned (item);
    }
  g_assert_not_reached ();
}

static void
test_pin_never_evicted (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint64 one;
  guint entries = 0;

  fs_test_store_committed (fx->cache, "keep", ENTRY_BYTES);
  one = fs_test_read_object_size (fx->cache_dir, "keep");
  fs_test_set_last_use (fx->cache_dir, "keep", 1000); /* the least recently used */
  pin (fx->cache, "keep", TRUE);
  g_assert_true (pin_file_exists (fx, "keep"));
  g_assert_true (listed_pinned (fx->cache, "keep"));

  /* Commit-time eviction: a cache of three entries, a fourth and fifth
   * come; the pinned one, least recently used, stays. */
  fs_test_set_maximum_size (fx->cache, 3 * one);
  fs_test_store_committed (fx->cache, "b", ENTRY_BYTES);
  fs_test_store_committed (fx->cache, "c", ENTRY_BYTES);
  fs_test_store_committed (fx->cache, "d", ENTRY_BYTES);
  fs_test_store_committed (fx->cache, "e", ENTRY_BYTES);
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "keep"));
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "e"));
  g_assert_false (fs_test_entry_is_present (fx->cache_dir, "b"));

  /* A lower maximum trims everything but it. */
  fs_test_set_maximum_size (fx->cache, one);
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "keep"));
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);

  /* Nor does a prune to 0 take it. */
  fs_test_set_maximum_size (fx->cache, FS_CACHE_SIZE_UNLIMITED);
  fs_test_store_committed (fx->cache, "f", ENTRY_BYTES);
  g_assert_true (
    fs_cache_prune (fx->cache, 0, FS_CACHE_MAINTENANCE_NONE, &entries, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (entries, ==, 1);
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "keep"));
  fs_test_assert_consistent (fx->cache_dir);

  /* Removed by name, it goes with its pin. */
  g_assert_true (fs_cache_remove (fx->cache, "keep", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (pin_file_exists (fx, "keep"));
}

static void
test_pin_unpin (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint entries = 0;

  g_assert_false (fs_cache_pin (fx->cache, "absent", TRUE, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  g_clear_error (&error);
  g_assert_false (fs_cache_pin (fx->cache, "uuid-x", TRUE, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INVALID_NAME);
  g_clear_error (&error);
  /* Unpinning what is not pinned, or not there, is no error. */
  pin (fx->cache, "absent", FALSE);

  fs_test_store_committed (fx->cache, "a", ENTRY_BYTES);
  pin (fx->cache, "a", TRUE);
  pin (fx->cache, "a", TRUE);
  g_assert_true (listed_pinned (fx->cache, "a"));
  pin (fx->cache, "a", FALSE);
  g_assert_false (listed_pinned (fx->cache, "a"));
  g_assert_false (pin_file_exists (fx, "a"));
  g_assert_true (
    fs_cache_prune (fx->cache, 0, FS_CACHE_MAINTENANCE_NONE, &entries, NULL, NULL, &error));
  g_assert_cmpuint (entries, ==, 1);
}

/* osbuild does not know pins: an entry it evicts leaves a stale pin, which
 * gc removes (and a dry run counts). */
static void
test_pin_stale_swept_by_gc (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *entry_dir = g_build_filename (fx->cache_dir, "objects", "a", NULL);
  g_autoptr (GError) error = NULL;
  guint removed = 0;

  fs_test_store_committed (fx->cache, "a", ENTRY_BYTES);
  fs_test_store_committed (fx->cache, "b", ENTRY_BYTES);
  pin (fx->cache, "a", TRUE);
  pin (fx->cache, "b", TRUE);
  fs_test_rm_rf (entry_dir);

  g_assert_true (fs_cache_collect_garbage (fx->cache, FS_CACHE_MAINTENANCE_DRY_RUN, &removed, NULL,
                                           NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (removed, ==, 1);
  g_assert_true (pin_file_exists (fx, "a"));
  g_assert_true (fs_cache_collect_garbage (fx->cache, FS_CACHE_MAINTENANCE_NONE, &removed, NULL,
                                           NULL, NULL, &error));
  g_assert_cmpuint (removed, ==, 1);
  g_assert_false (pin_file_exists (fx, "a"));
  g_assert_true (pin_file_exists (fx, "b"));
}

/* ---- prune by age and count ---- */

static void
store_aged (FsTestFixture *fx, const char *name, time_t last_use)
{
  fs_test_store_committed (fx->cache, name, ENTRY_BYTES);
  fs_test_set_last_use (fx->cache_dir, name, last_use);
}

static char *
outcomes (GListModel *list)
{
  GString *s = g_string_new (NULL);
  g_autoptr (GEnumClass) klass = g_type_class_ref (FS_TYPE_CACHE_PRUNE_OUTCOME);

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);
      g_string_append_printf (s, "%s%s:%s", i > 0 ? " " : "", fs_cache_item_get_name (item),
                              g_enum_get_value (klass, fs_cache_item_get_prune_outcome (item))
                                ->value_nick);
    }
  return g_string_free (s, FALSE);
}

static void
test_prune_older_than (FsTestFixture *fx, gconstpointer data)
{
  time_t now = (time_t) (g_get_real_time () / G_USEC_PER_SEC);
  g_autoptr (GListModel) dry = NULL;
  g_autoptr (GListModel) done = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dry_text = NULL;
  g_autofree char *done_text = NULL;

  store_aged (fx, "ten-days", now - 10 * 24 * 3600);
  store_aged (fx, "eight-days-pinned", now - 8 * 24 * 3600);
  store_aged (fx, "nine-days", now - 9 * 24 * 3600);
  store_aged (fx, "one-day", now - 24 * 3600);
  store_aged (fx, "now", now);
  pin (fx->cache, "eight-days-pinned", TRUE);

  dry = fs_cache_prune_full (fx->cache, FS_CACHE_SIZE_UNLIMITED, -1, 7 * G_TIME_SPAN_DAY,
                             FS_CACHE_MAINTENANCE_DRY_RUN, NULL, &error);
  g_assert_no_error (error);
  dry_text = outcomes (dry);
  g_assert_cmpstr (dry_text, ==,
                   "ten-days:removed nine-days:removed eight-days-pinned:skipped-pinned");
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 5);

  done = fs_cache_prune_full (fx->cache, FS_CACHE_SIZE_UNLIMITED, -1, 7 * G_TIME_SPAN_DAY,
                              FS_CACHE_MAINTENANCE_NONE, NULL, &error);
  g_assert_no_error (error);
  done_text = outcomes (done);
  g_assert_cmpstr (done_text, ==, dry_text);
  g_assert_false (fs_test_entry_is_present (fx->cache_dir, "ten-days"));
  g_assert_false (fs_test_entry_is_present (fx->cache_dir, "nine-days"));
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "eight-days-pinned"));
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "one-day"));
  fs_test_assert_consistent (fx->cache_dir);
}

static void
test_prune_max_entries_and_in_use (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (FsTestHelper) reader = NULL;
  g_autoptr (GListModel) list = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("e%u", i);
      store_aged (fx, name, 1000 + i);
    }
  /* e1 is loaded by another process: skipped, said so. */
  reader = fs_test_helper_spawn ("load", fx->cache_dir, "e1", NULL);
  fs_test_helper_assert_line (reader, "hit");
  fs_test_set_last_use (fx->cache_dir, "e1", 1001); /* the load made it the newest */

  list = fs_cache_prune_full (fx->cache, FS_CACHE_SIZE_UNLIMITED, 2, 0, FS_CACHE_MAINTENANCE_NONE,
                              NULL, &error);
  g_assert_no_error (error);
  text = outcomes (list);
  g_assert_cmpstr (text, ==, "e0:removed e1:skipped-in-use e2:removed e3:removed");
  {
    g_autoptr (FsCacheItem) skipped = g_list_model_get_item (list, 1);
    g_assert_true (fs_cache_item_get_in_use (skipped));
    g_assert_false (fs_cache_item_get_pinned (skipped));
  }
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 2);
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "e1"));
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "e4"));
  fs_test_helper_close_stdin (reader);
  fs_test_helper_assert_line (reader, "released");

  /* All of them: target 0. */
  g_clear_object (&list);
  list = fs_cache_prune_full (fx->cache, 0, -1, 0, FS_CACHE_MAINTENANCE_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 2);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 0);
  fs_test_assert_consistent (fx->cache_dir);
}

/* ---- one entry described ---- */

static void
test_describe (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *lock = g_build_filename (fx->cache_dir, "objects", "a", "object.lock", NULL);
  g_autofree char *info = g_build_filename (fx->cache_dir, "objects", "a", "object.info", NULL);
  g_autofree char *manifest =
    g_build_filename (fx->cache_dir, "objects", "a", "object.manifest", NULL);
  g_autoptr (FsCacheItem) item = NULL;
  g_autoptr (FsCacheStats) stats = NULL;
  g_autoptr (FsTestHelper) reader = NULL;
  g_autoptr (GError) error = NULL;
  struct stat before, after;
  const char *digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  g_autofree char *with_digest = NULL;

  item = fs_cache_describe (fx->cache, "absent", NULL, &error);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  g_assert_null (item);
  g_clear_error (&error);

  fs_test_store_committed (fx->cache, "a", ENTRY_BYTES);
  fs_test_set_last_use (fx->cache_dir, "a", 1000000);
  g_assert_cmpint (stat (lock, &before), ==, 0);
  item = fs_cache_describe (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fs_cache_item_get_name (item), ==, "a");
  g_assert_cmpuint (fs_cache_item_get_size (item), ==,
                    fs_test_read_object_size (fx->cache_dir, "a"));
  g_assert_cmpint (g_date_time_to_unix (fs_cache_item_get_last_used (item)), ==, 1000000);
  g_assert_nonnull (fs_cache_item_get_created (item));
  g_assert_cmpstr (fs_cache_item_get_creation_boot_id (item), ==, fs_cache_get_boot_id (fx->cache));
  g_assert_false (fs_cache_item_get_pinned (item));
  g_assert_false (fs_cache_item_get_in_use (item));
  /* Every commit writes a manifest and names its digest in object.info. */
  g_assert_true (fs_cache_item_get_has_manifest (item));
  g_assert_cmpuint (strlen (fs_cache_item_get_tree_digest (item)), ==, 64);
  /* A look, not a use, and not counted. */
  g_assert_cmpint (stat (lock, &after), ==, 0);
  g_assert_cmpint (after.st_atim.tv_sec, ==, before.st_atim.tv_sec);
  stats = get_stats (fx->cache);
  g_assert_cmpuint (fs_cache_stats_get_hits (stats) + fs_cache_stats_get_misses (stats), ==, 0);

  /* An entry without a manifest (osbuild's, or an older libfscache's). */
  g_assert_cmpint (unlink (manifest), ==, 0);
  with_digest = g_strdup_printf ("{\"creation-boot-id\": \"%s\", \"size\": %" G_GUINT64_FORMAT "}",
                                 fs_cache_get_boot_id (fx->cache),
                                 fs_test_read_object_size (fx->cache_dir, "a"));
  fs_test_write_text (info, with_digest, -1);
  g_clear_object (&item);
  item = fs_cache_describe (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  g_assert_false (fs_cache_item_get_has_manifest (item));
  g_assert_null (fs_cache_item_get_tree_digest (item));
  g_clear_pointer (&with_digest, g_free);

  /* In use by another process; pinned; a manifest and a tree digest (what
   * the integrity tier writes). */
  reader = fs_test_helper_spawn ("load", fx->cache_dir, "a", NULL);
  fs_test_helper_assert_line (reader, "hit");
  pin (fx->cache, "a", TRUE);
  fs_test_write_text (manifest, "", 0);
  with_digest = g_strdup_printf ("{\"creation-boot-id\": \"%s\", \"size\": %" G_GUINT64_FORMAT
                                 ", \"fscache-tree-digest\": \"%s\"}",
                                 fs_cache_get_boot_id (fx->cache),
                                 fs_test_read_object_size (fx->cache_dir, "a"), digest);
  fs_test_write_text (info, with_digest, -1);
  g_clear_object (&item);
  item = fs_cache_describe (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (fs_cache_item_get_in_use (item));
  g_assert_true (fs_cache_item_get_pinned (item));
  g_assert_true (fs_cache_item_get_has_manifest (item));
  g_assert_cmpstr (fs_cache_item_get_tree_digest (item), ==, digest);

  fs_test_helper_close_stdin (reader);
  fs_test_helper_assert_line (reader, "released");
  g_clear_object (&item);
  item = fs_cache_describe (fx->cache, "a", NULL, &error);
  g_assert_false (fs_cache_item_get_in_use (item));
}

/* ---- the async pairs ---- */

static void
on_result (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
test_async (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  GAsyncResult *result = NULL;
  FsCacheStats *stats;
  FsCacheItem *item;
  GListModel *list;

  fs_test_store_committed (fx->cache, "a", ENTRY_BYTES);
  fs_test_store_committed (fx->cache, "b", ENTRY_BYTES);

  fs_cache_pin_async (fx->cache, "a", TRUE, G_PRIORITY_DEFAULT, NULL, on_result, &result);
  g_assert_true (fs_cache_pin_finish (fx->cache, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  fs_cache_describe_async (fx->cache, "a", G_PRIORITY_DEFAULT, NULL, on_result, &result);
  item = fs_cache_describe_finish (fx->cache, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_true (fs_cache_item_get_pinned (item));
  g_object_unref (item);
  g_clear_object (&result);

  fs_cache_prune_full_async (fx->cache, 0, -1, 0, FS_CACHE_MAINTENANCE_NONE, G_PRIORITY_DEFAULT,
                             NULL, on_result, &result);
  list = fs_cache_prune_full_finish (fx->cache, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 2);
  g_object_unref (list);
  g_clear_object (&result);
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "a"));
  g_assert_false (fs_test_entry_is_present (fx->cache_dir, "b"));

  fs_cache_get_stats_async (fx->cache, G_PRIORITY_DEFAULT, NULL, on_result, &result);
  stats = fs_cache_get_stats_finish (fx->cache, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fs_cache_stats_get_evicted (stats), ==, 1);
  g_object_unref (stats);
  g_clear_object (&result);

  fs_cache_zero_stats_async (fx->cache, G_PRIORITY_DEFAULT, NULL, on_result, &result);
  g_assert_true (fs_cache_zero_stats_finish (fx->cache, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, setup, func) \
  g_test_add (path, FsTestFixture, NULL, setup, func, fs_test_fixture_teardown)

  ADD ("/stats/count-everything", fs_test_fixture_setup_unlimited, test_stats_count_everything);
  ADD ("/stats/too-large", fs_test_fixture_setup_cache, test_stats_too_large);
  ADD ("/stats/shared-by-processes", fs_test_fixture_setup_unlimited,
       test_stats_shared_by_processes);
  ADD ("/stats/no-write-per-load", fs_test_fixture_setup_unlimited, test_stats_no_write_per_load);
  ADD ("/stats/written-while-open", fs_test_fixture_setup_unlimited, test_stats_written_while_open);
  ADD ("/stats/zero", fs_test_fixture_setup_unlimited, test_stats_zero);
  ADD ("/stats/damaged-shard", fs_test_fixture_setup_unlimited, test_stats_damaged_shard);
  ADD ("/stats/fork", fs_test_fixture_setup_unlimited, test_stats_fork);
  ADD ("/pin/never-evicted", fs_test_fixture_setup_unlimited, test_pin_never_evicted);
  ADD ("/pin/unpin", fs_test_fixture_setup_unlimited, test_pin_unpin);
  ADD ("/pin/stale-swept-by-gc", fs_test_fixture_setup_unlimited, test_pin_stale_swept_by_gc);
  ADD ("/prune/older-than", fs_test_fixture_setup_unlimited, test_prune_older_than);
  ADD ("/prune/max-entries-and-in-use", fs_test_fixture_setup_unlimited,
       test_prune_max_entries_and_in_use);
  ADD ("/describe", fs_test_fixture_setup_unlimited, test_describe);
  ADD ("/async", fs_test_fixture_setup_unlimited, test_async);
#undef ADD

  return g_test_run ();
}

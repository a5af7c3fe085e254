/* test-evict.c: eviction, listing, removal and pruning (DESIGN §5.2, §5.4,
 * §5.7; issue 4)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Guarantees checked here:
 *   §5.2  an entry that is loaded (read-locked) is never evicted or removed
 *   §5.4  accounting is exact: cache.size == Σ object.info sizes when idle,
 *         and evicting N entries costs one accounting update
 *   §5.7  eviction is coordinated: least recently used first, down to the
 *         low watermark, entries being read are skipped; an entry larger
 *         than the maximum is refused at once (TOO_LARGE)
 *   §5.1  readers never see a partial entry (the concurrent writers check
 *         the content of every entry they load)
 *   §5.3  no uuid-* is left behind
 *
 * Other processes are tests/fs-test-helper, run for real.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-test-content.h"
#include "fs-test-util.h"

/* Bytes of data/file of the standard entry: with data/ and data/name it takes
 * a whole number of blocks, the same for every entry (checked). */
#define ENTRY_BYTES 60000

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static FsCacheCommitStatus
store_named (FsCache *cache, const char *name, guint64 n_bytes, guint64 *out_size)
{
  g_autoptr (FsCacheEntry) entry = fs_test_store_content (cache, name, n_bytes);
  FsCacheCommitStatus status;

  if (out_size != NULL)
    *out_size = fs_test_tree_space (fs_cache_entry_get_path (entry));
  status = fs_test_commit (entry);
  if (status == FS_CACHE_COMMIT_STORED && out_size != NULL)
    g_assert_cmpuint (fs_cache_entry_get_size (entry), ==, *out_size);
  fs_cache_entry_release (entry);
  return status;
}

/* Loads @name (a hit is required) and checks its whole content. */
static void
assert_loads_whole (FsCache *cache, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, name, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (entry);
  g_assert_true (fs_test_content_check (fs_cache_entry_get_path (entry), name, &error));
  g_assert_no_error (error);
}

static gint64
lock_atime_usec (FsTestFixture *fx, const char *name)
{
  g_autofree char *path = g_build_filename (fx->cache_dir, "objects", name, "object.lock", NULL);
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  return (gint64) st.st_atim.tv_sec * G_USEC_PER_SEC + st.st_atim.tv_nsec / 1000;
}

/* Marks @name as used now (a load, released at once). The pause first
 * keeps the last-use times of successive uses apart (file times move in
 * clock ticks of a few milliseconds). */
static void
use (FsTestFixture *fx, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;

  g_usleep (15000);
  entry = fs_cache_load (fx->cache, name, NULL, &error);
  g_assert_no_error (error);
  fs_cache_entry_release (entry);
}

/* §5.4 + §5.3: exact accounting, nothing left over anywhere. */
static void
assert_clean (FsTestFixture *fx)
{
  fs_test_assert_consistent (fx->cache_dir);
  g_assert_cmpuint (fs_test_count_journal_debris (fx->cache_dir), ==, 0);
}

/* Names, sizes and last uses of the committed entries, one per line. */
static char *
describe_listing (FsTestFixture *fx)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) list = fs_cache_list (fx->cache, NULL, &error);
  GString *text = g_string_new (NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);
      g_autofree char *when = g_date_time_format_iso8601 (fs_cache_item_get_last_used (item));

      g_string_append_printf (text, "%s %" G_GUINT64_FORMAT " %s\n", fs_cache_item_get_name (item),
                              fs_cache_item_get_size (item), when);
    }
  return g_string_free (text, FALSE);
}

/* An LRU population: entries e0…e(n-1) of the same size, then used in the
 * order of @order (so order[0] is the least recently used). Returns the
 * size of one entry. */
static guint64
populate_lru (FsTestFixture *fx, guint n, const guint *order)
{
  guint64 size = 0;
  gint64 prev = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("e%u", i);
      guint64 s;

      g_assert_cmpint (store_named (fx->cache, name, ENTRY_BYTES, &s), ==, FS_CACHE_COMMIT_STORED);
      if (i == 0)
        size = s;
      g_assert_cmpuint (s, ==, size);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("e%u", order[i]);
      gint64 t;

      use (fx, name);
      t = lock_atime_usec (fx, name);
      /* precondition of every LRU assertion: distinct, increasing uses */
      g_assert_cmpint (t, >, prev);
      prev = t;
    }
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, n * size);
  return size;
}

static const guint lru_order[10] = { 3, 7, 1, 9, 0, 5, 2, 8, 4, 6 };

/* Entries of lru_order[0 .. k-1] are gone, the others are there, whole. */
static void
assert_lru_evicted (FsTestFixture *fx, guint k)
{
  for (guint i = 0; i < G_N_ELEMENTS (lru_order); i++)
    {
      g_autofree char *name = g_strdup_printf ("e%u", lru_order[i]);

      g_test_message ("%s (LRU rank %u): %s", name, i,
                      fs_test_entry_is_present (fx->cache_dir, name) ? "kept" : "evicted");
      if (i < k)
        fs_test_assert_miss (fx->cache, name);
      else
        g_assert_true (fs_test_entry_is_present (fx->cache_dir, name));
    }
  /* loads last: a load marks the entry used */
  for (guint i = k; i < G_N_ELEMENTS (lru_order); i++)
    {
      g_autofree char *name = g_strdup_printf ("e%u", lru_order[i]);
      assert_loads_whole (fx->cache, name);
    }
}

static guint64
low_watermark_bytes (guint64 maximum, guint percent)
{
  return maximum * percent / 100; /* small numbers here: no overflow */
}

/* ------------------------------------------------------------------------ */
/* LRU order and watermark (§5.7)                                            */

static void
check_lru_eviction (FsTestFixture *fx, guint percent)
{
  guint64 size, maximum, low, used;
  guint k;

  size = populate_lru (fx, 10, lru_order);
  maximum = 10 * size + size / 2; /* the 11th entry does not fit */
  fs_test_set_maximum_size (fx->cache, maximum);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 10); /* raising trims nothing */

  if (percent != 0)
    {
      g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
      g_autoptr (GError) error = NULL;

      fs_cache_info_set_low_watermark (info, percent);
      g_assert_true (fs_cache_set_info (fx->cache, info, NULL, &error));
      g_assert_no_error (error);
      /* stored in cache.info, for every process */
      {
        g_autoptr (FsCache) other = fs_test_open_cache (fx->cache_dir);
        g_autoptr (FsCacheInfo) other_info = fs_test_dup_info (other);

        g_assert_true (fs_cache_info_has_low_watermark (other_info));
        g_assert_cmpuint (fs_cache_info_get_low_watermark (other_info), ==, percent);
      }
    }
  else
    {
      g_autoptr (FsCacheInfo) info = fs_test_dup_info (fx->cache);

      percent = fs_cache_info_get_low_watermark (info);
      g_assert_cmpuint (percent, ==, FS_CACHE_DEFAULT_LOW_WATERMARK);
      g_assert_cmpuint (percent, ==, 80);
    }
  low = low_watermark_bytes (maximum, percent);

  /* The fewest least recently used entries that bring the cache, new entry
   * included, down to the low watermark. */
  for (k = 0; k <= 10; k++)
    if ((10 - k) * size + size <= low)
      break;
  g_assert_cmpuint (k, >=, 2);
  g_test_message ("maximum %" G_GUINT64_FORMAT ", low watermark %u%% = %" G_GUINT64_FORMAT
                  ", entry %" G_GUINT64_FORMAT ": expect %u evictions",
                  maximum, percent, low, size, k);

  g_assert_cmpint (store_named (fx->cache, "new", ENTRY_BYTES, NULL), ==, FS_CACHE_COMMIT_STORED);
  assert_lru_evicted (fx, k);
  assert_loads_whole (fx->cache, "new");
  used = fs_test_read_cache_size (fx->cache_dir);
  g_assert_cmpuint (used, ==, (10 - k + 1) * size);
  g_assert_cmpuint (used, <=, low);
  assert_clean (fx);

  /* Below the watermark the next stores fit without evicting anything. */
  for (guint i = 0; (10 - k + 2 + i) * size <= maximum; i++)
    {
      g_autofree char *name = g_strdup_printf ("more%u", i);
      guint before = fs_test_count_objects (fx->cache_dir);

      g_assert_cmpint (store_named (fx->cache, name, ENTRY_BYTES, NULL), ==,
                       FS_CACHE_COMMIT_STORED);
      g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, before + 1);
    }
  assert_clean (fx);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), <=, maximum);
}

static void
test_lru_default_watermark (FsTestFixture *fx, gconstpointer user_data)
{
  check_lru_eviction (fx, 0);
}

static void
test_lru_configured_watermark (FsTestFixture *fx, gconstpointer user_data)
{
  check_lru_eviction (fx, 50);
}

/* §5.2 + §5.7: entries being read are skipped, here and in other processes,
 * even when they are the least recently used; when everything is held,
 * the commit gets NO_SPACE and nothing is evicted. */
static void
test_loaded_never_evicted (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) held_here = NULL;
  g_autoptr (FsTestHelper) reader = NULL;
  g_autoptr (GError) error = NULL;
  guint64 size, maximum, low, used;
  guint k;

  size = populate_lru (fx, 10, lru_order);
  maximum = 10 * size + size / 2;
  fs_test_set_maximum_size (fx->cache, maximum);
  low = low_watermark_bytes (maximum, FS_CACHE_DEFAULT_LOW_WATERMARK);
  for (k = 0; (10 - k) * size + size > low; k++)
    ;

  /* The two least recently used, held: one by us, one by another process.
   * Their last use stays the oldest (a reader that has been at it for a
   * long time). */
  held_here = fs_cache_load (fx->cache, "e3", NULL, &error);
  g_assert_no_error (error);
  reader = fs_test_helper_spawn ("hold", fx->cache_dir, "e7", NULL);
  fs_test_helper_assert_line (reader, "ok");
  {
    /* put their last use back where it was: before every other use */
    struct timespec times[2] = { { 1000, 0 }, { 1000, 0 } };
    for (guint i = 0; i < 2; i++)
      {
        g_autofree char *lock =
          g_build_filename (fx->cache_dir, "objects", i ? "e7" : "e3", "object.lock", NULL);
        g_assert_cmpint (utimensat (AT_FDCWD, lock, times, 0), ==, 0);
      }
  }

  g_assert_cmpint (store_named (fx->cache, "new", ENTRY_BYTES, NULL), ==, FS_CACHE_COMMIT_STORED);
  /* e3 and e7 stay; the k least recently used of the others go */
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "e3"));
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "e7"));
  for (guint i = 2; i < 10; i++)
    {
      g_autofree char *name = g_strdup_printf ("e%u", lru_order[i]);
      g_assert_true (fs_test_entry_is_present (fx->cache_dir, name) == (i >= 2 + k));
    }
  used = fs_test_read_cache_size (fx->cache_dir);
  g_assert_cmpuint (used, <=, low);
  assert_clean (fx);

  /* Now hold everything: a commit that does not fit can't evict anything. */
  {
    g_autoptr (FsTestHelper) all = NULL;
    guint64 big_bytes;
    guint n_before = fs_test_count_objects (fx->cache_dir);

    all = fs_test_helper_spawn ("hold", fx->cache_dir, "--all", NULL);
    fs_test_helper_assert_line (all, "ok");

    used = fs_test_read_cache_size (fx->cache_dir);
    big_bytes = maximum - used + size; /* fits under the maximum, not beside the rest */
    g_assert_cmpint (store_named (fx->cache, "big", big_bytes - 3 * 4096, NULL), ==,
                     FS_CACHE_COMMIT_NO_SPACE);
    g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, n_before);
    g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, used);
    assert_clean (fx);
    g_assert_cmpint (fs_test_helper_wait (all), ==, 0);
  }

  g_assert_cmpint (fs_test_helper_wait (reader), ==, 0);
}

/* §5.7: larger than the maximum: refused at once, nothing evicted. */
static void
test_too_large (FsTestFixture *fx, gconstpointer user_data)
{
  guint64 size, maximum, used;

  size = populate_lru (fx, 10, lru_order);
  maximum = 10 * size;
  fs_test_set_maximum_size (fx->cache, maximum);
  used = fs_test_read_cache_size (fx->cache_dir);
  g_assert_cmpuint (used, ==, maximum); /* full */

  g_assert_cmpint (store_named (fx->cache, "huge", maximum + 1, NULL), ==,
                   FS_CACHE_COMMIT_TOO_LARGE);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 10);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, used);
  fs_test_assert_miss (fx->cache, "huge");
  assert_clean (fx);

  /* An entry of exactly the maximum is not too large: it evicts. */
  {
    g_autoptr (FsCacheEntry) entry = NULL;
    g_autoptr (GError) error = NULL;
    guint64 space;

    entry = fs_cache_store (fx->cache, "exact", NULL, &error);
    g_assert_no_error (error);
    g_assert_true (
      fs_test_content_fill (fs_cache_entry_get_path (entry), "exact", maximum - 3 * 4096, &error));
    space = fs_test_tree_space (fs_cache_entry_get_path (entry));
    g_assert_cmpuint (space, <=, maximum);
    g_assert_cmpint (fs_test_commit (entry), ==, FS_CACHE_COMMIT_STORED);
    g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, space);
  }
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);
  assert_clean (fx);
}

/* Lowering the maximum trims the cache to it, least recently used first,
 * skipping entries in use. */
static void
test_set_maximum_trims (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) held = NULL;
  g_autoptr (GError) error = NULL;
  guint64 size, maximum, used_out = 0, max_out = 0;

  size = populate_lru (fx, 10, lru_order);
  fs_test_set_maximum_size (fx->cache, 20 * size);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 10);

  /* to 6.5 entries: the 4 least recently used go */
  maximum = 6 * size + size / 2;
  fs_test_set_maximum_size (fx->cache, maximum);
  assert_lru_evicted (fx, 4);
  g_assert_true (fs_cache_get_usage (fx->cache, &used_out, &max_out, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (used_out, ==, 6 * size);
  g_assert_cmpuint (max_out, ==, maximum);
  assert_clean (fx);

  /* Use the six left in a known order; then hold e0 and make it the least
   * recently used: trimming to 3 entries skips it. */
  use (fx, "e5");
  use (fx, "e2");
  use (fx, "e8");
  use (fx, "e4");
  use (fx, "e6");
  held = fs_cache_load (fx->cache, "e0", NULL, &error);
  g_assert_no_error (error);
  {
    struct timespec times[2] = { { 1000, 0 }, { 1000, 0 } };
    g_autofree char *lock = g_build_filename (fx->cache_dir, "objects", "e0", "object.lock", NULL);
    g_assert_cmpint (utimensat (AT_FDCWD, lock, times, 0), ==, 0);
  }
  fs_test_set_maximum_size (fx->cache, 3 * size);
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "e0"));
  g_assert_false (fs_test_entry_is_present (fx->cache_dir, "e5"));
  g_assert_false (fs_test_entry_is_present (fx->cache_dir, "e2"));
  g_assert_false (fs_test_entry_is_present (fx->cache_dir, "e8"));
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "e4"));
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "e6"));
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 3 * size);
  assert_clean (fx);
}

/* fs_cache_prune(): dry run reports and changes nothing; a real run evicts
 * exactly what the dry run said, least recently used first. */
static void
test_prune (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  guint64 size, bytes = 0;
  guint n = 0;

  size = populate_lru (fx, 10, lru_order);

  /* (Not fs_test_snapshot(): reading object.lock would move its atime, the
   * last use.) The listing has every name, size and last use. */
  before = describe_listing (fx);
  g_assert_true (fs_cache_prune (fx->cache, 5 * size + 100, FS_CACHE_MAINTENANCE_DRY_RUN, &n,
                                 &bytes, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpuint (bytes, ==, 5 * size);
  after = describe_listing (fx);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 10 * size);

  n = 0;
  bytes = 0;
  g_assert_true (fs_cache_prune (fx->cache, 5 * size + 100, FS_CACHE_MAINTENANCE_NONE, &n, &bytes,
                                 NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpuint (bytes, ==, 5 * size);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 5 * size);
  assert_lru_evicted (fx, 5);
  assert_clean (fx);

  /* nothing to do */
  g_assert_true (
    fs_cache_prune (fx->cache, 5 * size, FS_CACHE_MAINTENANCE_NONE, &n, &bytes, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 0);
  g_assert_cmpuint (bytes, ==, 0);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 5);

  /* to zero, with one entry held by another process: only it stays */
  {
    g_autoptr (FsTestHelper) reader = fs_test_helper_spawn ("hold", fx->cache_dir, "e6", NULL);

    fs_test_helper_assert_line (reader, "ok");
    g_assert_true (
      fs_cache_prune (fx->cache, 0, FS_CACHE_MAINTENANCE_DRY_RUN, &n, &bytes, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (n, ==, 4);
    g_assert_cmpuint (bytes, ==, 4 * size);
    g_assert_true (
      fs_cache_prune (fx->cache, 0, FS_CACHE_MAINTENANCE_NONE, &n, &bytes, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (n, ==, 4);
    g_assert_cmpuint (bytes, ==, 4 * size);
    g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);
    g_assert_true (fs_test_entry_is_present (fx->cache_dir, "e6"));
    g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size);
    assert_clean (fx);
    g_assert_cmpint (fs_test_helper_wait (reader), ==, 0);
  }

  g_assert_true (
    fs_cache_prune (fx->cache, 0, FS_CACHE_MAINTENANCE_NONE, &n, &bytes, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 0);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 0);
  assert_clean (fx);
}

/* fs_cache_remove(): gone and unaccounted; MISS, BUSY, INVALID_NAME. */
static void
test_remove (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  guint64 size_a, size_b, used;

  g_assert_cmpint (store_named (fx->cache, "a", 30000, &size_a), ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpint (store_named (fx->cache, "b", 70000, &size_b), ==, FS_CACHE_COMMIT_STORED);
  used = fs_test_read_cache_size (fx->cache_dir);
  g_assert_cmpuint (used, ==, size_a + size_b);

  g_assert_true (fs_cache_remove (fx->cache, "a", NULL, &error));
  g_assert_no_error (error);
  fs_test_assert_miss (fx->cache, "a");
  g_assert_false (fs_test_entry_is_present (fx->cache_dir, "a"));
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size_b);
  assert_clean (fx);

  /* MISS: gone, never there */
  g_assert_false (fs_cache_remove (fx->cache, "a", NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  g_clear_error (&error);
  g_assert_false (fs_cache_remove (fx->cache, "never", NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  g_clear_error (&error);

  /* INVALID_NAME: never reaches outside objects/ or into anonymous entries */
  {
    const char *const bad[] = { "..", ".", "uuid-0123", "a/b", "" };
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_assert_false (fs_cache_remove (fx->cache, bad[i], NULL, &error));
        g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INVALID_NAME);
        g_clear_error (&error);
      }
  }

  /* §5.2 BUSY: loaded in this process */
  {
    g_autoptr (FsCacheEntry) held = fs_cache_load (fx->cache, "b", NULL, &error);

    g_assert_no_error (error);
    g_assert_false (fs_cache_remove (fx->cache, "b", NULL, &error));
    g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_BUSY);
    g_clear_error (&error);
    g_assert_true (fs_test_content_check (fs_cache_entry_get_path (held), "b", &error));
    g_assert_no_error (error);
  }
  /* …and in another one */
  {
    g_autoptr (FsTestHelper) reader = fs_test_helper_spawn ("load", fx->cache_dir, "b", NULL);
    g_autoptr (FsTestHelper) remover = NULL;

    fs_test_helper_assert_line (reader, "hit");
    g_assert_false (fs_cache_remove (fx->cache, "b", NULL, &error));
    g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_BUSY);
    g_clear_error (&error);
    remover = fs_test_helper_spawn ("remove", fx->cache_dir, "b", NULL);
    fs_test_helper_assert_line (remover, "busy");
    g_assert_cmpint (fs_test_helper_wait (remover), ==, 0);
    fs_test_helper_close_stdin (reader);
    fs_test_helper_assert_line (reader, "released");
    g_assert_cmpint (fs_test_helper_wait (reader), ==, 0);
  }
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size_b);
  assert_loads_whole (fx->cache, "b");

  /* A name being stored (anonymous until commit) is not there to remove. */
  {
    g_autoptr (FsTestHelper) writer = fs_test_helper_spawn ("store-hold", fx->cache_dir, "c", NULL);
    g_autofree char *line = fs_test_helper_read_line (writer);

    g_assert_true (g_str_has_prefix (line, "ready "));
    g_assert_false (fs_cache_remove (fx->cache, "c", NULL, &error));
    g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
    g_clear_error (&error);
    g_assert_cmpint (fs_test_helper_wait (writer), ==, 0);
  }

  /* removed by another process */
  {
    g_autoptr (FsTestHelper) remover = fs_test_helper_spawn ("remove", fx->cache_dir, "b", NULL);

    fs_test_helper_assert_line (remover, "removed");
    g_assert_cmpint (fs_test_helper_wait (remover), ==, 0);
  }
  fs_test_assert_miss (fx->cache, "b");
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 0);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 0);
  assert_clean (fx);
}

/* fs_cache_list(): every committed entry, and nothing else. */
static void
test_list (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) list = NULL;
  g_autoptr (FsCacheEntry) storing = NULL;
  g_autoptr (FsCacheEntry) staged = NULL;
  const char *const names[] = { "beta", "alpha", "gamma" };
  const char *const sorted[] = { "alpha", "beta", "gamma" };
  gint64 alpha_used;

  list = fs_cache_list (fx->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (G_IS_LIST_MODEL (list));
  g_assert_true (g_list_model_get_item_type (list) == FS_TYPE_CACHE_ITEM);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 0);
  g_clear_object (&list);

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpint (store_named (fx->cache, names[i], 10000 * (i + 1), NULL), ==,
                     FS_CACHE_COMMIT_STORED);

  /* not listed: a store in progress, a stage, a named entry without
   * object.info (being removed by osbuild), a uuid directory */
  storing = fs_cache_store (fx->cache, "delta", NULL, &error);
  g_assert_no_error (error);
  staged = fs_cache_stage (fx->cache, NULL, &error);
  g_assert_no_error (error);
  {
    g_autofree char *half = g_build_filename (fx->cache_dir, "objects", "half", "data", NULL);
    g_autofree char *lock =
      g_build_filename (fx->cache_dir, "objects", "half", "object.lock", NULL);
    g_assert_cmpint (g_mkdir_with_parents (half, 0755), ==, 0);
    g_assert_true (g_file_set_contents (lock, "", 0, NULL));
  }

  list = fs_cache_list (fx->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);
      const char *name = fs_cache_item_get_name (item);

      g_assert_cmpstr (name, ==, sorted[i]);
      g_assert_cmpuint (fs_cache_item_get_size (item), ==,
                        fs_test_read_object_size (fx->cache_dir, name));
      g_assert_cmpint (g_date_time_to_unix (fs_cache_item_get_last_used (item)) * G_USEC_PER_SEC +
                         g_date_time_get_microsecond (fs_cache_item_get_last_used (item)),
                       ==, lock_atime_usec (fx, name));
      g_assert_cmpstr (fs_cache_item_get_creation_boot_id (item), ==,
                       fs_cache_get_boot_id (fx->cache));
    }
  {
    g_autoptr (FsCacheItem) alpha = g_list_model_get_item (list, 0);
    alpha_used = g_date_time_to_unix (fs_cache_item_get_last_used (alpha)) * G_USEC_PER_SEC +
                 g_date_time_get_microsecond (fs_cache_item_get_last_used (alpha));
  }
  g_clear_object (&list);

  /* a use moves the last use forward */
  use (fx, "alpha");
  list = fs_cache_list (fx->cache, NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr (FsCacheItem) alpha = g_list_model_get_item (list, 0);
    gint64 now_used = g_date_time_to_unix (fs_cache_item_get_last_used (alpha)) * G_USEC_PER_SEC +
                      g_date_time_get_microsecond (fs_cache_item_get_last_used (alpha));
    g_assert_cmpint (now_used, >, alpha_used);
  }
  g_clear_object (&list);

  /* after commit, the new entry is listed */
  g_assert_cmpint (fs_test_commit (storing), ==, FS_CACHE_COMMIT_STORED);
  list = fs_cache_list (fx->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 4);
  {
    g_autoptr (FsCacheItem) item = g_list_model_get_item (list, 2); /* sorted by name */
    g_assert_cmpstr (fs_cache_item_get_name (item), ==, "delta");
  }
}

/* ------------------------------------------------------------------------ */
/* One accounting update per eviction pass (issue 4, §5.4)                   */

/* Runs the helper under strace and returns how many writes reached
 * cache.size (in place or by renaming a file over it). */
static guint
count_size_updates (const char *strace, const char *const *helper_args, char **out_stdout)
{
  g_autofree char *tmp = NULL;
  g_autofree char *log_path = NULL;
  g_autofree char *log = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  int status = 0;
  guint n = 0;
  g_autofree char *asan_options = fs_test_traced_asan_options ();

  tmp = g_dir_make_tmp ("fscache-strace-XXXXXX", &error);
  g_assert_no_error (error);
  log_path = g_build_filename (tmp, "log", NULL);
  g_ptr_array_add (argv, (gpointer) strace);
  g_ptr_array_add (argv, (gpointer) "-E");
  g_ptr_array_add (argv, asan_options);
  g_ptr_array_add (argv, (gpointer) "-f");
  g_ptr_array_add (argv, (gpointer) "-y");
  g_ptr_array_add (argv, (gpointer) "-e");
  g_ptr_array_add (
    argv, (gpointer) "trace=write,pwrite64,pwritev,pwritev2,writev,rename,renameat,renameat2");
  g_ptr_array_add (argv, (gpointer) "-o");
  g_ptr_array_add (argv, log_path);
  g_ptr_array_add (argv, (gpointer) fs_test_helper_path ());
  for (gsize i = 0; helper_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) helper_args[i]);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL,
                               NULL, out_stdout, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (log_path, &log, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *l = lines[i];

      if (strstr (l, "rename") != NULL && strstr (l, "cache.size\"") != NULL)
        n++;
      else if (strstr (l, "write") != NULL && strstr (l, "/cache.size>") != NULL)
        n++;
    }
  g_test_message ("%u updates of cache.size", n);
  fs_test_rm_rf (tmp);
  return n;
}

static void
test_one_update_per_pass (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *strace = g_find_program_in_path ("strace");
  guint64 size;

  size = populate_lru (fx, 10, lru_order);
  fs_test_set_maximum_size (fx->cache, 10 * size + size / 2);

  /* strace may be installed but not allowed (no ptrace in a container) */
  if (strace != NULL)
    {
      const char *argv[] = { strace, "-f", "-o", "/dev/null", "true", NULL };
      g_autoptr (GError) error = NULL;

      if (!fs_test_run (argv, NULL, &error))
        g_clear_pointer (&strace, g_free);
    }
  if (strace == NULL)
    {
      /* Without strace only the outcome can be checked. */
      guint n = 0;
      guint64 bytes = 0;
      g_autoptr (GError) error = NULL;

      g_assert_true (
        fs_cache_prune (fx->cache, 3 * size, FS_CACHE_MAINTENANCE_NONE, &n, &bytes, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (n, ==, 7);
      assert_clean (fx);
      g_test_skip ("strace is not usable here: the number of updates was not counted");
      return;
    }

  /* A prune evicting 7 entries: one update. */
  {
    g_autofree char *target = g_strdup_printf ("%" G_GUINT64_FORMAT, 3 * size);
    g_autofree char *out = NULL;
    g_autofree char *expected = g_strdup_printf ("pruned 7 %" G_GUINT64_FORMAT "\n", 7 * size);
    const char *const args[] = { "prune", fx->cache_dir, target, NULL };

    g_assert_cmpuint (count_size_updates (strace, args, &out), ==, 1);
    g_assert_cmpstr (out, ==, expected);
    assert_lru_evicted (fx, 7);
    assert_clean (fx);
  }

  /* A commit that evicts several entries: one update for the eviction, one
   * for the commit. */
  {
    g_autofree char *out = NULL;
    g_autofree char *bytes = g_strdup_printf ("%" G_GUINT64_FORMAT, 8 * size);
    const char *const args[] = { "store-named", fx->cache_dir, "big", bytes, NULL };
    guint before = fs_test_count_objects (fx->cache_dir);

    g_assert_cmpuint (before, ==, 3);
    g_assert_cmpuint (count_size_updates (strace, args, &out), ==, 2);
    g_assert_cmpstr (out, ==, "stored\n");
    /* 3 + 8 entries' worth does not fit in 10.5: at least 2 of the 3 went */
    g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), <=, 2);
    g_assert_true (fs_test_entry_is_present (fx->cache_dir, "big"));
    assert_loads_whole (fx->cache, "big");
    assert_clean (fx);
  }

  /* A removal: one update. */
  {
    g_autofree char *out = NULL;
    const char *const args[] = { "remove", fx->cache_dir, "big", NULL };

    g_assert_cmpuint (count_size_updates (strace, args, &out), ==, 1);
    g_assert_cmpstr (out, ==, "removed\n");
    assert_clean (fx);
  }
}

/* ------------------------------------------------------------------------ */
/* Concurrent writers into a full cache (§5.1, §5.3, §5.4, §5.7)             */

static void
test_concurrent_writers (FsTestFixture *fx, gconstpointer user_data)
{
  guint n_writers = GPOINTER_TO_UINT (user_data);
  guint count = 96 / n_writers + 8;
  const guint64 min_bytes = 8000, max_bytes = 60000;
  guint64 maximum = 24 * 65536; /* about 24 entries: the cache is full fast */
  g_autoptr (GPtrArray) writers =
    g_ptr_array_new_with_free_func ((GDestroyNotify) fs_test_helper_free);
  g_autofree char *count_s = g_strdup_printf ("%u", count);
  g_autofree char *min_s = g_strdup_printf ("%" G_GUINT64_FORMAT, min_bytes);
  g_autofree char *max_s = g_strdup_printf ("%" G_GUINT64_FORMAT, max_bytes);
  g_autofree char *others_s = g_strdup_printf ("%u", n_writers);
  g_autoptr (GListModel) list = NULL;
  g_autoptr (GError) error = NULL;
  guint total_stored = 0, total_hits = 0;

  fs_test_set_maximum_size (fx->cache, maximum);

  for (guint w = 0; w < n_writers; w++)
    {
      g_autofree char *prefix = g_strdup_printf ("w%u", w);

      g_ptr_array_add (writers, fs_test_helper_spawn ("writer", fx->cache_dir, prefix, count_s,
                                                      min_s, max_s, others_s, NULL));
    }
  for (guint w = 0; w < n_writers; w++)
    {
      FsTestHelper *helper = writers->pdata[w];
      g_autofree char *line = fs_test_helper_read_line (helper);
      guint stored, no_space, hits, misses;

      g_assert_nonnull (line);
      /* "bad NAME: …" would be a partial entry served to a reader (§5.1) */
      g_assert_true (g_str_has_prefix (line, "done "));
      g_assert_cmpint (sscanf (line, "done %u %u %u %u", &stored, &no_space, &hits, &misses), ==,
                       4);
      g_assert_cmpuint (stored + no_space, ==, count);
      total_stored += stored;
      total_hits += hits;
      g_assert_cmpint (fs_test_helper_wait (helper), ==, 0);
    }
  g_test_message ("%u writers: %u stored, %u hits", n_writers, total_stored, total_hits);
  g_assert_cmpuint (total_stored, >, 0);

  /* Idle now: never over the maximum, exact, nothing left over. */
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), <=, maximum);
  g_assert_cmpuint (fs_test_sum_object_sizes (fx->cache_dir), <=, maximum);
  assert_clean (fx);
  /* the cache was really full: eviction happened */
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), <, total_stored);

  /* Every entry there is whole (§5.1) and accounted as its tree takes. */
  list = fs_cache_list (fx->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, fs_test_count_objects (fx->cache_dir));
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);
      const char *name = fs_cache_item_get_name (item);
      g_autoptr (FsCacheEntry) entry = fs_cache_load (fx->cache, name, NULL, &error);

      g_assert_no_error (error);
      g_assert_true (g_str_has_prefix (name, "w"));
      g_assert_true (fs_test_content_check (fs_cache_entry_get_path (entry), name, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (fs_cache_entry_get_size (entry), ==,
                        fs_test_tree_space (fs_cache_entry_get_path (entry)));
    }

  /* and a fresh idle open finds nothing to fix */
  fs_cache_close (fx->cache);
  g_clear_object (&fx->cache);
  {
    g_autofree char *before = fs_test_snapshot (fx->cache_dir);
    g_autofree char *after = NULL;
    g_autoptr (FsCache) cache = fs_test_open_cache (fx->cache_dir);

    (void) cache; /* held open while the snapshot is taken */
    after = fs_test_snapshot (fx->cache_dir);
    g_assert_cmpstr (before, ==, after);
    assert_clean (fx);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/evict/lru/default-watermark", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_lru_default_watermark, fs_test_fixture_teardown);
  g_test_add ("/evict/lru/configured-watermark", FsTestFixture, NULL,
              fs_test_fixture_setup_unlimited, test_lru_configured_watermark,
              fs_test_fixture_teardown);
  g_test_add ("/evict/loaded-never-evicted", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_loaded_never_evicted, fs_test_fixture_teardown);
  g_test_add ("/evict/too-large-evicts-nothing", FsTestFixture, NULL,
              fs_test_fixture_setup_unlimited, test_too_large, fs_test_fixture_teardown);
  g_test_add ("/evict/set-maximum-size-trims", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_set_maximum_trims, fs_test_fixture_teardown);
  g_test_add ("/evict/prune", FsTestFixture, NULL, fs_test_fixture_setup_unlimited, test_prune,
              fs_test_fixture_teardown);
  g_test_add ("/evict/remove", FsTestFixture, NULL, fs_test_fixture_setup_unlimited, test_remove,
              fs_test_fixture_teardown);
  g_test_add ("/evict/list", FsTestFixture, NULL, fs_test_fixture_setup_unlimited, test_list,
              fs_test_fixture_teardown);
  g_test_add ("/evict/one-accounting-update-per-pass", FsTestFixture, NULL,
              fs_test_fixture_setup_unlimited, test_one_update_per_pass, fs_test_fixture_teardown);
  g_test_add ("/evict/concurrent-writers/2", FsTestFixture, GUINT_TO_POINTER (2),
              fs_test_fixture_setup_unlimited, test_concurrent_writers, fs_test_fixture_teardown);
  g_test_add ("/evict/concurrent-writers/4", FsTestFixture, GUINT_TO_POINTER (4),
              fs_test_fixture_setup_unlimited, test_concurrent_writers, fs_test_fixture_teardown);
  g_test_add ("/evict/concurrent-writers/8", FsTestFixture, GUINT_TO_POINTER (8),
              fs_test_fixture_setup_unlimited, test_concurrent_writers, fs_test_fixture_teardown);

  return g_test_run ();
}

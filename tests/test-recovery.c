/* test-recovery.c: stale leftovers, garbage collection, the free-space floor
 * and the cost of opening (DESIGN §5.3, §5.4, §5.6, §5.10; issue 4)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Guarantees checked here:
 *   §5.6  stale leftovers (staging entries and anonymous objects whose lock
 *         no live process holds) are collected automatically, at the latest
 *         by the next eviction or by an open that finds the cache idle —
 *         and never ones a live process (ours or osbuild) holds
 *   §5.3  no leak: nothing of a killed process survives the next garbage
 *         collection
 *   §5.4  accounting is exact; only a full recount waits for idleness;
 *         opening a clean cache stays O(1) in the number of entries
 *   §5.10 free-space floor: the cache evicts to keep a minimum of free
 *         space on its file system, and refuses (NO_SPACE) when it can't
 *
 * Other processes are tests/fs-test-helper, run for real.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fs-test-content.h"
#include "fs-test-util.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static FsCacheCommitStatus
store_named (FsCache *cache, const char *name, guint64 n_bytes)
{
  g_autoptr (FsCacheEntry) entry = fs_test_store_content (cache, name, n_bytes);
  FsCacheCommitStatus status;

  status = fs_test_commit (entry);
  fs_cache_entry_release (entry);
  return status;
}

static gboolean
exists (const char *cache_dir, const char *rel)
{
  g_autofree char *path = g_build_filename (cache_dir, rel, NULL);
  struct stat st;

  return lstat (path, &st) == 0;
}

static void
assert_whole (FsCache *cache, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, name, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (fs_test_content_check (fs_cache_entry_get_path (entry), name, &error));
  g_assert_no_error (error);
}

static void
assert_clean (const char *cache_dir)
{
  fs_test_assert_consistent (cache_dir);
  g_assert_cmpuint (fs_test_count_journal_debris (cache_dir), ==, 0);
}

/* A staging entry of a process killed while holding it; returns its
 * directory name (uuid-…). */
static char *
killed_stage (const char *cache_dir)
{
  g_autoptr (FsTestHelper) helper = fs_test_helper_spawn ("stage-hold", cache_dir, "20000", NULL);
  g_autofree char *line = fs_test_helper_read_line (helper);
  g_autofree char *entry_dir = NULL;

  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "ready "));
  fs_test_helper_kill (helper);
  entry_dir = g_path_get_dirname (line + strlen ("ready "));
  return g_path_get_basename (entry_dir);
}

/* An anonymous store of a process killed while filling it. */
static char *
killed_store (const char *cache_dir, const char *name)
{
  g_autoptr (FsTestHelper) helper =
    fs_test_helper_spawn ("store-commit", cache_dir, name, "30000", NULL);
  g_autofree char *line = fs_test_helper_read_line (helper);
  g_autofree char *entry_dir = NULL;

  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "ready "));
  fs_test_helper_kill (helper);
  entry_dir = g_path_get_dirname (line + strlen ("ready "));
  return g_path_get_basename (entry_dir);
}

/* What osbuild leaves when killed while storing: objects/uuid-X/ with a
 * lock file nobody holds and a half-written data/. */
static char *
osbuild_anonymous (const char *cache_dir)
{
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *hex = NULL;
  g_autofree char *name = NULL;
  g_autofree char *data = NULL;
  g_autofree char *lock = NULL;

  /* uuid-<32 hex>, as osbuild names them */
  {
    GString *s = g_string_new (NULL);
    for (const char *p = uuid; *p != '\0'; p++)
      if (*p != '-')
        g_string_append_c (s, *p);
    hex = g_string_free (s, FALSE);
  }
  name = g_strconcat ("uuid-", hex, NULL);
  data = g_build_filename (cache_dir, "objects", name, "data", "sub", "file", NULL);
  fs_test_write_file (data, 12345);
  lock = g_build_filename (cache_dir, "objects", name, "object.lock", NULL);
  g_assert_true (g_file_set_contents (lock, "", 0, NULL));
  return g_steal_pointer (&name);
}

/* A bare temporary file objects/uuid-X (a metadata replacement of osbuild
 * killed before its rename). */
static void
backdate (const char *path, gint64 seconds)
{
  struct timespec times[2];

  times[0].tv_sec = times[1].tv_sec = g_get_real_time () / G_USEC_PER_SEC - seconds;
  times[0].tv_nsec = times[1].tv_nsec = 0;
  g_assert_no_errno (utimensat (AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW));
}

static char *
bare_temp_file (const char *cache_dir)
{
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  GString *s = g_string_new ("uuid-");

  for (const char *p = uuid; *p != '\0'; p++)
    if (*p != '-')
      g_string_append_c (s, *p);
  name = g_string_free (s, FALSE);
  path = g_build_filename (cache_dir, "objects", name, NULL);
  g_assert_true (g_file_set_contents (path, "{\"version\": 1}", -1, NULL));
  /* Left by a crash an hour ago: a young one may still be in its creator's
   * window between open and lock, and is left alone (fs-anon.c). */
  backdate (path, 3600);
  return g_steal_pointer (&name);
}

/* osbuild's removal starts by unlinking object.info: a named entry without
 * it, interrupted there. Its size was accounted by @cache before. */
static void
osbuild_interrupted_removal (FsCache *cache, const char *cache_dir, const char *name)
{
  g_autofree char *info = g_build_filename (cache_dir, "objects", name, "object.info", NULL);
  guint64 size;

  g_assert_cmpint (store_named (cache, name, 40000), ==, FS_CACHE_COMMIT_STORED);
  size = fs_test_read_object_size (cache_dir, name);
  g_assert_cmpint (g_unlink (info), ==, 0);
  /* …and osbuild takes the size off the counter when it is done; we
   * account as if it had, so that the counter is exact for what remains */
  {
    g_autofree char *size_path = g_build_filename (cache_dir, "cache.size", NULL);
    g_autofree char *text =
      g_strdup_printf ("%" G_GUINT64_FORMAT, fs_test_read_cache_size (cache_dir) - size);
    g_assert_true (g_file_set_contents (size_path, text, -1, NULL));
  }
}

static void
gc (FsCache *cache,
    FsCacheMaintenanceFlags flags,
    guint *out_removed,
    guint64 *out_reclaimed,
    gint64 *out_correction)
{
  g_autoptr (GError) error = NULL;

  *out_removed = G_MAXUINT;
  *out_reclaimed = G_MAXUINT64;
  *out_correction = G_MAXINT64;
  g_assert_true (fs_cache_collect_garbage (cache, flags, out_removed, out_reclaimed, out_correction,
                                           NULL, &error));
  g_assert_no_error (error);
  g_test_message ("gc%s: removed %u, reclaimed %" G_GUINT64_FORMAT ", correction %" G_GINT64_FORMAT,
                  (flags & FS_CACHE_MAINTENANCE_DRY_RUN) ? " (dry run)" : "", *out_removed,
                  *out_reclaimed, *out_correction);
}

/* ------------------------------------------------------------------------ */
/* §5.6: stale leftovers                                                     */

/* A staging entry and an anonymous store of killed processes are removed
 * by the next open that finds the cache idle, with no command. */
static void
test_idle_open_removes_leftovers (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *stage = NULL;
  g_autofree char *store = NULL;
  g_autofree char *stage_rel = NULL;
  g_autofree char *store_rel = NULL;
  g_autofree char *record_rel = NULL;

  g_assert_cmpint (store_named (fx->cache, "a", 50000), ==, FS_CACHE_COMMIT_STORED);
  stage = killed_stage (fx->cache_dir);
  store = killed_store (fx->cache_dir, "b");
  stage_rel = g_build_filename ("stage", stage, NULL);
  store_rel = g_build_filename ("objects", store, NULL);
  record_rel = g_build_filename ("journal", store, NULL);
  g_assert_true (exists (fx->cache_dir, stage_rel));
  g_assert_true (exists (fx->cache_dir, store_rel));

  /* still there while the cache is in use by us */
  {
    g_autoptr (FsCache) other = fs_test_open_cache (fx->cache_dir);
    (void) other; /* keeps the cache in use */
    g_assert_true (exists (fx->cache_dir, stage_rel));
    g_assert_true (exists (fx->cache_dir, store_rel));
  }

  fs_cache_close (fx->cache);
  g_clear_object (&fx->cache);
  fx->cache = fs_test_open_cache (fx->cache_dir);

  g_assert_false (exists (fx->cache_dir, stage_rel));
  g_assert_false (exists (fx->cache_dir, store_rel));
  g_assert_false (exists (fx->cache_dir, record_rel));
  assert_clean (fx->cache_dir);
  assert_whole (fx->cache, "a");
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);
}

/* Leftovers of every kind, ours and osbuild's; returns how many and the
 * space they take. */
static guint
make_leftovers (FsTestFixture *fx, guint64 *out_space, GPtrArray *rel_paths)
{
  const char *kinds[] = { "stage", "objects", "objects", "objects", "objects" };
  char *names[5];
  guint64 space = 0;

  names[0] = killed_stage (fx->cache_dir);
  names[1] = killed_store (fx->cache_dir, "killed");
  names[2] = osbuild_anonymous (fx->cache_dir);
  names[3] = bare_temp_file (fx->cache_dir);
  osbuild_interrupted_removal (fx->cache, fx->cache_dir, "half-removed");
  names[4] = g_strdup ("half-removed");

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (fx->cache_dir, kinds[i], names[i], NULL);

      space += fs_test_tree_space (path);
      g_ptr_array_add (rel_paths, g_build_filename (kinds[i], names[i], NULL));
      g_free (names[i]);
    }
  *out_space = space;
  return G_N_ELEMENTS (names);
}

/* fs_cache_collect_garbage() removes leftovers of every kind and says what
 * it did; a dry run says the same and changes nothing. @user_data: with
 * another process keeping the cache open (not idle). */
static void
test_gc_removes_leftovers (FsTestFixture *fx, gconstpointer user_data)
{
  gboolean busy = GPOINTER_TO_INT (user_data);
  g_autoptr (GPtrArray) rel_paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (FsTestHelper) holder = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  guint64 space, reclaimed;
  guint n, removed;
  gint64 correction;

  g_assert_cmpint (store_named (fx->cache, "a", 50000), ==, FS_CACHE_COMMIT_STORED);
  n = make_leftovers (fx, &space, rel_paths);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==,
                    fs_test_sum_object_sizes (fx->cache_dir));
  if (busy)
    {
      holder = fs_test_helper_spawn ("hold", fx->cache_dir, "a", NULL);
      fs_test_helper_assert_line (holder, "ok");
    }
  g_assert_true (fs_cache_has_other_users (fx->cache) == busy);

  before = fs_test_snapshot (fx->cache_dir);
  gc (fx->cache, FS_CACHE_MAINTENANCE_DRY_RUN, &removed, &reclaimed, &correction);
  after = fs_test_snapshot (fx->cache_dir);
  g_assert_true (g_str_equal (before, after)); /* a dry run changes nothing */
  g_assert_cmpuint (removed, ==, n);
  g_assert_cmpuint (reclaimed, ==, space);

  gc (fx->cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed, &correction);
  for (guint i = 0; i < rel_paths->len; i++)
    {
      g_test_message ("%s: %s", (char *) rel_paths->pdata[i],
                      exists (fx->cache_dir, rel_paths->pdata[i]) ? "left" : "removed");
      g_assert_false (exists (fx->cache_dir, rel_paths->pdata[i]));
    }
  g_assert_cmpuint (removed, ==, n);
  g_assert_cmpuint (reclaimed, ==, space);
  g_assert_cmpint (correction, ==, 0); /* the counter was exact */
  assert_clean (fx->cache_dir);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);
  assert_whole (fx->cache, "a");

  /* nothing more to do */
  gc (fx->cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed, &correction);
  g_assert_cmpuint (removed, ==, 0);
  g_assert_cmpuint (reclaimed, ==, 0);
  g_assert_cmpint (correction, ==, 0);

  if (holder != NULL)
    g_assert_cmpint (fs_test_helper_wait (holder), ==, 0);
}

/* §5.6 "at the latest by the next eviction": a commit that does not fit
 * removes stale leftovers, with the cache in use by another process (so no
 * idle open or recount helps). @user_data: FALSE for the leftovers of
 * killed libfscache processes (a stage, a store), TRUE for those of
 * another implementation, which carry no journal record (osbuild's
 * anonymous object, a bare temporary file, an interrupted removal: issue 4
 * lists eviction passes among the collectors of all of them). */
static void
test_eviction_removes_leftovers (FsTestFixture *fx, gconstpointer user_data)
{
  gboolean foreign = GPOINTER_TO_INT (user_data);
  g_autoptr (GPtrArray) rel_paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (FsTestHelper) holder = NULL;
  guint64 maximum;

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("e%u", i);
      g_assert_cmpint (store_named (fx->cache, name, 50000), ==, FS_CACHE_COMMIT_STORED);
    }
  if (foreign)
    {
      g_autofree char *anon = osbuild_anonymous (fx->cache_dir);
      g_autofree char *tmp = bare_temp_file (fx->cache_dir);

      g_ptr_array_add (rel_paths, g_build_filename ("objects", anon, NULL));
      g_ptr_array_add (rel_paths, g_build_filename ("objects", tmp, NULL));
      osbuild_interrupted_removal (fx->cache, fx->cache_dir, "half-removed");
      g_ptr_array_add (rel_paths, g_strdup ("objects/half-removed"));
    }
  else
    {
      g_autofree char *stage = killed_stage (fx->cache_dir);
      g_autofree char *store = killed_store (fx->cache_dir, "killed");

      g_ptr_array_add (rel_paths, g_build_filename ("stage", stage, NULL));
      g_ptr_array_add (rel_paths, g_build_filename ("objects", store, NULL));
      g_ptr_array_add (rel_paths, g_build_filename ("journal", store, NULL));
    }
  for (guint i = 0; i < rel_paths->len; i++)
    g_assert_true (exists (fx->cache_dir, rel_paths->pdata[i]));

  maximum = fs_test_read_cache_size (fx->cache_dir) + 20000;
  fs_test_set_maximum_size (fx->cache, maximum);
  holder = fs_test_helper_spawn ("hold", fx->cache_dir, NULL);
  fs_test_helper_assert_line (holder, "ok");
  g_assert_true (fs_cache_has_other_users (fx->cache));

  g_assert_cmpint (store_named (fx->cache, "new", 50000), ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), <, 5 + (foreign ? 1 : 0)); /* evicted */
  for (guint i = 0; i < rel_paths->len; i++)
    {
      g_test_message ("%s: %s", (char *) rel_paths->pdata[i],
                      exists (fx->cache_dir, rel_paths->pdata[i]) ? "left" : "removed");
      g_assert_false (exists (fx->cache_dir, rel_paths->pdata[i]));
    }
  assert_clean (fx->cache_dir);
  g_assert_cmpint (fs_test_helper_wait (holder), ==, 0);
}

/* Never what a live process holds: our stage and store, and osbuild's
 * anonymous object, interrupted removal and temporary file under its OFD
 * lock — not by a busy collection, an idle one, an idle open or an
 * eviction. Once they are let go, they are collected. */
static void
test_never_touches_live (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsTestHelper) stage_holder = NULL;
  g_autoptr (FsTestHelper) store_holder = NULL;
  g_autoptr (GPtrArray) raw_holders =
    g_ptr_array_new_with_free_func ((GDestroyNotify) fs_test_helper_free);
  g_autoptr (GPtrArray) live = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *osb = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *tmp_path = NULL;
  g_autofree char *line = NULL;
  guint64 reclaimed;
  guint removed;
  gint64 correction;

  g_autoptr (FsCacheEntry) a_held = NULL;

  g_assert_cmpint (store_named (fx->cache, "a", 50000), ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpint (store_named (fx->cache, "x", 40000), ==, FS_CACHE_COMMIT_STORED);

  /* ours, alive */
  stage_holder = fs_test_helper_spawn ("stage-hold", fx->cache_dir, "20000", NULL);
  line = fs_test_helper_read_line (stage_holder);
  g_assert_true (g_str_has_prefix (line, "ready "));
  {
    g_autofree char *d = g_path_get_dirname (line + 6);
    g_autofree char *b = g_path_get_basename (d);
    g_ptr_array_add (live, g_build_filename ("stage", b, NULL));
  }
  g_clear_pointer (&line, g_free);
  store_holder = fs_test_helper_spawn ("store-commit", fx->cache_dir, "b", "30000", NULL);
  line = fs_test_helper_read_line (store_holder);
  g_assert_true (g_str_has_prefix (line, "ready "));
  {
    g_autofree char *d = g_path_get_dirname (line + 6);
    g_autofree char *b = g_path_get_basename (d);
    g_ptr_array_add (live, g_build_filename ("objects", b, NULL));
  }

  /* osbuild's, alive: write locks on the lock files, no cache.lock */
  osb = osbuild_anonymous (fx->cache_dir);
  g_ptr_array_add (raw_holders, fs_test_helper_spawn ("lock", fx->cache_dir, osb, "write", NULL));
  g_ptr_array_add (live, g_build_filename ("objects", osb, NULL));
  {
    g_autofree char *info = g_build_filename (fx->cache_dir, "objects", "c", "object.info", NULL);
    g_assert_cmpint (store_named (fx->cache, "c", 40000), ==, FS_CACHE_COMMIT_STORED);
    g_ptr_array_add (raw_holders, fs_test_helper_spawn ("lock", fx->cache_dir, "c", "write", NULL));
    fs_test_helper_assert_line (raw_holders->pdata[1], "locked");
    /* osbuild removing "c": object.info first (its size stays counted
     * until osbuild finishes; we do not check the counter here) */
    g_assert_cmpint (g_unlink (info), ==, 0);
    g_ptr_array_add (live, g_strdup ("objects/c"));
  }
  tmp = bare_temp_file (fx->cache_dir);
  tmp_path = g_build_filename (fx->cache_dir, "objects", tmp, NULL);
  g_ptr_array_add (raw_holders, fs_test_helper_spawn ("lock-file", tmp_path, "write", NULL));
  g_ptr_array_add (live, g_build_filename ("objects", tmp, NULL));
  fs_test_helper_assert_line (raw_holders->pdata[0], "locked");
  fs_test_helper_assert_line (raw_holders->pdata[2], "locked");

  /* busy collection */
  gc (fx->cache, FS_CACHE_MAINTENANCE_DRY_RUN, &removed, &reclaimed, &correction);
  g_assert_cmpuint (removed, ==, 0);
  gc (fx->cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed, &correction);
  g_assert_cmpuint (removed, ==, 0);
  g_assert_cmpuint (reclaimed, ==, 0);
  for (guint i = 0; i < live->len; i++)
    g_assert_true (exists (fx->cache_dir, live->pdata[i]));

  /* an eviction (busy): "x" goes ("a" is held), nothing else */
  {
    guint64 used = fs_test_read_cache_size (fx->cache_dir);
    g_autoptr (GError) error = NULL;

    a_held = fs_cache_load (fx->cache, "a", NULL, &error);
    g_assert_no_error (error);
    fs_test_set_maximum_size (fx->cache, used + 10000);
    g_assert_cmpint (store_named (fx->cache, "d", 30000), ==, FS_CACHE_COMMIT_STORED);
    g_assert_false (fs_test_entry_is_present (fx->cache_dir, "x"));
    for (guint i = 0; i < live->len; i++)
      g_assert_true (exists (fx->cache_dir, live->pdata[i]));
    fs_test_set_maximum_size (fx->cache, FS_CACHE_SIZE_UNLIMITED);
    g_clear_object (&a_held);
  }

  /* our holders go; osbuild's stay: collection is idle now */
  fs_test_helper_close_stdin (stage_holder);
  fs_test_helper_assert_line (stage_holder, "released");
  g_assert_cmpint (fs_test_helper_wait (stage_holder), ==, 0);
  fs_test_helper_write_line (store_holder, "commit");
  fs_test_helper_assert_line (store_holder, "stored");
  fs_test_helper_close_stdin (store_holder);
  fs_test_helper_assert_line (store_holder, "released");
  g_assert_cmpint (fs_test_helper_wait (store_holder), ==, 0);
  g_ptr_array_remove_range (live, 0, 2);
  g_assert_false (fs_cache_has_other_users (fx->cache));

  gc (fx->cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed, &correction);
  g_assert_cmpuint (removed, ==, 0);
  for (guint i = 0; i < live->len; i++)
    g_assert_true (exists (fx->cache_dir, live->pdata[i]));

  /* an idle open */
  fs_cache_close (fx->cache);
  g_clear_object (&fx->cache);
  fx->cache = fs_test_open_cache (fx->cache_dir);
  for (guint i = 0; i < live->len; i++)
    g_assert_true (exists (fx->cache_dir, live->pdata[i]));
  assert_whole (fx->cache, "a");
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (FsCacheEntry) b = fs_cache_load (fx->cache, "b", NULL, &error);
    g_assert_no_error (error);
    (void) b;
  }

  /* osbuild lets go: now they are stale */
  for (guint i = 0; i < raw_holders->len; i++)
    g_assert_cmpint (fs_test_helper_wait (raw_holders->pdata[i]), ==, 0);
  gc (fx->cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed, &correction);
  g_assert_cmpuint (removed, ==, 3);
  for (guint i = 0; i < live->len; i++)
    g_assert_false (exists (fx->cache_dir, live->pdata[i]));
  /* idle: the size of "c", which osbuild never took off, is corrected */
  assert_clean (fx->cache_dir);
}

/* uuid-<32 hex>, a name as osbuild draws them */
static char *
uuid_name (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  GString *s = g_string_new ("uuid-");

  for (const char *p = uuid; *p != '\0'; p++)
    if (*p != '-')
      g_string_append_c (s, *p);
  return g_string_free (s, FALSE);
}

/* Folders without a lock file (issue 11). An empty one may be a creator's
 * between its mkdir and the link (ours) or the rename (osbuild's
 * _atomic_dir) of its lock file there: a collection removes it with rmdir
 * only, so that the creator's rename fails with ENOENT, the error osbuild
 * takes another name on, and a dry run leaves it as it is (a lock file
 * given to it would make osbuild's rename fail with EEXIST). One that is not
 * empty is no creator's and is collected. @user_data: the area. */
static void
test_gc_lockless_folders (FsTestFixture *fx, gconstpointer user_data)
{
  const char *area = user_data;
  g_autoptr (FsTestHelper) holder = NULL;
  g_autofree char *empty = uuid_name ();
  g_autofree char *full = uuid_name ();
  g_autofree char *tmp = uuid_name ();
  g_autofree char *empty_path = g_build_filename (fx->cache_dir, area, empty, NULL);
  g_autofree char *full_path = g_build_filename (fx->cache_dir, area, full, NULL);
  g_autofree char *tmp_path = g_build_filename (fx->cache_dir, area, tmp, NULL);
  g_autofree char *lock_path = g_build_filename (empty_path, "object.lock", NULL);
  g_autofree char *file = g_build_filename (full_path, "data", "sub", "file", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  guint64 space, reclaimed;
  guint removed;
  gint64 correction;

  g_assert_cmpint (store_named (fx->cache, "a", 50000), ==, FS_CACHE_COMMIT_STORED);
  /* osbuild has the cache open: no collection is idle */
  holder = fs_test_helper_spawn ("hold", fx->cache_dir, NULL);
  fs_test_helper_assert_line (holder, "ok");
  g_assert_cmpint (g_mkdir (empty_path, 0755), ==, 0);
  fs_test_write_file (file, 5000);
  space = fs_test_tree_space (empty_path) + fs_test_tree_space (full_path);

  before = fs_test_snapshot (fx->cache_dir);
  gc (fx->cache, FS_CACHE_MAINTENANCE_DRY_RUN, &removed, &reclaimed, &correction);
  after = fs_test_snapshot (fx->cache_dir);
  g_assert_cmpstr (after, ==, before); /* no lock file given to either */
  g_assert_cmpuint (removed, ==, 2);
  g_assert_cmpuint (reclaimed, ==, space);

  gc (fx->cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed, &correction);
  g_assert_cmpuint (removed, ==, 2);
  g_assert_cmpuint (reclaimed, ==, space);
  g_assert_false (g_file_test (empty_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (full_path, G_FILE_TEST_EXISTS));

  /* the creator of the empty one renames its lock file in: ENOENT */
  g_assert_true (g_file_set_contents (tmp_path, "", 0, NULL));
  g_assert_cmpint (renameat2 (AT_FDCWD, tmp_path, AT_FDCWD, lock_path, RENAME_NOREPLACE), ==, -1);
  g_assert_cmpint (errno, ==, ENOENT);
  g_assert_cmpint (g_unlink (tmp_path), ==, 0);

  assert_clean (fx->cache_dir);
  assert_whole (fx->cache, "a");
  g_assert_cmpint (fs_test_helper_wait (holder), ==, 0);
}

/* ------------------------------------------------------------------------ */
/* §5.4: the correction of the counter                                       */

static void
write_cache_size (const char *cache_dir, const char *text)
{
  g_autofree char *path = g_build_filename (cache_dir, "cache.size", NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
test_gc_correction (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsTestHelper) holder = NULL;
  guint64 sum, reclaimed;
  guint removed;
  gint64 correction;

  g_assert_cmpint (store_named (fx->cache, "a", 50000), ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpint (store_named (fx->cache, "b", 150000), ==, FS_CACHE_COMMIT_STORED);
  sum = fs_test_sum_object_sizes (fx->cache_dir);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, sum);

  write_cache_size (fx->cache_dir, "12345");

  /* busy: no recount (only a full recount waits for idleness) */
  holder = fs_test_helper_spawn ("hold", fx->cache_dir, NULL);
  fs_test_helper_assert_line (holder, "ok");
  gc (fx->cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed, &correction);
  g_assert_cmpuint (removed, ==, 0);
  g_assert_cmpuint (reclaimed, ==, 0);
  g_assert_cmpint (correction, ==, 0);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 12345);
  {
    /* nor from another process */
    g_autoptr (FsTestHelper) other = fs_test_helper_spawn ("gc", fx->cache_dir, NULL);
    fs_test_helper_assert_line (other, "gc 0 0 0");
    g_assert_cmpint (fs_test_helper_wait (other), ==, 0);
  }
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 12345);
  fs_test_helper_close_stdin (holder);
  fs_test_helper_assert_line (holder, "closed");
  g_assert_cmpint (fs_test_helper_wait (holder), ==, 0);

  /* idle: a dry run does not touch the counter */
  gc (fx->cache, FS_CACHE_MAINTENANCE_DRY_RUN, &removed, &reclaimed, &correction);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 12345);

  /* idle: recounted, and the correction reported */
  gc (fx->cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed, &correction);
  g_assert_cmpuint (removed, ==, 0);
  g_assert_cmpint (correction, ==, (gint64) sum - 12345);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, sum);
  assert_clean (fx->cache_dir);

  /* too high, as osbuild writes it: corrected down */
  {
    g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", sum + 99999);
    write_cache_size (fx->cache_dir, text);
  }
  gc (fx->cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed, &correction);
  g_assert_cmpint (correction, ==, -99999);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, sum);

  /* exact: nothing to correct */
  gc (fx->cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed, &correction);
  g_assert_cmpint (correction, ==, 0);

  /* and the helper (another process, idle) reports it too */
  write_cache_size (fx->cache_dir, "7");
  fs_cache_close (fx->cache);
  g_clear_object (&fx->cache);
  {
    g_autoptr (FsTestHelper) other = fs_test_helper_spawn ("gc", fx->cache_dir, NULL);
    g_autofree char *expected = g_strdup_printf ("gc 0 0 %" G_GINT64_FORMAT, (gint64) sum - 7);
    fs_test_helper_assert_line (other, expected);
    g_assert_cmpint (fs_test_helper_wait (other), ==, 0);
  }
  assert_clean (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* §5.10: free-space floor on a small file system                            */

#define TMPFS_ENV "FSCACHE_TEST_TMPFS_DIR"

typedef struct {
  FsTestFixture base;
  char *mount_dir;
  gboolean mounted;
} TmpfsFixture;

static void
tmpfs_setup (TmpfsFixture *fx, gconstpointer user_data)
{
  const char *argv[] = { "mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", NULL, NULL };
  g_autoptr (GError) error = NULL;

  fs_test_fixture_setup (&fx->base, user_data);
  if (g_test_subprocess ())
    return; /* the parent mounted it */
  if (geteuid () != 0)
    return;
  fx->mount_dir = g_build_filename (fx->base.tmpdir, "mnt", NULL);
  g_assert_cmpint (g_mkdir (fx->mount_dir, 0755), ==, 0);
  argv[6] = fx->mount_dir;
  fx->mounted = fs_test_run (argv, NULL, &error);
  if (!fx->mounted)
    g_test_message ("mount failed: %s", error->message);
}

static void
tmpfs_teardown (TmpfsFixture *fx, gconstpointer user_data)
{
  if (fx->mounted)
    {
      const char *argv[] = { "umount", fx->mount_dir, NULL };
      g_autoptr (GError) error = NULL;

      if (!fs_test_run (argv, NULL, &error))
        {
          const char *lazy[] = { "umount", "-l", fx->mount_dir, NULL };
          g_clear_error (&error);
          fs_test_run (lazy, NULL, &error);
        }
      g_assert_no_error (error);
    }
  g_free (fx->mount_dir);
  fs_test_fixture_teardown (&fx->base, user_data);
}

static guint64
free_bytes (const char *path)
{
  struct statvfs sv;

  g_assert_cmpint (statvfs (path, &sv), ==, 0);
  return (guint64) sv.f_bavail * sv.f_frsize;
}

/* The body, in a subprocess, so that the parent unmounts whatever happens. */
static void
floor_body (const char *mount_dir, gboolean percent)
{
  g_autofree char *cache_dir = g_build_filename (mount_dir, percent ? "cache-pct" : "cache", NULL);
  g_autoptr (FsCache) cache = fs_test_open_cache (cache_dir);
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
  g_autoptr (GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GError) error = NULL;
  const guint64 floor = 1024 * 1024;
  guint first_present = 0, n = 14;

  fs_test_set_maximum_size (cache, FS_CACHE_SIZE_UNLIMITED);
  if (percent)
    fs_cache_info_set_min_free_space (info, 25, TRUE); /* 25 % of 4 MiB */
  else
    fs_cache_info_set_min_free_space (info, floor, FALSE);
  g_assert_true (fs_cache_set_info (cache, info, NULL, &error));
  g_assert_no_error (error);

  /* 14 × ~400 KiB on 4 MiB: the cache must make room, oldest first */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("e%02u", i);

      g_assert_cmpint (store_named (cache, name, 400 * 1024), ==, FS_CACHE_COMMIT_STORED);
      fs_test_set_last_use (cache_dir, name, 1000000 + i);
      g_test_message ("after %s: %" G_GUINT64_FORMAT " free", name, free_bytes (cache_dir));
      g_assert_cmpuint (free_bytes (cache_dir), >=, floor);
      assert_clean (cache_dir);

      /* the present ones are the most recent: evicted oldest first */
      while (first_present < i)
        {
          g_autofree char *old = g_strdup_printf ("e%02u", first_present);
          if (fs_test_entry_is_present (cache_dir, old))
            break;
          first_present++;
        }
      for (guint j = first_present; j <= i; j++)
        {
          g_autofree char *other = g_strdup_printf ("e%02u", j);
          g_assert_true (fs_test_entry_is_present (cache_dir, other));
        }
    }
  g_assert_cmpuint (first_present, >, 0); /* it did evict */
  g_assert_cmpuint (fs_test_count_objects (cache_dir), >=, 2);

  /* Everything held: an entry that would go below the floor is refused. */
  for (guint j = first_present; j < n; j++)
    {
      g_autofree char *name = g_strdup_printf ("e%02u", j);
      FsCacheEntry *entry = fs_cache_load (cache, name, NULL, &error);

      g_assert_no_error (error);
      g_ptr_array_add (held, entry);
    }
  {
    guint64 free_before = free_bytes (cache_dir);
    guint64 used_before = fs_test_read_cache_size (cache_dir);
    guint count_before = fs_test_count_objects (cache_dir);
    guint64 bytes;

    g_assert_cmpuint (free_before, >=, floor);
    bytes = free_before - floor + 64 * 1024; /* room on disk, not above the floor */
    g_assert_cmpuint (bytes + 64 * 1024, <, free_before);
    g_assert_cmpint (store_named (cache, "big", bytes), ==, FS_CACHE_COMMIT_NO_SPACE);
    g_assert_false (fs_test_entry_is_present (cache_dir, "big"));
    g_assert_cmpuint (fs_test_count_objects (cache_dir), ==, count_before);
    g_assert_cmpuint (fs_test_read_cache_size (cache_dir), ==, used_before);
    g_assert_cmpuint (free_bytes (cache_dir), ==, free_before); /* discarded */
    assert_clean (cache_dir);

    /* released: the same entry now fits by evicting */
    g_ptr_array_set_size (held, 0);
    g_assert_cmpint (store_named (cache, "big", bytes), ==, FS_CACHE_COMMIT_STORED);
    g_assert_cmpuint (free_bytes (cache_dir), >=, floor);
    assert_whole (cache, "big");
    assert_clean (cache_dir);
  }
}

static void
test_free_space_floor (TmpfsFixture *fx, gconstpointer user_data)
{
  gboolean percent = GPOINTER_TO_INT (user_data);

  if (g_test_subprocess ())
    {
      floor_body (g_getenv (TMPFS_ENV), percent);
      return;
    }
  if (geteuid () != 0)
    {
      g_test_skip ("mounting a tmpfs needs root");
      return;
    }
  if (!fx->mounted)
    {
      g_test_skip ("could not mount a tmpfs here");
      return;
    }
  g_setenv (TMPFS_ENV, fx->mount_dir, TRUE);
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv (TMPFS_ENV);
  g_test_trap_assert_passed ();
}

/* ------------------------------------------------------------------------ */
/* §5.4: opening a clean cache is O(1) in the number of entries              */

/* System calls of `fs-test-helper open DIR`, by name, from strace -f -c. */
static GHashTable *
count_open_syscalls (const char *strace, const char *cache_dir, guint *out_total)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("fscache-strace-XXXXXX", &error);
  g_autofree char *log_path = g_build_filename (tmp, "counts", NULL);
  g_autofree char *log = NULL;
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;
  GHashTable *counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *asan_options = fs_test_traced_asan_options ();
  const char *argv[] = { strace, "-E",      asan_options, "-f",
                         "-c",   "-o",      log_path,     fs_test_helper_path (),
                         "open", cache_dir, NULL };
  int status = 0;
  guint total = 0;

  g_assert_no_error (error);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                               &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "ok\n");

  g_assert_true (g_file_get_contents (log_path, &log, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " \t", -1);
      g_autoptr (GPtrArray) f = g_ptr_array_new ();
      guint64 calls;

      for (guint j = 0; fields[j] != NULL; j++)
        if (fields[j][0] != '\0')
          g_ptr_array_add (f, fields[j]);
      /* % time, seconds, usecs/call, calls, [errors,] syscall */
      if (f->len < 5 || !g_ascii_string_to_unsigned (f->pdata[3], 10, 0, G_MAXUINT, &calls, NULL))
        continue;
      if (g_str_equal (f->pdata[f->len - 1], "total"))
        {
          total = (guint) calls;
          continue;
        }
      g_hash_table_insert (counts, g_strdup (f->pdata[f->len - 1]), GUINT_TO_POINTER (calls));
    }
  fs_test_rm_rf (tmp);
  g_assert_cmpuint (total, >, 0);
  *out_total = total;
  return counts;
}

static void
make_cache_of (const char *cache_dir, guint n_entries)
{
  g_autoptr (FsCache) cache = fs_test_open_cache (cache_dir);
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
  g_autoptr (GError) error = NULL;

  /* volatile: no sync per commit, to build it fast */
  fs_cache_info_set_volatile (info, TRUE);
  fs_cache_info_set_maximum_size (info, FS_CACHE_SIZE_UNLIMITED);
  g_assert_true (fs_cache_set_info (cache, info, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n_entries; i++)
    {
      g_autofree char *name = g_strdup_printf ("entry-%05u", i);
      g_autoptr (FsCacheEntry) entry = fs_cache_store (cache, name, NULL, &error);

      g_assert_no_error (error);
      fs_test_write_entry_file (entry, "f", 10);
      g_assert_cmpint (fs_test_commit (entry), ==, FS_CACHE_COMMIT_STORED);
    }
  fs_cache_close (cache);
  assert_clean (cache_dir);
  g_assert_cmpuint (fs_test_count_objects (cache_dir), ==, n_entries);
}

static void
compare_counts (GHashTable *a, guint total_a, GHashTable *b, guint total_b)
{
  GHashTableIter iter;
  gpointer key, value;

  g_test_message ("system calls: %u with 10 entries, %u with 2000", total_a, total_b);
  /* calls that read directories, open, stat or read files must not depend
   * on the number of entries at all */
  {
    const char *const exact[] = { "getdents64", "getdents",  "openat", "open",
                                  "newfstatat", "fstatat64", "statx",  "stat",
                                  "lstat",      "read",      "pread64" };
    for (gsize i = 0; i < G_N_ELEMENTS (exact); i++)
      {
        guint ca = GPOINTER_TO_UINT (g_hash_table_lookup (a, exact[i]));
        guint cb = GPOINTER_TO_UINT (g_hash_table_lookup (b, exact[i]));

        if (ca != cb)
          g_test_message ("%s: %u vs %u", exact[i], ca, cb);
        g_assert_cmpuint (ca, ==, cb);
      }
  }
  /* the rest (memory, threads) may move a little */
  g_hash_table_iter_init (&iter, b);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint ca = GPOINTER_TO_UINT (g_hash_table_lookup (a, key));
      guint cb = GPOINTER_TO_UINT (value);
      if (ca != cb)
        g_test_message ("%s: %u vs %u", (const char *) key, ca, cb);
    }
  g_assert_cmpuint (total_b, <=, total_a + 16);
  g_assert_cmpuint (total_a, <=, total_b + 16);
}

static void
test_open_cost (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *strace = g_find_program_in_path ("strace");
  g_autofree char *small = g_build_filename (fx->tmpdir, "small", NULL);
  g_autofree char *large = g_build_filename (fx->tmpdir, "large", NULL);
  g_autoptr (GHashTable) small_counts = NULL;
  g_autoptr (GHashTable) large_counts = NULL;
  guint small_total, large_total;

  if (strace == NULL)
    {
      g_test_skip ("strace is not installed");
      return;
    }
  /* strace may be installed but not allowed (no ptrace in a container) */
  {
    const char *argv[] = { strace, "-f", "-c", "-o", "/dev/null", "true", NULL };
    g_autoptr (GError) error = NULL;
    if (!fs_test_run (argv, NULL, &error))
      {
        g_test_skip ("strace does not work here");
        return;
      }
  }

  make_cache_of (small, 10);
  make_cache_of (large, 2000);

  /* both opens are idle (nobody else has either cache open) */
  small_counts = count_open_syscalls (strace, small, &small_total);
  large_counts = count_open_syscalls (strace, large, &large_total);
  compare_counts (small_counts, small_total, large_counts, large_total);
  assert_clean (small);
  assert_clean (large);

  /* After a crash (a dead journal record: a commit killed after it was
   * accounted), the idle open of the helper repairs it, by itself. */
#if ENABLE_FAULT_INJECTION
  {
    g_autoptr (FsTestHelper) child = NULL;
    g_autoptr (FsTestHelper) opener = NULL;

    child = fs_test_helper_spawn ("--crash-at=commit-accounted", "store", large, "crashed", "50000",
                                  NULL);
    g_assert_cmpint (fs_test_helper_wait (child), ==, 128 + SIGKILL);
    g_assert_cmpuint (fs_test_count_journal_debris (large), >, 0);
    g_assert_cmpuint (fs_test_count_uuid (large), >, 0);

    opener = fs_test_helper_spawn ("open", large, NULL);
    fs_test_helper_close_stdin (opener);
    fs_test_helper_assert_line (opener, "ok");
    g_assert_cmpint (fs_test_helper_wait (opener), ==, 0);
    assert_clean (large);
    g_assert_false (fs_test_entry_is_present (large, "crashed"));
    g_assert_cmpuint (fs_test_count_objects (large), ==, 2000);
  }
#else
  g_test_message ("built without fault injection: the crash part is left out");
#endif
}

/* osbuild creates a temporary file unlocked, locks it, then stat()s its
 * path and fails when it is gone: a young bare uuid-* file may be in that
 * window, and no collector (gc, idle or busy, nor an eviction pass) may
 * take it. An old one is a leftover and goes. */
static void
test_young_temp_file_kept (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *young = bare_temp_file (fx->cache_dir);
  g_autofree char *old = bare_temp_file (fx->cache_dir);
  g_autofree char *young_path = g_build_filename (fx->cache_dir, "objects", young, NULL);
  guint64 reclaimed;
  guint removed;
  gint64 correction;

  /* bare_temp_file() makes leftovers of an hour ago: make one new again */
  g_assert_no_errno (utimensat (AT_FDCWD, young_path, NULL, AT_SYMLINK_NOFOLLOW));

  gc (fx->cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed, &correction);
  g_assert_cmpuint (removed, ==, 1);
  g_assert_true (g_file_test (young_path, G_FILE_TEST_EXISTS));
  {
    g_autofree char *rel = g_build_filename ("objects", old, NULL);
    g_assert_false (exists (fx->cache_dir, rel));
  }

  /* an eviction pass, with the cache in use by another process */
  {
    g_autoptr (FsTestHelper) holder = NULL;

    g_assert_cmpint (store_named (fx->cache, "a", 50000), ==, FS_CACHE_COMMIT_STORED);
    fs_test_set_maximum_size (fx->cache, fs_test_read_cache_size (fx->cache_dir) + 20000);
    holder = fs_test_helper_spawn ("hold", fx->cache_dir, NULL);
    fs_test_helper_assert_line (holder, "ok");
    g_assert_cmpint (store_named (fx->cache, "b", 50000), ==, FS_CACHE_COMMIT_STORED);
    g_assert_true (g_file_test (young_path, G_FILE_TEST_EXISTS));
    g_assert_cmpint (fs_test_helper_wait (holder), ==, 0);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* A failed check marks its test failed and goes on with the others. */
  g_test_set_nonfatal_assertions ();

  g_test_add ("/recovery/idle-open-removes-leftovers-of-killed-processes", FsTestFixture, NULL,
              fs_test_fixture_setup_unlimited, test_idle_open_removes_leftovers,
              fs_test_fixture_teardown);
  g_test_add ("/recovery/never-touches-what-a-live-process-holds", FsTestFixture, NULL,
              fs_test_fixture_setup_unlimited, test_never_touches_live, fs_test_fixture_teardown);
  g_test_add ("/recovery/gc-correction", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_gc_correction, fs_test_fixture_teardown);
  g_test_add ("/recovery/open-cost-independent-of-entries", FsTestFixture, NULL,
              fs_test_fixture_setup, test_open_cost, fs_test_fixture_teardown);
  g_test_add ("/recovery/free-space-floor/bytes", TmpfsFixture, GINT_TO_POINTER (FALSE),
              tmpfs_setup, test_free_space_floor, tmpfs_teardown);
  g_test_add ("/recovery/free-space-floor/percent", TmpfsFixture, GINT_TO_POINTER (TRUE),
              tmpfs_setup, test_free_space_floor, tmpfs_teardown);
  g_test_add ("/recovery/gc-removes-leftovers/idle", FsTestFixture, GINT_TO_POINTER (FALSE),
              fs_test_fixture_setup_unlimited, test_gc_removes_leftovers, fs_test_fixture_teardown);
  g_test_add ("/recovery/gc-removes-leftovers/busy", FsTestFixture, GINT_TO_POINTER (TRUE),
              fs_test_fixture_setup_unlimited, test_gc_removes_leftovers, fs_test_fixture_teardown);
  g_test_add ("/recovery/gc-lockless-folders/stage", FsTestFixture, "stage",
              fs_test_fixture_setup_unlimited, test_gc_lockless_folders, fs_test_fixture_teardown);
  g_test_add ("/recovery/gc-lockless-folders/objects", FsTestFixture, "objects",
              fs_test_fixture_setup_unlimited, test_gc_lockless_folders, fs_test_fixture_teardown);
  g_test_add ("/recovery/young-temp-file-kept", FsTestFixture, NULL,
              fs_test_fixture_setup_unlimited, test_young_temp_file_kept, fs_test_fixture_teardown);
  g_test_add ("/recovery/eviction-removes-leftovers/of-killed-processes", FsTestFixture,
              GINT_TO_POINTER (FALSE), fs_test_fixture_setup_unlimited,
              test_eviction_removes_leftovers, fs_test_fixture_teardown);
  g_test_add ("/recovery/eviction-removes-leftovers/of-other-implementations", FsTestFixture,
              GINT_TO_POINTER (TRUE), fs_test_fixture_setup_unlimited,
              test_eviction_removes_leftovers, fs_test_fixture_teardown);

  return g_test_run ();
}

/* test-flight.c: single flight — fs_cache_load_or_store() across processes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Real processes (tests/fs-test-helper) ask for the same missing name at
 * once: one builds, the others load its entry (the builds are counted in a
 * file each builder appends to). A builder killed, or giving up, hands the
 * build to a waiter. A waiter can be cancelled or time out. Plain stores
 * and osbuild's stores know nothing of flights: an entry they commit ends
 * the wait, and the flight's own commit then finds it (EXISTS).
 */

#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-test-util.h"

static guint
count_lines (const char *path)
{
  g_autofree char *text = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

static guint
count_flight_files (const char *cache_dir)
{
  g_autofree char *dir = g_build_filename (cache_dir, "journal", "flight", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static char *
count_file (FsTestFixture *fx)
{
  return g_build_filename (fx->tmpdir, "builds", NULL);
}

/* A builder that holds the flight of @name until told. */
static FsTestHelper *
spawn_holder (FsTestFixture *fx, const char *name)
{
  g_autofree char *counts = count_file (fx);
  FsTestHelper *holder = fs_test_helper_spawn ("ensure-hold", fx->cache_dir, name, counts, NULL);
  g_autofree char *line = fs_test_helper_read_line (holder);

  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "building "));
  return holder;
}

/* The flight of @name is held by another process: a caller that does not
 * wait is told so. */
static void
assert_flight_held (FsTestFixture *fx, const char *name)
{
  g_autoptr (FsTestHelper) probe =
    fs_test_helper_spawn ("ensure-try", fx->cache_dir, name, "0", NULL);
  g_autofree char *line = fs_test_helper_read_line (probe);

  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "error gio timed-out"));
  g_assert_cmpint (fs_test_helper_wait (probe), ==, 0);
}

static void
test_builds_once (FsTestFixture *fx, gconstpointer data)
{
  guint n = GPOINTER_TO_UINT (data);
  g_autofree char *counts = count_file (fx);
  g_autoptr (GPtrArray) helpers =
    g_ptr_array_new_with_free_func ((GDestroyNotify) fs_test_helper_free);
  guint built = 0, loaded = 0;

  /* The builder takes 300 ms: the others start meanwhile, and wait. */
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (helpers, fs_test_helper_spawn ("ensure", fx->cache_dir, "toolchain", "65536",
                                                    counts, "300", NULL));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *line = fs_test_helper_read_line (helpers->pdata[i]);

      g_assert_nonnull (line);
      if (g_str_equal (line, "built stored"))
        built++;
      else
        {
          g_assert_cmpstr (line, ==, "loaded");
          loaded++;
        }
      g_assert_cmpint (fs_test_helper_wait (helpers->pdata[i]), ==, 0);
    }
  g_assert_cmpuint (built, ==, 1);
  g_assert_cmpuint (loaded, ==, n - 1);
  g_assert_cmpuint (count_lines (counts), ==, 1);
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "toolchain"));
  g_assert_cmpuint (count_flight_files (fx->cache_dir), ==, 0);
  fs_test_assert_consistent (fx->cache_dir);
}

static void
test_killed_builder_hands_over (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *counts = count_file (fx);
  g_autoptr (FsTestHelper) holder = spawn_holder (fx, "t");
  g_autoptr (FsTestHelper) waiter = NULL;
  g_autofree char *line = NULL;
  g_autoptr (GError) error = NULL;
  guint removed = 0;

  assert_flight_held (fx, "t");
  waiter = fs_test_helper_spawn ("ensure", fx->cache_dir, "t", "4096", counts, "0", NULL);
  /* Let it reach its wait (not required: arriving later, it builds too). */
  g_usleep (200 * 1000);
  fs_test_helper_kill (holder);

  line = fs_test_helper_read_line (waiter);
  g_assert_cmpstr (line, ==, "built stored");
  g_assert_cmpint (fs_test_helper_wait (waiter), ==, 0);
  g_assert_cmpuint (count_lines (counts), ==, 2);
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "t"));

  /* The killed builder's anonymous entry goes with the next collection. */
  g_assert_true (fs_cache_collect_garbage (fx->cache, FS_CACHE_MAINTENANCE_NONE, &removed, NULL,
                                           NULL, NULL, &error));
  g_assert_no_error (error);
  fs_test_assert_consistent (fx->cache_dir);
  g_assert_cmpuint (count_flight_files (fx->cache_dir), ==, 0);
}

static void
test_failed_builder_hands_over (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *counts = count_file (fx);
  g_autoptr (FsTestHelper) holder = spawn_holder (fx, "t");
  g_autoptr (FsTestHelper) waiter = NULL;
  g_autofree char *line = NULL;

  waiter = fs_test_helper_spawn ("ensure", fx->cache_dir, "t", "4096", counts, "0", NULL);
  g_usleep (200 * 1000);
  fs_test_helper_write_line (holder, "fail");
  fs_test_helper_assert_line (holder, "gave up");

  line = fs_test_helper_read_line (waiter);
  g_assert_cmpstr (line, ==, "built stored");
  g_assert_cmpuint (count_lines (counts), ==, 2);
  fs_test_assert_consistent (fx->cache_dir);
  g_assert_cmpuint (count_flight_files (fx->cache_dir), ==, 0);
}

typedef struct {
  FsCache *cache;
  GCancellable *cancellable;
  GError *error;
  FsCacheEntry *entry;
} WaitData;

static gpointer
wait_thread (gpointer p)
{
  WaitData *data = p;

  data->entry = fs_cache_load_or_store (data->cache, "t", -1, data->cancellable, &data->error);
  return NULL;
}

static void
on_result (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static void
test_waiter_cancelled_or_timed_out (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (FsTestHelper) holder = spawn_holder (fx, "t");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  GAsyncResult *result = NULL;
  WaitData wait = { fx->cache, cancellable, NULL, NULL };
  GThread *thread;

  /* Sync, from another thread. */
  thread = g_thread_new ("waiter", wait_thread, &wait);
  g_usleep (100 * 1000);
  g_cancellable_cancel (cancellable);
  g_thread_join (thread);
  g_assert_null (wait.entry);
  g_assert_error (wait.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&wait.error);

  /* Timed out, and not waiting at all. */
  entry = fs_cache_load_or_store (fx->cache, "t", 50, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_null (entry);
  g_clear_error (&error);
  entry = fs_cache_load_or_store (fx->cache, "t", 0, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);

  /* Async, cancelled. */
  g_cancellable_reset (cancellable);
  fs_cache_load_or_store_async (fx->cache, "t", -1, G_PRIORITY_DEFAULT, cancellable, on_result,
                                &result);
  g_cancellable_cancel (cancellable);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  entry = fs_cache_load_or_store_finish (fx->cache, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (entry);
  g_clear_error (&error);
  g_clear_object (&result);

  /* The holder commits: now an async caller gets it loaded. */
  fs_test_helper_write_line (holder, "commit");
  fs_test_helper_assert_line (holder, "built stored");
  fs_cache_load_or_store_async (fx->cache, "t", -1, G_PRIORITY_DEFAULT, NULL, on_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  entry = fs_cache_load_or_store_finish (fx->cache, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fs_cache_entry_get_kind (entry), ==, FS_CACHE_ENTRY_KIND_LOADED);
  g_clear_object (&result);
}

/* No flight of its own: the caller builds, in this process. */
static void
test_in_process (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) first = fs_cache_load_or_store (fx->cache, "t", -1, NULL, &error);
  g_autoptr (FsCacheEntry) other = NULL;
  g_autoptr (FsCacheEntry) again = NULL;
  g_autoptr (FsCacheStats) stats = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (fs_cache_entry_get_kind (first), ==, FS_CACHE_ENTRY_KIND_STORING);
  g_assert_cmpuint (count_flight_files (fx->cache_dir), ==, 1);

  /* Another open cache of this process is another builder: it waits. */
  {
    g_autoptr (FsCache) cache2 = fs_test_open_cache (fx->cache_dir);
    other = fs_cache_load_or_store (cache2, "t", 0, NULL, &error);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
    g_clear_error (&error);
  }

  fs_test_write_entry_file (first, "file", 4096);
  g_assert_cmpint (fs_test_commit (first), ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (count_flight_files (fx->cache_dir), ==, 0);
  again = fs_cache_load_or_store (fx->cache, "t", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fs_cache_entry_get_kind (again), ==, FS_CACHE_ENTRY_KIND_LOADED);

  /* A builder that gives up without committing lands its flight too. */
  g_clear_object (&first);
  first = fs_cache_load_or_store (fx->cache, "u", -1, NULL, &error);
  g_assert_cmpint (fs_cache_entry_get_kind (first), ==, FS_CACHE_ENTRY_KIND_STORING);
  fs_cache_entry_release (first);
  g_assert_cmpuint (count_flight_files (fx->cache_dir), ==, 0);
  fs_test_assert_consistent (fx->cache_dir);

  /* Two misses (t, u), one hit (t). */
  stats = fs_cache_get_stats (fx->cache, NULL, &error);
  g_assert_cmpuint (fs_cache_stats_get_misses (stats), ==, 2);
  g_assert_cmpuint (fs_cache_stats_get_hits (stats), ==, 1);
}

static void
test_plain_store_ends_the_wait (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *counts = count_file (fx);
  g_autoptr (FsTestHelper) holder = spawn_holder (fx, "t");
  g_autoptr (FsTestHelper) waiter = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;

  waiter = fs_test_helper_spawn ("ensure", fx->cache_dir, "t", "4096", counts, "0", NULL);
  g_usleep (100 * 1000);
  /* A plain store knows nothing of the flight. */
  fs_test_store_committed (fx->cache, "t", 8192);
  fs_test_helper_assert_line (waiter, "loaded");
  entry = fs_cache_load_or_store (fx->cache, "t", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fs_cache_entry_get_kind (entry), ==, FS_CACHE_ENTRY_KIND_LOADED);
  g_clear_object (&entry);

  /* The flight's own commit finds it. */
  fs_test_helper_write_line (holder, "commit");
  fs_test_helper_assert_line (holder, "built exists");
  g_assert_cmpuint (count_lines (counts), ==, 1);
  fs_test_assert_consistent (fx->cache_dir);
}

/* An entry committed the way osbuild commits: a folder uuid-X with data/,
 * object.lock and object.info, the counter raised, then the rename. */
static void
osbuild_commit (const char *cache_dir, const char *name)
{
  g_autofree char *tmp =
    g_build_filename (cache_dir, "objects", "uuid-00112233445566778899aabbccddeeff", NULL);
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *file = g_build_filename (data, "file", NULL);
  g_autofree char *lock = g_build_filename (tmp, "object.lock", NULL);
  g_autofree char *info = g_build_filename (tmp, "object.info", NULL);
  g_autofree char *info_text = NULL;
  g_autofree char *size_file = g_build_filename (cache_dir, "cache.size", NULL);
  g_autofree char *size_text = NULL;
  g_autofree char *target = g_build_filename (cache_dir, "objects", name, NULL);
  guint64 size;

  g_assert_cmpint (g_mkdir_with_parents (data, 0755), ==, 0);
  fs_test_write_file (file, 4096);
  fs_test_write_text (lock, "", 0);
  size = fs_test_tree_space (data);
  info_text = g_strdup_printf ("{\"size\": %" G_GUINT64_FORMAT "}", size);
  fs_test_write_text (info, info_text, -1);
  size_text = g_strdup_printf ("%" G_GUINT64_FORMAT, fs_test_read_cache_size (cache_dir) + size);
  fs_test_write_text (size_file, size_text, -1);
  g_assert_cmpint (rename (tmp, target), ==, 0);
}

static void
test_osbuild_store_ends_the_wait (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *counts = count_file (fx);
  g_autoptr (FsTestHelper) holder = spawn_holder (fx, "t");
  g_autoptr (FsTestHelper) waiter = NULL;

  waiter = fs_test_helper_spawn ("ensure", fx->cache_dir, "t", "4096", counts, "0", NULL);
  g_usleep (100 * 1000);
  osbuild_commit (fx->cache_dir, "t");
  fs_test_helper_assert_line (waiter, "loaded");
  fs_test_helper_write_line (holder, "commit");
  fs_test_helper_assert_line (holder, "built exists");
  g_assert_cmpuint (count_lines (counts), ==, 1);
  fs_test_assert_consistent (fx->cache_dir);
}

/* A builder killed with nobody waiting leaves its flight file: gc removes
 * it (and counts it), never the one of a live builder. */
static void
test_stale_flight_swept (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (FsTestHelper) dead = spawn_holder (fx, "dead");
  g_autoptr (FsTestHelper) alive = spawn_holder (fx, "alive");
  g_autoptr (GError) error = NULL;
  guint removed = 0;

  fs_test_helper_kill (dead);
  g_assert_cmpuint (count_flight_files (fx->cache_dir), ==, 2);
  g_assert_true (fs_cache_collect_garbage (fx->cache, FS_CACHE_MAINTENANCE_NONE, &removed, NULL,
                                           NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (removed, >=, 1);
  g_assert_cmpuint (count_flight_files (fx->cache_dir), ==, 1);
  assert_flight_held (fx, "alive");
  fs_test_helper_write_line (alive, "commit");
  fs_test_helper_assert_line (alive, "built stored");
  g_assert_cmpuint (count_flight_files (fx->cache_dir), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, data, func)                                                   \
  g_test_add (path, FsTestFixture, data, fs_test_fixture_setup_unlimited, func, \
              fs_test_fixture_teardown)

  ADD ("/flight/builds-once/3", GUINT_TO_POINTER (3), test_builds_once);
  ADD ("/flight/builds-once/8", GUINT_TO_POINTER (8), test_builds_once);
  ADD ("/flight/killed-builder-hands-over", NULL, test_killed_builder_hands_over);
  ADD ("/flight/failed-builder-hands-over", NULL, test_failed_builder_hands_over);
  ADD ("/flight/waiter-cancelled-or-timed-out", NULL, test_waiter_cancelled_or_timed_out);
  ADD ("/flight/in-process", NULL, test_in_process);
  ADD ("/flight/plain-store-ends-the-wait", NULL, test_plain_store_ends_the_wait);
  ADD ("/flight/osbuild-store-ends-the-wait", NULL, test_osbuild_store_ends_the_wait);
  ADD ("/flight/stale-flight-swept", NULL, test_stale_flight_swept);
#undef ADD

  return g_test_run ();
}

/* test-locks.c: the lock protocol between real processes (DESIGN §3)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The other process is tests/fs-test-helper, started with GSubprocess (which
 * closes our descriptors in the child, so it never shares our OFD locks).
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-test-util.h"

static char *
object_lock (FsTestFixture *fx, const char *name)
{
  return g_build_filename (fx->cache_dir, "objects", name, "object.lock", NULL);
}

static void
assert_load_hit (FsTestFixture *fx, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = fs_cache_load (fx->cache, name, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (entry);
  g_assert_cmpstr (fs_cache_entry_get_name (entry), ==, name);
}

static void
assert_load_miss (FsTestFixture *fx, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = fs_cache_load (fx->cache, name, NULL, &error);

  g_assert_null (entry);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
}

/* A loaded entry can't be write-locked by another process until released. */
static void
test_loaded_blocks_writers (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *lock = object_lock (fx, "a");
  g_autoptr (FsTestHelper) reader = NULL;

  fs_test_store_committed (fx->cache, "a", 1000);
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));

  reader = fs_test_helper_spawn ("load", fx->cache_dir, "a", NULL);
  fs_test_helper_assert_line (reader, "hit");

  g_assert_false (fs_test_can_lock (lock, F_WRLCK));
  g_assert_true (fs_test_can_lock (lock, F_RDLCK));

  /* a writer in a third process is refused too */
  {
    g_autoptr (FsTestHelper) writer =
      fs_test_helper_spawn ("lock", fx->cache_dir, "a", "write", NULL);

    fs_test_helper_assert_line (writer, "busy");
    g_assert_cmpint (fs_test_helper_wait (writer), ==, 0);
  }

  fs_test_helper_close_stdin (reader);
  fs_test_helper_assert_line (reader, "released");
  /* released, still running: the lock is free already */
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));
  g_assert_cmpint (fs_test_helper_wait (reader), ==, 0);
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));
  fs_test_assert_consistent (fx->cache_dir);
}

/* An entry loaded here can't be write-locked by another process. */
static void
test_loaded_here_blocks_other_process (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  fs_test_store_committed (fx->cache, "a", 1000);
  entry = fs_cache_load (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);

  {
    g_autoptr (FsTestHelper) writer =
      fs_test_helper_spawn ("lock", fx->cache_dir, "a", "write", NULL);
    fs_test_helper_assert_line (writer, "busy");
    g_assert_cmpint (fs_test_helper_wait (writer), ==, 0);
  }

  fs_cache_entry_release (entry);

  {
    g_autoptr (FsTestHelper) writer =
      fs_test_helper_spawn ("lock", fx->cache_dir, "a", "write", NULL);
    fs_test_helper_assert_line (writer, "locked");
    g_assert_cmpint (fs_test_helper_wait (writer), ==, 0);
  }
}

/* Loads in two processes (and this one) share the entry. */
static void
test_loads_are_shared (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *lock = object_lock (fx, "a");
  g_autoptr (FsTestHelper) r1 = NULL;
  g_autoptr (FsTestHelper) r2 = NULL;

  fs_test_store_committed (fx->cache, "a", 1000);

  r1 = fs_test_helper_spawn ("load", fx->cache_dir, "a", NULL);
  fs_test_helper_assert_line (r1, "hit");
  r2 = fs_test_helper_spawn ("load", fx->cache_dir, "a", NULL);
  fs_test_helper_assert_line (r2, "hit");
  assert_load_hit (fx, "a");

  /* one reader leaving does not free the entry while the other holds it */
  fs_test_helper_close_stdin (r1);
  fs_test_helper_assert_line (r1, "released");
  g_assert_cmpint (fs_test_helper_wait (r1), ==, 0);
  g_assert_false (fs_test_can_lock (lock, F_WRLCK));

  fs_test_helper_close_stdin (r2);
  fs_test_helper_assert_line (r2, "released");
  g_assert_cmpint (fs_test_helper_wait (r2), ==, 0);
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));
}

/* A store in progress in another process is a miss here until committed. */
static void
test_store_in_progress_is_miss (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsTestHelper) writer = NULL;
  g_autofree char *ready = NULL;
  g_autofree char *anon_dir = NULL;
  g_autofree char *anon_lock = NULL;
  g_autofree char *objects = g_build_filename (fx->cache_dir, "objects", NULL);
  g_autofree char *anon_parent = NULL;

  writer = fs_test_helper_spawn ("store-commit", fx->cache_dir, "a", "20000", NULL);
  ready = fs_test_helper_read_line (writer);
  g_assert_nonnull (ready);
  g_assert_true (g_str_has_prefix (ready, "ready "));

  /* its anonymous entry lives in objects/ and is write-locked */
  anon_dir = g_path_get_dirname (ready + strlen ("ready "));
  anon_parent = g_path_get_dirname (anon_dir);
  g_assert_cmpstr (anon_parent, ==, objects);
  anon_lock = g_build_filename (anon_dir, "object.lock", NULL);
  g_assert_false (fs_test_can_lock (anon_lock, F_RDLCK));

  /* the name is a miss here and in a third process */
  assert_load_miss (fx, "a");
  {
    g_autoptr (FsTestHelper) reader = fs_test_helper_spawn ("load", fx->cache_dir, "a", NULL);

    fs_test_helper_assert_line (reader, "miss");
    fs_test_helper_close_stdin (reader);
    fs_test_helper_assert_line (reader, "released");
    g_assert_cmpint (fs_test_helper_wait (reader), ==, 0);
  }

  /* commit: now it is a hit, with the size of its object.info */
  fs_test_helper_write_line (writer, "commit");
  fs_test_helper_assert_line (writer, "stored");
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (FsCacheEntry) entry = fs_cache_load (fx->cache, "a", NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (fs_cache_entry_get_size (entry), ==,
                      fs_test_read_object_size (fx->cache_dir, "a"));
    g_assert_cmpuint (fs_cache_entry_get_size (entry), ==,
                      fs_test_tree_space (fs_cache_entry_get_path (entry)));
  }
  fs_test_helper_close_stdin (writer);
  fs_test_helper_assert_line (writer, "released");
  g_assert_cmpint (fs_test_helper_wait (writer), ==, 0);
  g_assert_false (g_file_test (anon_dir, G_FILE_TEST_EXISTS));
  fs_test_assert_consistent (fx->cache_dir);
}

/* A committed entry write-locked by another process (a writer removing or
 * replacing it, e.g. osbuild) is a miss; it is a hit again once unlocked. */
static void
test_write_locked_entry_is_miss (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsTestHelper) locker = NULL;

  fs_test_store_committed (fx->cache, "a", 1000);
  assert_load_hit (fx, "a");

  locker = fs_test_helper_spawn ("lock", fx->cache_dir, "a", "write", NULL);
  fs_test_helper_assert_line (locker, "locked");
  assert_load_miss (fx, "a");

  fs_test_helper_close_stdin (locker);
  g_assert_cmpint (fs_test_helper_wait (locker), ==, 0);
  assert_load_hit (fx, "a");
}

/* A store held open without commit in another process leaves nothing once
 * released. */
static void
test_store_hold_release (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsTestHelper) writer = NULL;
  g_autofree char *ready = NULL;
  g_autofree char *anon_dir = NULL;

  writer = fs_test_helper_spawn ("store-hold", fx->cache_dir, "a", NULL);
  ready = fs_test_helper_read_line (writer);
  g_assert_nonnull (ready);
  g_assert_true (g_str_has_prefix (ready, "ready "));
  anon_dir = g_path_get_dirname (ready + strlen ("ready "));
  g_assert_true (g_file_test (anon_dir, G_FILE_TEST_IS_DIR));
  assert_load_miss (fx, "a");

  fs_test_helper_close_stdin (writer);
  fs_test_helper_assert_line (writer, "released");
  g_assert_cmpint (fs_test_helper_wait (writer), ==, 0);
  g_assert_false (g_file_test (anon_dir, G_FILE_TEST_EXISTS));
  assert_load_miss (fx, "a");
  fs_test_assert_consistent (fx->cache_dir);
}

/* Two processes store the same name: one wins, the other gets EXISTS. */
static void
test_store_race (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) mine = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (FsTestHelper) other = NULL;
  g_autofree char *mine_dir = NULL;

  mine = fs_cache_store (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  mine_dir = g_path_get_dirname (fs_cache_entry_get_path (mine));
  fs_test_write_entry_file (mine, "file", 1000);

  other = fs_test_helper_spawn ("store", fx->cache_dir, "a", "3000", NULL);
  fs_test_helper_assert_line (other, "stored");
  g_assert_cmpint (fs_test_helper_wait (other), ==, 0);

  g_assert_cmpint (fs_test_commit (mine), ==, FS_CACHE_COMMIT_EXISTS);
  g_assert_true (fs_cache_entry_is_released (mine));
  g_assert_false (g_file_test (mine_dir, G_FILE_TEST_EXISTS));
  fs_test_assert_consistent (fx->cache_dir);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);

  /* and the other process's data is what is stored */
  {
    g_autoptr (FsCacheEntry) loaded = fs_cache_load (fx->cache, "a", NULL, &error);
    g_autofree char *file = NULL;
    struct stat st;

    g_assert_no_error (error);
    file = g_build_filename (fs_cache_entry_get_path (loaded), "file", NULL);
    g_assert_cmpint (stat (file, &st), ==, 0);
    g_assert_cmpint (st.st_size, ==, 3000);
  }
}

/* A process that dies without releasing (SIGKILL) leaves no lock behind. */
static void
test_crash_leaves_no_lock (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *lock = object_lock (fx, "a");
  g_autofree char *cache_lock = g_build_filename (fx->cache_dir, "cache.lock", NULL);
  g_autofree char *ready = NULL;
  g_autofree char *anon_dir = NULL;
  g_autofree char *anon_lock = NULL;
  g_autoptr (FsTestHelper) reader = NULL;
  g_autoptr (FsTestHelper) writer = NULL;

  fs_test_store_committed (fx->cache, "a", 1000);
  /* This process lets go of the cache so cache.lock can be checked too. */
  fs_cache_close (fx->cache);
  g_assert_true (fs_test_can_lock (cache_lock, F_WRLCK));

  reader = fs_test_helper_spawn ("load", fx->cache_dir, "a", NULL);
  fs_test_helper_assert_line (reader, "hit");
  writer = fs_test_helper_spawn ("store-hold", fx->cache_dir, "b", NULL);
  ready = fs_test_helper_read_line (writer);
  g_assert_nonnull (ready);
  g_assert_true (g_str_has_prefix (ready, "ready "));
  anon_dir = g_path_get_dirname (ready + strlen ("ready "));
  anon_lock = g_build_filename (anon_dir, "object.lock", NULL);

  g_assert_false (fs_test_can_lock (lock, F_WRLCK));
  g_assert_false (fs_test_can_lock (anon_lock, F_RDLCK));
  g_assert_false (fs_test_can_lock (cache_lock, F_WRLCK));

  fs_test_helper_kill (reader);
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));
  g_assert_false (fs_test_can_lock (cache_lock, F_WRLCK)); /* the writer still has it open */

  fs_test_helper_kill (writer);
  g_assert_true (fs_test_can_lock (anon_lock, F_WRLCK));
  g_assert_true (fs_test_can_lock (cache_lock, F_WRLCK));

  /* the entry is still served */
  {
    g_autoptr (FsCache) cache = fs_test_open_cache (fx->cache_dir);
    g_autoptr (GError) error = NULL;
    g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, "a", NULL, &error);

    g_assert_no_error (error);
    g_assert_nonnull (entry);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                                         \
  g_test_add (path, FsTestFixture, NULL, fs_test_fixture_setup_unlimited, func, \
              fs_test_fixture_teardown)

  ADD ("/locks/loaded-blocks-writers", test_loaded_blocks_writers);
  ADD ("/locks/loaded-here-blocks-other-process", test_loaded_here_blocks_other_process);
  ADD ("/locks/loads-are-shared", test_loads_are_shared);
  ADD ("/locks/store-in-progress-is-miss", test_store_in_progress_is_miss);
  ADD ("/locks/write-locked-entry-is-miss", test_write_locked_entry_is_miss);
  ADD ("/locks/store-hold-release", test_store_hold_release);
  ADD ("/locks/store-race", test_store_race);
  ADD ("/locks/crash-leaves-no-lock", test_crash_leaves_no_lock);

#undef ADD

  return g_test_run ();
}

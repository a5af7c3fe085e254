/* test-entry.c: load, store, stage, commit, release (DESIGN §4)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-test-util.h"

/* objects/uuid-HEX of a storing entry, from its data path */
static char *
entry_dir (FsCacheEntry *entry)
{
  return g_path_get_dirname (fs_cache_entry_get_path (entry));
}

static void
assert_anonymous_path (FsCacheEntry *entry, const char *parent)
{
  const char *path = fs_cache_entry_get_path (entry);
  g_autofree char *dir = NULL;
  g_autofree char *dir_parent = NULL;
  g_autofree char *base = NULL;
  g_autofree char *dir_base = NULL;
  GFile *file;
  g_autofree char *file_path = NULL;

  g_assert_nonnull (path);
  g_assert_true (g_path_is_absolute (path));
  base = g_path_get_basename (path);
  g_assert_cmpstr (base, ==, "data");
  dir = g_path_get_dirname (path);
  dir_base = g_path_get_basename (dir);
  g_assert_true (g_str_has_prefix (dir_base, "uuid-"));
  g_assert_cmpuint (strlen (dir_base), >, strlen ("uuid-"));
  dir_parent = g_path_get_dirname (dir);
  g_assert_cmpstr (dir_parent, ==, parent);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));

  file = fs_cache_entry_get_file (entry);
  g_assert_nonnull (file);
  file_path = g_file_get_path (file);
  g_assert_cmpstr (file_path, ==, path);
}

static void
assert_last_used_recent (FsCacheEntry *entry)
{
  GDateTime *last_used = fs_cache_entry_get_last_used (entry);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  GTimeSpan diff;

  g_assert_nonnull (last_used);
  diff = g_date_time_difference (now, last_used);
  g_assert_cmpint (ABS (diff), <, 5 * 60 * G_TIME_SPAN_SECOND);
}

static void
test_load_miss (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;

  entry = fs_cache_load (fx->cache, "absent", NULL, &error);
  g_assert_null (entry);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  fs_test_assert_consistent (fx->cache_dir);
}

static void
test_stored (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *objects = g_build_filename (fx->cache_dir, "objects", NULL);
  g_autofree char *expected = g_build_filename (objects, "a", "data", NULL);
  g_autofree char *lock = g_build_filename (objects, "a", "object.lock", NULL);
  g_autofree char *anon_dir = NULL;
  g_autofree char *anon_lock = NULL;
  g_autofree char *file = NULL;
  g_autofree char *link_path = NULL;
  g_autofree char *sym = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheEntry) again = NULL;
  g_autoptr (FsCacheEntry) third = NULL;
  GFile *gfile;
  g_autofree char *gfile_path = NULL;
  g_autoptr (GError) error = NULL;
  struct stat st_file, st_link;
  guint64 size;

  entry = fs_cache_store (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (entry);
  g_assert_cmpint (fs_cache_entry_get_kind (entry), ==, FS_CACHE_ENTRY_KIND_STORING);
  g_assert_null (fs_cache_entry_get_name (entry));
  g_assert_false (fs_cache_entry_is_released (entry));
  assert_anonymous_path (entry, objects);

  /* A writer holds the entry's lock exclusively. */
  anon_dir = entry_dir (entry);
  anon_lock = g_build_filename (anon_dir, "object.lock", NULL);
  g_assert_false (fs_test_can_lock (anon_lock, F_RDLCK));

  /* Not visible under its name before the commit. */
  {
    g_autoptr (FsCacheEntry) early = fs_cache_load (fx->cache, "a", NULL, &error);

    g_assert_null (early);
    g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
    g_clear_error (&error);
  }

  /* a tree: files, an empty file, nested directories, a hard link, a symlink */
  fs_test_write_entry_file (entry, "file", 10000);
  fs_test_write_entry_file (entry, "empty", 0);
  fs_test_write_entry_file (entry, "sub/dir/nested", 3000);
  file = g_build_filename (fs_cache_entry_get_path (entry), "file", NULL);
  link_path = g_build_filename (fs_cache_entry_get_path (entry), "link", NULL);
  sym = g_build_filename (fs_cache_entry_get_path (entry), "sym", NULL);
  g_assert_cmpint (link (file, link_path), ==, 0);
  g_assert_cmpint (symlink ("file", sym), ==, 0);

  g_assert_cmpint (fs_test_commit (entry), ==, FS_CACHE_COMMIT_STORED);

  g_assert_cmpint (fs_cache_entry_get_kind (entry), ==, FS_CACHE_ENTRY_KIND_LOADED);
  g_assert_cmpstr (fs_cache_entry_get_name (entry), ==, "a");
  g_assert_cmpstr (fs_cache_entry_get_path (entry), ==, expected);
  g_assert_true (g_str_has_suffix (fs_cache_entry_get_path (entry), "/objects/a/data"));
  gfile = fs_cache_entry_get_file (entry);
  gfile_path = g_file_get_path (gfile);
  g_assert_cmpstr (gfile_path, ==, expected);
  g_assert_false (fs_cache_entry_is_released (entry));
  g_assert_false (g_file_test (anon_dir, G_FILE_TEST_EXISTS));

  size = fs_cache_entry_get_size (entry);
  g_assert_cmpuint (size, >, 10000 + 3000);
  g_assert_cmpuint (size, ==, fs_test_tree_space (expected));
  g_assert_cmpuint (size, ==, fs_test_read_object_size (fx->cache_dir, "a"));
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size);
  fs_test_assert_consistent (fx->cache_dir);

  /* the tree is intact: hard link kept, symlink kept */
  {
    g_autofree char *cfile = g_build_filename (expected, "file", NULL);
    g_autofree char *clink = g_build_filename (expected, "link", NULL);
    g_autofree char *csym = g_build_filename (expected, "sym", NULL);
    g_autofree char *target = NULL;

    g_assert_cmpint (lstat (cfile, &st_file), ==, 0);
    g_assert_cmpint (lstat (clink, &st_link), ==, 0);
    g_assert_cmpuint (st_file.st_ino, ==, st_link.st_ino);
    g_assert_cmpint (st_file.st_size, ==, 10000);
    target = g_file_read_link (csym, NULL);
    g_assert_cmpstr (target, ==, "file");
  }

  /* After STORED the entry read-locks the object: no writer, readers ok. */
  g_assert_false (fs_test_can_lock (lock, F_WRLCK));
  g_assert_true (fs_test_can_lock (lock, F_RDLCK));
  assert_last_used_recent (entry);

  /* It can be loaded while the stored entry is still held. */
  again = fs_cache_load (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fs_cache_entry_get_kind (again), ==, FS_CACHE_ENTRY_KIND_LOADED);
  g_assert_cmpstr (fs_cache_entry_get_name (again), ==, "a");
  g_assert_cmpstr (fs_cache_entry_get_path (again), ==, expected);
  g_assert_cmpuint (fs_cache_entry_get_size (again), ==, size);
  assert_last_used_recent (again);

  fs_cache_entry_release (entry);
  g_assert_true (fs_cache_entry_is_released (entry));
  g_assert_false (fs_test_can_lock (lock, F_WRLCK)); /* `again` still reads it */
  fs_cache_entry_release (again);
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));

  /* and once more after everything was released */
  third = fs_cache_load (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fs_cache_entry_get_size (third), ==, size);
  g_assert_true (g_file_test (expected, G_FILE_TEST_IS_DIR));
  fs_test_assert_consistent (fx->cache_dir);
}

/* An entry with nothing in data/ is stored; its size is data/ itself. */
static void
test_stored_empty (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  entry = fs_cache_store (fx->cache, "empty", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fs_test_commit (entry), ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (fs_cache_entry_get_size (entry), >, 0);
  g_assert_cmpuint (fs_cache_entry_get_size (entry), ==,
                    fs_test_tree_space (fs_cache_entry_get_path (entry)));
  fs_test_assert_consistent (fx->cache_dir);
}

/* Sizes are space used: a sparse file counts what it takes. */
static void
test_stored_sparse (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  int fd;

  entry = fs_cache_store (fx->cache, "sparse", NULL, &error);
  g_assert_no_error (error);
  path = g_build_filename (fs_cache_entry_get_path (entry), "sparse", NULL);
  fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, "x", 1, 64 * 1024 * 1024), ==, 1);
  close (fd);

  g_assert_cmpint (fs_test_commit (entry), ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (fs_cache_entry_get_size (entry), ==,
                    fs_test_tree_space (fs_cache_entry_get_path (entry)));
  g_assert_cmpuint (fs_cache_entry_get_size (entry), <, 1024 * 1024);
  fs_test_assert_consistent (fx->cache_dir);
}

/* Storing a name that exists: the second commit says EXISTS and cleans up. */
static void
test_exists_sequential (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) first = NULL;
  g_autoptr (FsCacheEntry) second = NULL;
  g_autoptr (FsCacheEntry) loaded = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *second_dir = NULL;
  g_autofree char *content = NULL;
  FsCacheCommitStatus status;
  guint64 size;

  first = fs_test_store_commit (fx->cache, "a", 1000, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  size = fs_cache_entry_get_size (first);
  fs_cache_entry_release (first);

  second = fs_cache_store (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);
  second_dir = entry_dir (second);
  fs_test_write_entry_file (second, "file", 50000);
  g_assert_cmpint (fs_test_commit (second), ==, FS_CACHE_COMMIT_EXISTS);
  g_assert_true (fs_cache_entry_is_released (second));
  g_assert_false (g_file_test (second_dir, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);

  /* The first one is untouched. */
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size);
  loaded = fs_cache_load (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fs_cache_entry_get_size (loaded), ==, size);
  content = g_build_filename (fs_cache_entry_get_path (loaded), "file", NULL);
  {
    struct stat st;

    g_assert_cmpint (stat (content, &st), ==, 0);
    g_assert_cmpint (st.st_size, ==, 1000);
  }
  fs_test_assert_consistent (fx->cache_dir);
}

/* Two stores of one name in flight: the first commit wins. */
static void
test_exists_concurrent (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) e1 = NULL;
  g_autoptr (FsCacheEntry) e2 = NULL;
  g_autoptr (FsCacheEntry) loaded = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *e1_dir = NULL;
  g_autofree char *e2_dir = NULL;
  g_autofree char *file = NULL;
  struct stat st;

  e1 = fs_cache_store (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  e2 = fs_cache_store (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  e1_dir = entry_dir (e1);
  e2_dir = entry_dir (e2);
  g_assert_cmpstr (e1_dir, !=, e2_dir);
  fs_test_write_entry_file (e1, "file", 1000);
  fs_test_write_entry_file (e2, "file", 2000);

  g_assert_cmpint (fs_test_commit (e2), ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpint (fs_test_commit (e1), ==, FS_CACHE_COMMIT_EXISTS);
  g_assert_true (fs_cache_entry_is_released (e1));
  g_assert_false (fs_cache_entry_is_released (e2));
  g_assert_false (g_file_test (e1_dir, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, fs_cache_entry_get_size (e2));
  fs_test_assert_consistent (fx->cache_dir);

  loaded = fs_cache_load (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  file = g_build_filename (fs_cache_entry_get_path (loaded), "file", NULL);
  g_assert_cmpint (stat (file, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 2000);
}

/* A new cache has no maximum size: nothing is kept. */
static void
test_too_large_unset (FsTestFixture *fx, gconstpointer user_data)
{
  const gsize sizes[] = { 0, 1, 100000 };
  g_autoptr (FsCacheInfo) info = fs_test_dup_info (fx->cache);

  g_assert_false (fs_cache_info_has_maximum_size (info));

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr (FsCacheEntry) entry = NULL;
      g_autoptr (FsCacheEntry) loaded = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *name = g_strdup_printf ("e%zu", i);
      g_autofree char *dir = NULL;

      entry = fs_cache_store (fx->cache, name, NULL, &error);
      g_assert_no_error (error);
      dir = entry_dir (entry);
      if (sizes[i] > 0)
        fs_test_write_entry_file (entry, "file", sizes[i]);
      g_assert_cmpint (fs_test_commit (entry), ==, FS_CACHE_COMMIT_TOO_LARGE);
      g_assert_true (fs_cache_entry_is_released (entry));
      g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));

      loaded = fs_cache_load (fx->cache, name, NULL, &error);
      g_assert_null (loaded);
      g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
    }

  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 0);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 0);
  fs_test_assert_consistent (fx->cache_dir);
}

/* Explicit maximum size 0 behaves like unset. */
static void
test_too_large_zero (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  FsCacheCommitStatus status;

  fs_test_set_maximum_size (fx->cache, 0);
  entry = fs_test_store_commit (fx->cache, "z", 10, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_TOO_LARGE);
  g_assert_true (fs_cache_entry_is_released (entry));
  fs_test_assert_consistent (fx->cache_dir);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 0);
}

static void
test_too_large (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) big = NULL;
  g_autoptr (FsCacheEntry) small = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *big_dir = NULL;
  const guint64 maximum = 64 * 1024;

  fs_test_set_maximum_size (fx->cache, maximum);

  big = fs_cache_store (fx->cache, "big", NULL, &error);
  g_assert_no_error (error);
  big_dir = entry_dir (big);
  fs_test_write_entry_file (big, "file", 1024 * 1024);
  g_assert_cmpint (fs_test_commit (big), ==, FS_CACHE_COMMIT_TOO_LARGE);
  g_assert_true (fs_cache_entry_is_released (big));
  g_assert_false (g_file_test (big_dir, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 0);

  /* a small one fits */
  small = fs_cache_store (fx->cache, "small", NULL, &error);
  g_assert_no_error (error);
  fs_test_write_entry_file (small, "file", 100);
  g_assert_cmpint (fs_test_commit (small), ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (fs_cache_entry_get_size (small), <=, maximum);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, fs_cache_entry_get_size (small));
  fs_test_assert_consistent (fx->cache_dir);
}

/* An entry that fits under the maximum, but not beside the entries the cache
 * holds (held loaded here, so no eviction can free them). */
static void
test_no_space (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) a = NULL;
  g_autoptr (FsCacheEntry) b = NULL;
  g_autoptr (FsCacheEntry) c = NULL;
  g_autoptr (FsCacheEntry) still = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *b_dir = NULL;
  FsCacheCommitStatus status;
  guint64 size_a, maximum, used = 0, max_out = 0;

  a = fs_test_store_commit (fx->cache, "a", 100000, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  size_a = fs_cache_entry_get_size (a);
  maximum = size_a + size_a / 2;
  fs_test_set_maximum_size (fx->cache, maximum);

  b = fs_cache_store (fx->cache, "b", NULL, &error);
  g_assert_no_error (error);
  b_dir = entry_dir (b);
  fs_test_write_entry_file (b, "file", 100000);
  g_assert_cmpuint (fs_test_tree_space (fs_cache_entry_get_path (b)), <=, maximum);
  g_assert_cmpint (fs_test_commit (b), ==, FS_CACHE_COMMIT_NO_SPACE);
  g_assert_true (fs_cache_entry_is_released (b));
  g_assert_false (g_file_test (b_dir, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size_a);
  fs_test_assert_consistent (fx->cache_dir);

  {
    g_autoptr (FsCacheEntry) miss = fs_cache_load (fx->cache, "b", NULL, &error);

    g_assert_null (miss);
    g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
    g_clear_error (&error);
  }

  /* "a" is still there, and a small entry still fits beside it */
  still = fs_cache_load (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fs_cache_entry_get_size (still), ==, size_a);

  c = fs_cache_store (fx->cache, "c", NULL, &error);
  g_assert_no_error (error);
  fs_test_write_entry_file (c, "file", 10);
  g_assert_cmpuint (size_a + fs_test_tree_space (fs_cache_entry_get_path (c)), <=, maximum);
  g_assert_cmpint (fs_test_commit (c), ==, FS_CACHE_COMMIT_STORED);

  g_assert_true (fs_cache_get_usage (fx->cache, &used, &max_out, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (used, ==, size_a + fs_cache_entry_get_size (c));
  g_assert_cmpuint (max_out, ==, maximum);
  fs_test_assert_consistent (fx->cache_dir);
}

static void
test_stage (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *stage = g_build_filename (fx->cache_dir, "stage", NULL);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheEntry) other = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;

  entry = fs_cache_stage (fx->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (entry);
  g_assert_cmpint (fs_cache_entry_get_kind (entry), ==, FS_CACHE_ENTRY_KIND_STAGED);
  g_assert_null (fs_cache_entry_get_name (entry));
  g_assert_false (fs_cache_entry_is_released (entry));
  assert_anonymous_path (entry, stage);
  dir = entry_dir (entry);

  /* two stages are distinct */
  other = fs_cache_stage (fx->cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fs_cache_entry_get_path (other), !=, fs_cache_entry_get_path (entry));

  fs_test_write_entry_file (entry, "file", 20000);
  fs_test_write_entry_file (entry, "a/b/c", 10);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 0);

  fs_cache_entry_release (entry);
  g_assert_true (fs_cache_entry_is_released (entry));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));

  g_clear_object (&other);
  fs_test_assert_consistent (fx->cache_dir);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 0);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 0);
}

static void
test_release_idempotent (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *lock = g_build_filename (fx->cache_dir, "objects", "a", "object.lock", NULL);
  g_autoptr (FsCacheEntry) stored = NULL;
  g_autoptr (FsCacheEntry) loaded = NULL;
  g_autoptr (FsCacheEntry) storing = NULL;
  g_autoptr (FsCacheEntry) staged = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *storing_dir = NULL;
  g_autofree char *staged_dir = NULL;
  FsCacheCommitStatus status;

  stored = fs_test_store_commit (fx->cache, "a", 100, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  fs_cache_entry_release (stored);
  fs_cache_entry_release (stored);
  g_assert_true (fs_cache_entry_is_released (stored));

  loaded = fs_cache_load (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  g_assert_false (fs_test_can_lock (lock, F_WRLCK));
  fs_cache_entry_release (loaded);
  g_assert_true (fs_cache_entry_is_released (loaded));
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));
  fs_cache_entry_release (loaded);
  g_assert_true (fs_cache_entry_is_released (loaded));
  /* releasing a loaded entry never removes it */
  g_assert_true (g_file_test (lock, G_FILE_TEST_EXISTS));

  storing = fs_cache_store (fx->cache, "b", NULL, &error);
  g_assert_no_error (error);
  storing_dir = entry_dir (storing);
  fs_cache_entry_release (storing);
  fs_cache_entry_release (storing);
  g_assert_true (fs_cache_entry_is_released (storing));
  g_assert_false (g_file_test (storing_dir, G_FILE_TEST_EXISTS));

  staged = fs_cache_stage (fx->cache, NULL, &error);
  g_assert_no_error (error);
  staged_dir = entry_dir (staged);
  fs_cache_entry_release (staged);
  fs_cache_entry_release (staged);
  g_assert_true (fs_cache_entry_is_released (staged));
  g_assert_false (g_file_test (staged_dir, G_FILE_TEST_EXISTS));

  fs_test_assert_consistent (fx->cache_dir);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);
}

/* Dropping the last reference releases. */
static void
test_dispose_releases (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *lock = g_build_filename (fx->cache_dir, "objects", "a", "object.lock", NULL);
  g_autoptr (GError) error = NULL;
  FsCacheEntry *entry;
  g_autofree char *storing_dir = NULL;
  g_autofree char *staged_dir = NULL;
  FsCacheCommitStatus status;

  entry = fs_test_store_commit (fx->cache, "a", 100, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  g_assert_false (fs_test_can_lock (lock, F_WRLCK));
  g_object_unref (entry);
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));

  entry = fs_cache_load (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  g_assert_false (fs_test_can_lock (lock, F_WRLCK));
  g_object_unref (entry);
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));

  entry = fs_cache_store (fx->cache, "b", NULL, &error);
  g_assert_no_error (error);
  storing_dir = entry_dir (entry);
  fs_test_write_entry_file (entry, "file", 1000);
  g_object_unref (entry);
  g_assert_false (g_file_test (storing_dir, G_FILE_TEST_EXISTS));

  entry = fs_cache_stage (fx->cache, NULL, &error);
  g_assert_no_error (error);
  staged_dir = entry_dir (entry);
  fs_test_write_entry_file (entry, "file", 1000);
  g_object_unref (entry);
  g_assert_false (g_file_test (staged_dir, G_FILE_TEST_EXISTS));

  fs_test_assert_consistent (fx->cache_dir);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);
}

/* An entry still referenced keeps working after the cache object is gone. */
static void
test_entry_outlives_cache (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *lock = g_build_filename (fx->cache_dir, "objects", "a", "object.lock", NULL);
  g_autoptr (FsCacheEntry) loaded = NULL;
  g_autoptr (FsCacheEntry) stored = NULL;
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status;
  FsCache *cache = fs_test_open_cache (fx->cache_dir);

  fs_test_set_maximum_size (cache, FS_CACHE_SIZE_UNLIMITED);
  stored = fs_test_store_commit (cache, "a", 100, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  g_clear_object (&stored);
  loaded = fs_cache_load (cache, "a", NULL, &error);
  g_assert_no_error (error);
  g_object_unref (cache);

  g_assert_true (g_file_test (fs_cache_entry_get_path (loaded), G_FILE_TEST_IS_DIR));
  g_assert_false (fs_test_can_lock (lock, F_WRLCK));
  fs_cache_entry_release (loaded);
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));
}

/* A store released without commit leaves nothing. */
static void
test_release_without_commit (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (FsCacheEntry) kept = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheEntry) miss = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  FsCacheCommitStatus status;

  kept = fs_test_store_commit (fx->cache, "kept", 1000, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  g_clear_object (&kept);
  /* journal/ is the library's own bookkeeping; everything else must stay */
  before = fs_test_snapshot_except (fx->cache_dir, "./journal/");

  entry = fs_cache_store (fx->cache, "gone", NULL, &error);
  g_assert_no_error (error);
  dir = entry_dir (entry);
  fs_test_write_entry_file (entry, "file", 100000);
  fs_test_write_entry_file (entry, "sub/file", 100);
  fs_cache_entry_release (entry);
  g_assert_true (fs_cache_entry_is_released (entry));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));

  miss = fs_cache_load (fx->cache, "gone", NULL, &error);
  g_assert_null (miss);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);

  fs_test_assert_consistent (fx->cache_dir);
  after = fs_test_snapshot_except (fx->cache_dir, "./journal/");
  g_assert_cmpstr (before, ==, after);
}

static void
test_entry_properties (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GDateTime) last_used = NULL;
  FsCacheEntryKind kind = FS_CACHE_ENTRY_KIND_STAGED;
  guint64 size = 0;
  FsCacheCommitStatus status;

  entry = fs_test_store_commit (fx->cache, "p", 100, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);

  g_object_get (entry, "name", &name, "kind", &kind, "path", &path, "file", &file, "size", &size,
                "last-used", &last_used, NULL);
  g_assert_cmpstr (name, ==, "p");
  g_assert_cmpint (kind, ==, FS_CACHE_ENTRY_KIND_LOADED);
  g_assert_cmpstr (path, ==, fs_cache_entry_get_path (entry));
  g_assert_nonnull (file);
  g_assert_true (g_file_equal (file, fs_cache_entry_get_file (entry)));
  g_assert_cmpuint (size, ==, fs_cache_entry_get_size (entry));
  g_assert_nonnull (last_used);
}

/* Stores of different names in flight at once both land. */
static void
test_parallel_stores (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) x = NULL;
  g_autoptr (FsCacheEntry) y = NULL;
  g_autoptr (GError) error = NULL;

  x = fs_cache_store (fx->cache, "x", NULL, &error);
  g_assert_no_error (error);
  y = fs_cache_store (fx->cache, "y", NULL, &error);
  g_assert_no_error (error);
  fs_test_write_entry_file (x, "f", 5000);
  fs_test_write_entry_file (y, "f", 7000);
  g_assert_cmpint (fs_test_commit (y), ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpint (fs_test_commit (x), ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==,
                    fs_cache_entry_get_size (x) + fs_cache_entry_get_size (y));
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 2);
  fs_test_assert_consistent (fx->cache_dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, setup, func) \
  g_test_add (path, FsTestFixture, NULL, setup, func, fs_test_fixture_teardown)

  ADD ("/entry/load-miss", fs_test_fixture_setup_unlimited, test_load_miss);
  ADD ("/entry/stored", fs_test_fixture_setup_unlimited, test_stored);
  ADD ("/entry/stored-empty", fs_test_fixture_setup_unlimited, test_stored_empty);
  ADD ("/entry/stored-sparse", fs_test_fixture_setup_unlimited, test_stored_sparse);
  ADD ("/entry/exists/sequential", fs_test_fixture_setup_unlimited, test_exists_sequential);
  ADD ("/entry/exists/concurrent", fs_test_fixture_setup_unlimited, test_exists_concurrent);
  ADD ("/entry/too-large/unset", fs_test_fixture_setup_cache, test_too_large_unset);
  ADD ("/entry/too-large/zero", fs_test_fixture_setup_cache, test_too_large_zero);
  ADD ("/entry/too-large/maximum", fs_test_fixture_setup_cache, test_too_large);
  ADD ("/entry/no-space", fs_test_fixture_setup_unlimited, test_no_space);
  ADD ("/entry/stage", fs_test_fixture_setup_unlimited, test_stage);
  ADD ("/entry/release-idempotent", fs_test_fixture_setup_unlimited, test_release_idempotent);
  ADD ("/entry/dispose-releases", fs_test_fixture_setup_unlimited, test_dispose_releases);
  ADD ("/entry/outlives-cache", fs_test_fixture_setup, test_entry_outlives_cache);
  ADD ("/entry/release-without-commit", fs_test_fixture_setup_unlimited,
       test_release_without_commit);
  ADD ("/entry/properties", fs_test_fixture_setup_unlimited, test_entry_properties);
  ADD ("/entry/parallel-stores", fs_test_fixture_setup_unlimited, test_parallel_stores);

#undef ADD

  return g_test_run ();
}

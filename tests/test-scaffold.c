/* test-scaffold.c: opening a cache creates its layout (DESIGN §3, §4)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-test-util.h"

#define CACHEDIR_SIGNATURE "Signature: 8a477f597d28d172789f06886806bc55"

static const char *const scaffold_files[] = {
  "CACHEDIR.TAG",
  "cache.info",
  "cache.lock",
  "cache.size",
};

/* Asserts @dir holds a valid, fresh version-1 scaffold, and nothing else at
 * the top but the library's journal/ extension. */
static void
assert_scaffold (const char *dir, gboolean fresh)
{
  g_autofree char *tag_path = g_build_filename (dir, "CACHEDIR.TAG", NULL);
  g_autofree char *info_path = g_build_filename (dir, "cache.info", NULL);
  g_autofree char *lock_path = g_build_filename (dir, "cache.lock", NULL);
  g_autofree char *objects = g_build_filename (dir, "objects", NULL);
  g_autofree char *stage = g_build_filename (dir, "stage", NULL);
  g_autofree char *tag = NULL;
  g_autoptr (JsonObject) info = NULL;
  g_autoptr (GDir) top = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *version;
  struct stat st;
  const char *name;

  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));

  g_file_get_contents (tag_path, &tag, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (tag, CACHEDIR_SIGNATURE));

  info = fs_test_read_json_object (info_path);
  version = json_object_get_member (info, "version");
  g_assert_nonnull (version);
  g_assert_cmpint (json_node_get_value_type (version), ==, G_TYPE_INT64);
  g_assert_cmpint (json_node_get_int (version), ==, 1);
  if (fresh)
    g_assert_false (json_object_has_member (info, "maximum-size"));

  g_assert_cmpint (lstat (lock_path, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_size, ==, 0);

  if (fresh)
    g_assert_cmpuint (fs_test_read_cache_size (dir), ==, 0);
  else
    (void) fs_test_read_cache_size (dir);

  g_assert_true (g_file_test (objects, G_FILE_TEST_IS_DIR));
  g_assert_false (g_file_test (objects, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_test (stage, G_FILE_TEST_IS_DIR));

  top = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (top)) != NULL)
    {
      g_test_message ("top-level: %s", name);
      /* stats/ and pins/: libfscache's, where osbuild does not look. */
      g_assert_true (g_strv_contains (scaffold_files, name) || g_str_equal (name, "objects") ||
                     g_str_equal (name, "stage") || g_str_equal (name, "journal") ||
                     g_str_equal (name, "stats") || g_str_equal (name, "pins"));
    }
  g_assert_cmpuint (fs_test_count_uuid (dir), ==, 0);
}

static void
test_create (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *dir = g_build_filename (fx->tmpdir, "a", "b", "c", "cache", NULL);
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  guint64 used = 1, maximum = 1;

  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  cache = fs_test_open_cache (dir);
  assert_scaffold (dir, TRUE);

  info = fs_test_dup_info (cache);
  g_assert_nonnull (info);
  g_assert_true (fs_cache_info_has_version (info));
  g_assert_cmpint (fs_cache_info_get_version (info), ==, 1);
  g_assert_false (fs_cache_info_has_maximum_size (info));

  g_assert_true (fs_cache_get_usage (cache, &used, &maximum, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (used, ==, 0);
  g_assert_cmpuint (maximum, ==, 0);
}

/* Opening an existing directory that is not yet a cache scaffolds it and
 * keeps what was there. */
static void
test_create_in_existing_dir (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *other = g_build_filename (fx->cache_dir, "unrelated", NULL);
  g_autoptr (FsCache) cache = NULL;
  g_autofree char *contents = NULL;

  g_assert_cmpint (g_mkdir_with_parents (fx->cache_dir, 0755), ==, 0);
  g_file_set_contents (other, "keep me", -1, NULL);
  cache = fs_test_open_cache (fx->cache_dir);

  g_assert_true (g_file_get_contents (other, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "keep me");
  g_assert_true (g_file_test (fx->cache_dir, G_FILE_TEST_IS_DIR));
  for (gsize i = 0; i < G_N_ELEMENTS (scaffold_files); i++)
    {
      g_autofree char *path = g_build_filename (fx->cache_dir, scaffold_files[i], NULL);

      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    }
}

typedef struct {
  ino_t ino;
  struct timespec mtime;
  char *contents;
} FileState;

static void
record_state (const char *dir, FileState states[G_N_ELEMENTS (scaffold_files)])
{
  for (gsize i = 0; i < G_N_ELEMENTS (scaffold_files); i++)
    {
      g_autofree char *path = g_build_filename (dir, scaffold_files[i], NULL);
      struct stat st;

      g_assert_cmpint (lstat (path, &st), ==, 0);
      states[i].ino = st.st_ino;
      states[i].mtime = st.st_mtim;
      g_assert_true (g_file_get_contents (path, &states[i].contents, NULL, NULL));
    }
}

static void
assert_same_state (FileState a[G_N_ELEMENTS (scaffold_files)],
                   FileState b[G_N_ELEMENTS (scaffold_files)])
{
  for (gsize i = 0; i < G_N_ELEMENTS (scaffold_files); i++)
    {
      g_test_message ("checking %s", scaffold_files[i]);
      g_assert_cmpuint (a[i].ino, ==, b[i].ino);
      g_assert_cmpstr (a[i].contents, ==, b[i].contents);
      /* cache.size may legitimately be rewritten with the same value by a
       * recount; the others are never written again. */
      if (!g_str_equal (scaffold_files[i], "cache.size"))
        {
          g_assert_cmpint (a[i].mtime.tv_sec, ==, b[i].mtime.tv_sec);
          g_assert_cmpint (a[i].mtime.tv_nsec, ==, b[i].mtime.tv_nsec);
        }
    }
}

static void
clear_state (FileState states[G_N_ELEMENTS (scaffold_files)])
{
  for (gsize i = 0; i < G_N_ELEMENTS (scaffold_files); i++)
    g_clear_pointer (&states[i].contents, g_free);
}

static void
test_idempotent (FsTestFixture *fx, gconstpointer user_data)
{
  FileState first[G_N_ELEMENTS (scaffold_files)] = { 0 };
  FileState second[G_N_ELEMENTS (scaffold_files)] = { 0 };
  FileState third[G_N_ELEMENTS (scaffold_files)] = { 0 };
  g_autoptr (FsCache) a = NULL;
  g_autoptr (FsCache) b = NULL;
  g_autoptr (FsCache) c = NULL;
  struct stat objects_before, objects_after;
  g_autofree char *objects = g_build_filename (fx->cache_dir, "objects", NULL);

  a = fs_test_open_cache (fx->cache_dir);
  record_state (fx->cache_dir, first);
  g_assert_cmpint (lstat (objects, &objects_before), ==, 0);

  /* a second open while the first is still open */
  b = fs_test_open_cache (fx->cache_dir);
  record_state (fx->cache_dir, second);
  assert_same_state (first, second);

  /* and one after both are closed */
  fs_cache_close (a);
  fs_cache_close (b);
  c = fs_test_open_cache (fx->cache_dir);
  record_state (fx->cache_dir, third);
  assert_same_state (first, third);

  g_assert_cmpint (lstat (objects, &objects_after), ==, 0);
  g_assert_cmpuint (objects_before.st_ino, ==, objects_after.st_ino);
  assert_scaffold (fx->cache_dir, TRUE);

  clear_state (first);
  clear_state (second);
  clear_state (third);
}

/* Reopening keeps entries and configuration. */
static void
test_reopen_keeps_entries (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCache) cache = fs_test_open_cache (fx->cache_dir);
  g_autoptr (FsCache) again = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status;
  guint64 size;

  fs_test_set_maximum_size (cache, 10 * 1024 * 1024);
  entry = fs_test_store_commit (cache, "kept", 5000, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  size = fs_cache_entry_get_size (entry);
  g_clear_object (&entry);
  fs_cache_close (cache);

  again = fs_test_open_cache (fx->cache_dir);
  info = fs_test_dup_info (again);
  g_assert_true (fs_cache_info_has_maximum_size (info));
  g_assert_cmpuint (fs_cache_info_get_maximum_size (info), ==, 10 * 1024 * 1024);
  entry = fs_cache_load (again, "kept", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fs_cache_entry_get_size (entry), ==, size);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size);
  assert_scaffold (fx->cache_dir, FALSE);
}

static void
test_open_on_file_fails (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *file = g_build_filename (fx->tmpdir, "file", NULL);
  g_autofree char *below = g_build_filename (file, "cache", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = NULL;

  fs_test_write_file (file, 10);

  cache = fs_cache_new_for_path (FS_TEST_APP_ID, file, NULL, &error);
  g_assert_null (cache);
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR);
  g_clear_error (&error);

  cache = fs_cache_new_for_path (FS_TEST_APP_ID, below, NULL, &error);
  g_assert_null (cache);
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR);
}

/* 8 real processes open the same nonexistent directory at once. */
static void
test_concurrent_creation (FsTestFixture *fx, gconstpointer user_data)
{
  enum { N_PROCS = 8, N_ROUNDS = 5 };

  for (int round = 0; round < N_ROUNDS; round++)
    {
      g_autofree char *round_name = g_strdup_printf ("round-%d", round);
      g_autofree char *dir = g_build_filename (fx->tmpdir, round_name, "deep", "cache", NULL);
      FsTestHelper *helpers[N_PROCS];

      for (int i = 0; i < N_PROCS; i++)
        helpers[i] = fs_test_helper_spawn ("open", dir, NULL);

      /* Each helper opens as soon as its stdin reaches EOF: release them all
       * at once. */
      for (int i = 0; i < N_PROCS; i++)
        fs_test_helper_close_stdin (helpers[i]);

      for (int i = 0; i < N_PROCS; i++)
        {
          g_autofree char *line = fs_test_helper_read_line (helpers[i]);

          g_assert_cmpstr (line, ==, "ok");
          g_assert_cmpint (fs_test_helper_wait (helpers[i]), ==, 0);
          fs_test_helper_free (helpers[i]);
        }

      assert_scaffold (dir, TRUE);

      /* and the scaffold works */
      {
        g_autoptr (FsCache) cache = fs_test_open_cache (dir);
        g_autoptr (FsCacheEntry) entry = NULL;
        FsCacheCommitStatus status;

        fs_test_set_maximum_size (cache, FS_CACHE_SIZE_UNLIMITED);
        entry = fs_test_store_commit (cache, "after", 100, &status);
        g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
        fs_cache_entry_release (entry);
        fs_test_assert_consistent (dir);
      }
    }
}

static void
test_close (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCache) cache = fs_test_open_cache (fx->cache_dir);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *lock = g_build_filename (fx->cache_dir, "cache.lock", NULL);
  guint64 used, maximum;
  FsCacheCommitStatus status;

  fs_test_set_maximum_size (cache, FS_CACHE_SIZE_UNLIMITED);
  entry = fs_test_store_commit (cache, "e", 10, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  g_clear_object (&entry);

  /* The open cache holds a read lock on cache.lock. */
  g_assert_false (fs_cache_is_closed (cache));
  g_assert_false (fs_test_can_lock (lock, F_WRLCK));
  g_assert_true (fs_test_can_lock (lock, F_RDLCK));

  fs_cache_close (cache);
  g_assert_true (fs_cache_is_closed (cache));
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));

  /* idempotent */
  fs_cache_close (cache);
  g_assert_true (fs_cache_is_closed (cache));

  entry = fs_cache_load (cache, "e", NULL, &error);
  g_assert_null (entry);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CLOSED);
  g_clear_error (&error);

  entry = fs_cache_store (cache, "f", NULL, &error);
  g_assert_null (entry);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CLOSED);
  g_clear_error (&error);

  entry = fs_cache_stage (cache, NULL, &error);
  g_assert_null (entry);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CLOSED);
  g_clear_error (&error);

  g_assert_false (fs_cache_set_maximum_size (cache, 1000, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CLOSED);
  g_clear_error (&error);

  fs_cache_info_set_maximum_size (info, 1000);
  g_assert_false (fs_cache_set_info (cache, info, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CLOSED);
  g_clear_error (&error);

  g_assert_false (fs_cache_get_usage (cache, &used, &maximum, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CLOSED);
  g_clear_error (&error);

  /* nothing was changed by the refused calls */
  {
    g_autoptr (FsCache) again = fs_test_open_cache (fx->cache_dir);
    g_autoptr (FsCacheInfo) now = fs_test_dup_info (again);

    g_assert_cmpuint (fs_cache_info_get_maximum_size (now), ==, FS_CACHE_SIZE_UNLIMITED);
    fs_test_assert_consistent (fx->cache_dir);
    g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);
  }
}

/* Dropping the last reference closes the cache too. */
static void
test_finalize_unlocks (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *lock = g_build_filename (fx->cache_dir, "cache.lock", NULL);
  FsCache *cache = fs_test_open_cache (fx->cache_dir);

  g_assert_false (fs_test_can_lock (lock, F_WRLCK));
  g_object_unref (cache);
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));
}

static void
test_properties (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (GFile) dir = g_file_new_for_path (fx->cache_dir);
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (FsCache) initable = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) prop_dir = NULL;
  g_autofree char *prop_app_id = NULL;
  g_autofree char *path = NULL;

  cache = fs_cache_new ("org.example.Props", dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cache);

  g_assert_cmpstr (fs_cache_get_app_id (cache), ==, "org.example.Props");
  g_assert_true (g_file_equal (fs_cache_get_directory (cache), dir));
  path = g_file_get_path (fs_cache_get_directory (cache));
  g_assert_cmpstr (path, ==, fx->cache_dir);

  g_object_get (cache, "app-id", &prop_app_id, "directory", &prop_dir, NULL);
  g_assert_cmpstr (prop_app_id, ==, "org.example.Props");
  g_assert_nonnull (prop_dir);
  g_assert_true (g_file_equal (prop_dir, dir));

  /* The boot id follows the app id. */
  {
    g_autofree char *kernel = NULL;

    if (g_file_get_contents ("/proc/sys/kernel/random/boot_id", &kernel, NULL, NULL))
      {
        g_autofree char *expected =
          fs_cache_compute_boot_id ("org.example.Props", g_strstrip (kernel));

        g_assert_cmpstr (fs_cache_get_boot_id (cache), ==, expected);
      }
  }

  /* Construction through GInitable with properties. */
  initable = g_initable_new (FS_TYPE_CACHE, NULL, &error, "app-id", "org.example.Other",
                             "directory", dir, NULL);
  g_assert_no_error (error);
  g_assert_nonnull (initable);
  g_assert_true (G_IS_INITABLE (initable));
  g_assert_cmpstr (fs_cache_get_app_id (initable), ==, "org.example.Other");
  g_assert_true (g_file_equal (fs_cache_get_directory (initable), dir));

  /* fs_cache_new_for_path() gives the same directory */
  {
    g_autoptr (FsCache) by_path =
      fs_cache_new_for_path ("org.example.Props", fx->cache_dir, NULL, &error);

    g_assert_no_error (error);
    g_assert_true (g_file_equal (fs_cache_get_directory (by_path), dir));
  }
}

static FsCache *
open_existing (const char *dir, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (dir);

  return g_initable_new (FS_TYPE_CACHE, NULL, error, "app-id", FS_TEST_APP_ID, "directory", file,
                         "create", FALSE, NULL);
}

/* Asserts that opening @dir with create=FALSE fails with NOT_FOUND and
 * leaves @dir as it was. */
static void
assert_no_cache (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autofree char *before = g_file_test (dir, G_FILE_TEST_EXISTS) ? fs_test_snapshot (dir) : NULL;
  g_autofree char *after = NULL;

  cache = open_existing (dir, &error);
  g_assert_null (cache);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, dir));
  if (before == NULL)
    g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  else
    {
      after = fs_test_snapshot (dir);
      g_assert_cmpstr (after, ==, before);
    }
}

/* With the "create" property FALSE, only an existing cache opens: a missing
 * or empty directory, or one with other things in it, is not made one. */
static void
test_open_existing_only (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *missing = g_build_filename (fx->tmpdir, "typo", "cache", NULL);
  g_autofree char *parent = g_path_get_dirname (missing);
  g_autofree char *empty = g_build_filename (fx->tmpdir, "empty", NULL);
  g_autofree char *other = g_build_filename (fx->tmpdir, "other", NULL);
  g_autofree char *other_file = g_build_filename (other, "thesis.txt", NULL);
  g_autofree char *tagged = g_build_filename (fx->tmpdir, "tagged", NULL);
  g_autofree char *tag = g_build_filename (tagged, "CACHEDIR.TAG", NULL);
  g_autoptr (FsCache) created = NULL;
  g_autoptr (FsCache) existing = NULL;
  g_autoptr (FsCache) defaults = NULL;
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status;
  gboolean create = TRUE;

  assert_no_cache (missing);
  g_assert_false (g_file_test (parent, G_FILE_TEST_EXISTS));
  g_assert_cmpint (mkdir (empty, 0755), ==, 0);
  assert_no_cache (empty);
  fs_test_write_file (other_file, 100);
  assert_no_cache (other);
  /* Other programs tag their caches too: a tag alone is not ours. */
  g_assert_cmpint (mkdir (tagged, 0755), ==, 0);
  g_assert_true (g_file_set_contents (tag, CACHEDIR_SIGNATURE "\n", -1, NULL));
  assert_no_cache (tagged);

  /* A cache made by the default constructor opens, and stays as it is. */
  created = fs_test_open_cache (fx->cache_dir);
  fs_test_set_maximum_size (created, 1 << 20);
  g_object_unref (fs_test_store_commit (created, "e", 1000, &status));
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  existing = open_existing (fx->cache_dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (existing);
  g_object_get (existing, "create", &create, NULL);
  g_assert_false (create);
  {
    g_autoptr (FsCacheEntry) entry = fs_cache_load (existing, "e", NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (entry);
  }
  assert_scaffold (fx->cache_dir, FALSE);

  /* The constructors create (the property's default). */
  defaults = fs_cache_new_for_path (FS_TEST_APP_ID, empty, NULL, &error);
  g_assert_no_error (error);
  g_object_get (defaults, "create", &create, NULL);
  g_assert_true (create);
  assert_scaffold (empty, TRUE);
}

/* What osbuild creates first (objects/, then stage/, then the files) is
 * a cache being created: opened and completed, not refused. */
static void
test_open_existing_while_created (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *objects = g_build_filename (fx->cache_dir, "objects", NULL);
  g_autofree char *info = g_build_filename (fx->cache_dir, "cache.info", NULL);
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (objects, 0755), ==, 0);
  cache = open_existing (fx->cache_dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cache);
  assert_scaffold (fx->cache_dir, TRUE);
  g_clear_object (&cache);

  /* cache.info alone (objects/ lost) is a cache too. */
  fs_test_rm_rf (objects);
  cache = open_existing (fx->cache_dir, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (objects, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (info, G_FILE_TEST_IS_REGULAR));
}

static void
on_async_new (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GObject **out = user_data;
  g_autoptr (GError) error = NULL;

  *out = g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, &error);
  g_assert_no_error (error);
}

/* FsCache is a GAsyncInitable: construction off the main thread. */
static void
test_async_initable (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (GFile) dir = g_file_new_for_path (fx->cache_dir);
  g_autoptr (GObject) object = NULL;

  g_assert_true (g_type_is_a (FS_TYPE_CACHE, G_TYPE_ASYNC_INITABLE));
  g_async_initable_new_async (FS_TYPE_CACHE, G_PRIORITY_DEFAULT, NULL, on_async_new, &object,
                              "app-id", FS_TEST_APP_ID, "directory", dir, NULL);
  while (object == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (FS_IS_CACHE (object));
  g_assert_false (fs_cache_is_closed (FS_CACHE (object)));
  assert_scaffold (fx->cache_dir, TRUE);
}

/* fs_cache_dup_info(): a copy of what cache.info says, re-read when another
 * process changed it, sync and async; CLOSED once the cache is closed. */
static void
dup_info_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FsCacheInfo **out = user_data;
  g_autoptr (GError) error = NULL;

  *out = fs_cache_dup_info_finish (FS_CACHE (source), result, &error);
  g_assert_no_error (error);
}

static void
test_dup_info (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *dir = g_build_filename (fx->tmpdir, "cache", NULL);
  g_autoptr (FsCache) cache = fs_test_open_cache (dir);
  g_autoptr (FsCache) other = fs_test_open_cache (dir);
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (FsCacheInfo) async_info = NULL;
  g_autoptr (GError) error = NULL;

  info = fs_cache_dup_info (cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (fs_cache_info_has_maximum_size (info));
  g_clear_pointer (&info, fs_cache_info_unref);

  fs_test_set_maximum_size (other, 123456);
  info = fs_cache_dup_info (cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fs_cache_info_get_maximum_size (info), ==, 123456);
  /* a copy: changing it changes nothing else */
  fs_cache_info_set_maximum_size (info, 1);
  g_clear_pointer (&info, fs_cache_info_unref);

  fs_cache_dup_info_async (cache, G_PRIORITY_DEFAULT, NULL, dup_info_done, &async_info);
  while (async_info == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (fs_cache_info_get_maximum_size (async_info), ==, 123456);

  fs_cache_close (cache);
  info = fs_cache_dup_info (cache, NULL, &error);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CLOSED);
  g_assert_null (info);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, FsTestFixture, NULL, fs_test_fixture_setup, func, fs_test_fixture_teardown)

  ADD ("/scaffold/create", test_create);
  ADD ("/scaffold/create-in-existing-dir", test_create_in_existing_dir);
  ADD ("/scaffold/idempotent", test_idempotent);
  ADD ("/scaffold/reopen-keeps-entries", test_reopen_keeps_entries);
  ADD ("/scaffold/open-on-file-fails", test_open_on_file_fails);
  ADD ("/scaffold/concurrent-creation", test_concurrent_creation);
  ADD ("/scaffold/close", test_close);
  ADD ("/scaffold/finalize-unlocks", test_finalize_unlocks);
  ADD ("/scaffold/properties", test_properties);
  ADD ("/scaffold/async-initable", test_async_initable);
  ADD ("/scaffold/open-existing-only", test_open_existing_only);
  ADD ("/scaffold/open-existing-while-created", test_open_existing_while_created);
  ADD ("/scaffold/dup-info", test_dup_info);

#undef ADD

  return g_test_run ();
}

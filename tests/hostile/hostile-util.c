/* hostile-util.c: fixtures of the hostile-input tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "hostile-util.h"

#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

/* lstat of everything below @root but @skip: the fields a write, a chmod,
 * a futimens, a truncation, a link or an unlink would change (not atime). */
static void
times_at (int parent_fd, const char *name, const char *rel, const char *skip, GPtrArray *lines)
{
  struct stat st;

  if (skip != NULL && g_str_equal (rel, skip))
    return;
  if (fstatat (parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    g_error ("stat %s: %s", rel, g_strerror (errno));
  g_ptr_array_add (
    lines,
    g_strdup_printf ("%s mode=%o uid=%u gid=%u nlink=%ju size=%jd mtime=%jd.%09ld ctime=%jd.%09ld",
                     rel, st.st_mode, st.st_uid, st.st_gid, (uintmax_t) st.st_nlink,
                     (intmax_t) st.st_size, (intmax_t) st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                     (intmax_t) st.st_ctim.tv_sec, st.st_ctim.tv_nsec));
  if (S_ISDIR (st.st_mode))
    {
      int fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      struct dirent *de;
      DIR *d;

      g_assert_cmpint (fd, >=, 0);
      d = fdopendir (fd);
      g_assert_nonnull (d);
      while ((de = readdir (d)) != NULL)
        {
          g_autofree char *child = NULL;
          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
          child = g_build_filename (rel, de->d_name, NULL);
          times_at (dirfd (d), de->d_name, child, skip, lines);
        }
      closedir (d);
    }
}

static char *
times_snapshot (const char *root, const char *skip)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  times_at (AT_FDCWD, root, ".", skip, lines);
  return fs_test_join_sorted (lines, "\n");
}

void
hostile_setup (HostileFixture *fx, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *etc = NULL;
  g_autofree char *info = NULL;
  g_autofree char *lock = NULL;
  g_autofree char *file = NULL;

  /* A subprocess of g_test_trap_subprocess() works on its parent's cache
   * (named in the environment) and may have dropped its privileges: it
   * makes nothing of its own. */
  if (g_test_subprocess ())
    {
      memset (fx, 0, sizeof *fx);
      return;
    }

  fx->tmpdir = g_dir_make_tmp ("fscache-hostile-XXXXXX", &error);
  g_assert_no_error (error);
  /* Traversable by everyone: some tests run a part as another user. */
  g_assert_cmpint (g_chmod (fx->tmpdir, 0755), ==, 0);
  fx->cache_dir = g_build_filename (fx->tmpdir, "cache", NULL);
  /* Made now, so that making it does not count as a change beside it. */
  g_assert_cmpint (g_mkdir (fx->cache_dir, 0755), ==, 0);
  fx->outside = g_build_filename (fx->tmpdir, "outside", NULL);
  etc = g_build_filename (fx->outside, "etc", NULL);
  g_assert_cmpint (g_mkdir_with_parents (etc, 0755), ==, 0);
  fx->passwd = g_build_filename (etc, "passwd", NULL);
  fs_test_write_text (fx->passwd, "root:x:0:0:root:/root:/bin/bash\n", -1);
  fx->lockfile = g_build_filename (fx->outside, "lockfile", NULL);
  fs_test_write_text (fx->lockfile, "a lock of someone else\n", -1);

  /* Something that looks like a committed entry, outside. */
  fx->fake_entry = g_build_filename (fx->outside, "entry", NULL);
  fx->fake_data = g_build_filename (fx->fake_entry, "data", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fx->fake_data, 0755), ==, 0);
  file = g_build_filename (fx->fake_data, "precious", NULL);
  fs_test_write_text (file, "outside data that must survive\n", -1);
  info = g_build_filename (fx->fake_entry, "object.info", NULL);
  fs_test_write_text (
    info, "{\"creation-boot-id\": \"00000000000040008000000000000000\", \"size\": 8192}", -1);
  lock = g_build_filename (fx->fake_entry, "object.lock", NULL);
  fs_test_write_text (lock, "", 0);

  fx->before = fs_test_snapshot_except (fx->tmpdir, "./cache");
  fx->before_times = times_snapshot (fx->tmpdir, "./cache");
}

void
hostile_assert_outside_unchanged (HostileFixture *fx)
{
  g_autofree char *after = fs_test_snapshot_except (fx->tmpdir, "./cache");
  g_autofree char *after_times = times_snapshot (fx->tmpdir, "./cache");

  /* The cache directory itself is created by the tests: its own line goes. */
  g_assert_cmpstr (after, ==, fx->before);
  g_assert_cmpstr (after_times, ==, fx->before_times);
}

void
hostile_teardown (HostileFixture *fx, gconstpointer user_data)
{
  if (fx->handler != 0)
    {
      g_log_remove_handler ("FsCache", fx->handler);
      fx->handler = 0;
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
    }
  if (fx->before != NULL)
    hostile_assert_outside_unchanged (fx);
  if (fx->tmpdir != NULL)
    {
      /* Make every directory writable again, then remove. */
      const char *argv[] = { "chmod", "-R", "u+rwX", fx->tmpdir, NULL };
      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, NULL, NULL);
      fs_test_rm_rf (fx->tmpdir);
    }
  g_clear_pointer (&fx->tmpdir, g_free);
  g_clear_pointer (&fx->cache_dir, g_free);
  g_clear_pointer (&fx->outside, g_free);
  g_clear_pointer (&fx->passwd, g_free);
  g_clear_pointer (&fx->lockfile, g_free);
  g_clear_pointer (&fx->fake_entry, g_free);
  g_clear_pointer (&fx->fake_data, g_free);
  g_clear_pointer (&fx->before, g_free);
  g_clear_pointer (&fx->before_times, g_free);
}

static void
count_warning (const char *log_domain,
               GLogLevelFlags log_level,
               const char *message,
               gpointer user_data)
{
  HostileFixture *fx = user_data;

  fx->warnings++;
  g_test_message ("tolerated warning: %s", message);
}

void
hostile_tolerate_warnings (HostileFixture *fx)
{
  /* Not through g_test_log_set_fatal_handler(): GLib would still print a
   * TAP "Bail out!" line for each warning. Warnings of the library stop
   * being fatal and are counted; criticals stay fatal. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  fx->handler = g_log_set_handler ("FsCache", G_LOG_LEVEL_WARNING, count_warning, fx);
}

void
hostile_make_cache (HostileFixture *fx, guint64 maximum, guint n, gsize bytes)
{
  g_autoptr (FsCache) cache = fs_test_open_cache (fx->cache_dir);

  fs_test_set_maximum_size (cache, maximum);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("e%u", i);
      g_autoptr (FsCacheEntry) entry = NULL;
      FsCacheCommitStatus status;

      entry = fs_test_store_commit (cache, name, bytes, &status);
      g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
    }
  fs_cache_close (cache);
}

void
hostile_reset_cache (HostileFixture *fx)
{
  g_autoptr (GDir) dir = g_dir_open (fx->cache_dir, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fx->cache_dir, name, NULL);
      fs_test_rm_rf (path);
    }
}

int
hostile_try_store (FsCache *cache, const char *name, gsize bytes, GError **error)
{
  g_autoptr (FsCacheEntry) entry = fs_cache_store (cache, name, NULL, error);
  g_autofree char *path = NULL;
  g_autofree char *buf = NULL;
  FsCacheCommitStatus status;

  if (entry == NULL)
    return -1;
  path = g_build_filename (fs_cache_entry_get_path (entry), "file", NULL);
  buf = g_malloc (bytes + 1);
  memset (buf, 'h', bytes);
  if (!g_file_set_contents (path, buf, (gssize) bytes, error))
    return -1;
  if (!fs_cache_entry_commit (entry, &status, NULL, error))
    return -1;
  return (int) status;
}

static void
note_error (const char *what, GError *error)
{
  if (error != NULL)
    g_test_message ("%s: %s", what, error->message);
}

void
hostile_exercise (FsCache *cache, const char *name)
{
  g_autoptr (GError) error = NULL;
  guint n = 0;
  guint64 a = 0, b = 0;
  gint64 c = 0;

  {
    FsCacheEntry *entry = fs_cache_load (cache, name, NULL, &error);
    g_clear_object (&entry);
    note_error ("load", error);
    g_clear_error (&error);
  }
  hostile_try_store (cache, name, 100, &error);
  note_error ("store", error);
  g_clear_error (&error);
  {
    FsCacheEntry *stage = fs_cache_stage (cache, NULL, &error);
    g_clear_object (&stage);
    note_error ("stage", error);
    g_clear_error (&error);
  }
  {
    GListModel *list = fs_cache_list (cache, NULL, &error);
    g_clear_object (&list);
    note_error ("list", error);
    g_clear_error (&error);
  }
  fs_cache_get_usage (cache, &a, &b, NULL, &error);
  note_error ("get_usage", error);
  g_clear_error (&error);
  fs_cache_prune (cache, 0, FS_CACHE_MAINTENANCE_DRY_RUN, &n, &a, NULL, &error);
  note_error ("prune (dry run)", error);
  g_clear_error (&error);
  fs_cache_collect_garbage (cache, FS_CACHE_MAINTENANCE_NONE, &n, &a, &c, NULL, &error);
  note_error ("collect_garbage", error);
  g_clear_error (&error);
  fs_cache_remove (cache, name, NULL, &error);
  note_error ("remove", error);
  g_clear_error (&error);
  fs_cache_prune (cache, 0, FS_CACHE_MAINTENANCE_NONE, &n, &a, NULL, &error);
  note_error ("prune", error);
  g_clear_error (&error);
  {
    g_autoptr (FsCacheInfo) info = fs_test_dup_info (cache);
    g_assert_nonnull (info);
  }
}

static void
listing_at (int parent_fd, const char *name, const char *rel, GPtrArray *lines)
{
  struct stat st;

  if (fstatat (parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return;
  g_ptr_array_add (lines, g_strdup_printf ("%s %s", rel,
                                           S_ISDIR (st.st_mode)   ? "dir"
                                           : S_ISLNK (st.st_mode) ? "link"
                                           : S_ISREG (st.st_mode) ? "file"
                                                                  : "other"));
  if (S_ISDIR (st.st_mode))
    {
      int fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      struct dirent *de;
      DIR *d;

      if (fd < 0 || (d = fdopendir (fd)) == NULL)
        return;
      while ((de = readdir (d)) != NULL)
        {
          g_autofree char *child = NULL;
          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
          child = g_build_filename (rel, de->d_name, NULL);
          listing_at (dirfd (d), de->d_name, child, lines);
        }
      closedir (d);
    }
}

char *
hostile_cache_listing (const char *cache_dir)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  listing_at (AT_FDCWD, cache_dir, ".", lines);
  return fs_test_join_sorted (lines, "\n");
}

char *
hostile_cache_path (HostileFixture *fx, const char *rel)
{
  return g_build_filename (fx->cache_dir, rel, NULL);
}

void
hostile_gc_ok (FsCache *cache)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (
    fs_cache_collect_garbage (cache, FS_CACHE_MAINTENANCE_NONE, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

void
hostile_assert_consistent (const char *cache_dir)
{
  static const char *const areas[] = { "objects", "stage", "journal" };
  g_autofree char *objects = g_build_filename (cache_dir, "objects", NULL);
  g_autoptr (GDir) dir = g_dir_open (objects, 0, NULL);
  const char *name;
  guint64 sum = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *entry = g_build_filename (objects, name, NULL);
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autofree char *text = NULL;
      struct stat st;
      JsonNode *root, *size;
      gsize len;
      int fd;

      if (g_str_has_prefix (name, "uuid-") || lstat (entry, &st) < 0 || !S_ISDIR (st.st_mode))
        continue;
      fd = openat (AT_FDCWD, entry, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      g_assert_cmpint (fd, >=, 0);
      {
        int ifd = openat (fd, "object.info", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        char buf[4096];
        ssize_t n;
        close (fd);
        if (ifd < 0)
          continue;
        n = read (ifd, buf, sizeof buf);
        close (ifd);
        if (n <= 0)
          continue;
        text = g_strndup (buf, (gsize) n);
        len = (gsize) n;
      }
      if (!g_utf8_validate (text, (gssize) len, NULL) ||
          !json_parser_load_from_data (parser, text, (gssize) len, NULL))
        continue;
      root = json_parser_get_root (parser);
      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        continue;
      size = json_object_get_member (json_node_get_object (root), "size");
      if (size == NULL || !JSON_NODE_HOLDS_VALUE (size) ||
          json_node_get_value_type (size) != G_TYPE_INT64 || json_node_get_int (size) < 0)
        continue;
      sum += (guint64) json_node_get_int (size);
    }
  g_assert_cmpuint (fs_test_read_cache_size (cache_dir), ==, sum);

  for (gsize a = 0; a < G_N_ELEMENTS (areas); a++)
    {
      g_autofree char *path = g_build_filename (cache_dir, areas[a], NULL);
      g_autoptr (GDir) d = g_dir_open (path, 0, NULL);

      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        if (g_str_has_prefix (name, "uuid-") || g_str_has_prefix (name, "bat-"))
          g_error ("leftover %s/%s", areas[a], name);
    }
}

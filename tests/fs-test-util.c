/* fs-test-util.c: fixtures and helpers shared by the C tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "fs-test-util.h"
#include "fs-test-content.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                  */

void
fs_test_fixture_setup (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  fx->tmpdir = g_dir_make_tmp ("fscache-test-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_nonnull (fx->tmpdir);
  fx->cache_dir = g_build_filename (fx->tmpdir, "cache", NULL);
  fx->cache = NULL;
}

void
fs_test_fixture_setup_cache (FsTestFixture *fx, gconstpointer user_data)
{
  fs_test_fixture_setup (fx, user_data);
  fx->cache = fs_test_open_cache (fx->cache_dir);
}

void
fs_test_fixture_setup_unlimited (FsTestFixture *fx, gconstpointer user_data)
{
  fs_test_fixture_setup_cache (fx, user_data);
  fs_test_set_maximum_size (fx->cache, FS_CACHE_SIZE_UNLIMITED);
}

void
fs_test_fixture_teardown (FsTestFixture *fx, gconstpointer user_data)
{
  if (fx->cache != NULL)
    {
      fs_cache_close (fx->cache);
      g_clear_object (&fx->cache);
    }
  if (fx->tmpdir != NULL)
    fs_test_rm_rf (fx->tmpdir);
  g_clear_pointer (&fx->tmpdir, g_free);
  g_clear_pointer (&fx->cache_dir, g_free);
}

FsCache *
fs_test_open_cache (const char *dir)
{
  g_autoptr (GError) error = NULL;
  FsCache *cache;

  cache = fs_cache_new_for_path (FS_TEST_APP_ID, dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (FS_IS_CACHE (cache));
  return cache;
}

void
fs_test_set_maximum_size (FsCache *cache, guint64 maximum_size)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;

  ok = fs_cache_set_maximum_size (cache, maximum_size, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

/* ------------------------------------------------------------------------ */
/* Paths and trees                                                           */

char *
fs_test_path (const char *base, ...)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new ();
  va_list ap;
  const char *part;

  g_ptr_array_add (parts, (gpointer) base);
  va_start (ap, base);
  while ((part = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (parts, (gpointer) part);
  va_end (ap);
  g_ptr_array_add (parts, NULL);

  return g_build_filenamev ((char **) parts->pdata);
}

static void
rm_rf_at (int parent_fd, const char *name)
{
  struct stat st;

  if (fstatat (parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    {
      g_assert_cmpint (errno, ==, ENOENT);
      return;
    }

  if (S_ISDIR (st.st_mode))
    {
      int fd;
      DIR *d;
      struct dirent *de;

      /* Make sure we can enter and empty it even if a test removed permissions. */
      (void) fchmodat (parent_fd, name, 0700, 0);
      fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      g_assert_cmpint (fd, >=, 0);
      d = fdopendir (fd);
      g_assert_nonnull (d);
      while ((de = readdir (d)) != NULL)
        {
          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
          rm_rf_at (dirfd (d), de->d_name);
        }
      closedir (d);
      if (unlinkat (parent_fd, name, AT_REMOVEDIR) != 0)
        g_error ("rmdir %s: %s", name, g_strerror (errno));
    }
  else if (unlinkat (parent_fd, name, 0) != 0 && errno != ENOENT)
    {
      g_error ("unlink %s: %s", name, g_strerror (errno));
    }
}

void
fs_test_rm_rf (const char *path)
{
  rm_rf_at (AT_FDCWD, path);
}

void
fs_test_write_text (const char *path, const char *contents, gssize len)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
}

void
fs_test_write_file (const char *path, gsize n_bytes)
{
  g_autofree char *parent = g_path_get_dirname (path);
  g_autofree guint8 *buf = NULL;
  gsize chunk = MIN (n_bytes, (gsize) 65536);
  gsize done = 0;
  int fd;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    g_error ("open %s: %s", path, g_strerror (errno));

  buf = g_malloc (MAX (chunk, 1));
  for (gsize i = 0; i < chunk; i++)
    buf[i] = (guint8) (1 + (i * 31 + 7) % 251); /* never 0: not sparse */

  while (done < n_bytes)
    {
      gsize n = MIN (chunk, n_bytes - done);
      ssize_t w = write (fd, buf, n);

      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        g_error ("write %s: %s", path, g_strerror (errno));
      done += (gsize) w;
    }
  g_assert_cmpint (close (fd), ==, 0);
}

void
fs_test_write_entry_file (FsCacheEntry *entry, const char *rel, gsize n_bytes)
{
  g_autofree char *path = NULL;

  g_assert_nonnull (fs_cache_entry_get_path (entry));
  path = g_build_filename (fs_cache_entry_get_path (entry), rel, NULL);
  fs_test_write_file (path, n_bytes);
}

static guint64
tree_space_at (int parent_fd, const char *name, GHashTable *seen)
{
  struct stat st;
  guint64 total = 0;

  if (fstatat (parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    g_error ("stat %s: %s", name, g_strerror (errno));

  if (!S_ISDIR (st.st_mode) && st.st_nlink > 1)
    {
      char *key = g_strdup_printf ("%ju:%ju", (uintmax_t) st.st_dev, (uintmax_t) st.st_ino);

      if (!g_hash_table_add (seen, key))
        return 0;
    }

  total += (guint64) st.st_blocks * 512;

  if (S_ISDIR (st.st_mode))
    {
      int fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      DIR *d;
      struct dirent *de;

      g_assert_cmpint (fd, >=, 0);
      d = fdopendir (fd);
      g_assert_nonnull (d);
      while ((de = readdir (d)) != NULL)
        {
          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
          total += tree_space_at (dirfd (d), de->d_name, seen);
        }
      closedir (d);
    }

  return total;
}

guint64
fs_test_tree_space (const char *path)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  return tree_space_at (AT_FDCWD, path, seen);
}

static void
snapshot_at (int parent_fd, const char *name, const char *rel, GPtrArray *lines)
{
  struct stat st;

  if (fstatat (parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    g_error ("stat %s: %s", rel, g_strerror (errno));

  if (S_ISDIR (st.st_mode))
    {
      int fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      DIR *d;
      struct dirent *de;

      g_ptr_array_add (lines, g_strdup_printf ("%s dir mode=%o", rel, st.st_mode & 07777));
      g_assert_cmpint (fd, >=, 0);
      d = fdopendir (fd);
      g_assert_nonnull (d);
      while ((de = readdir (d)) != NULL)
        {
          g_autofree char *child_rel = NULL;

          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
          child_rel = g_build_filename (rel, de->d_name, NULL);
          snapshot_at (dirfd (d), de->d_name, child_rel, lines);
        }
      closedir (d);
    }
  else if (S_ISREG (st.st_mode))
    {
      g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      guint8 buf[65536];
      ssize_t n;
      int fd = openat (parent_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

      g_assert_cmpint (fd, >=, 0);
      while ((n = read (fd, buf, sizeof buf)) > 0)
        g_checksum_update (sum, buf, (gsize) n);
      g_assert_cmpint (n, ==, 0);
      close (fd);
      g_ptr_array_add (
        lines, g_strdup_printf ("%s file mode=%o ino=%ju size=%jd mtime=%jd.%09ld sha256=%s", rel,
                                st.st_mode & 07777, (uintmax_t) st.st_ino, (intmax_t) st.st_size,
                                (intmax_t) st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                                g_checksum_get_string (sum)));
    }
  else if (S_ISLNK (st.st_mode))
    {
      char target[4096];
      ssize_t n = readlinkat (parent_fd, name, target, sizeof target - 1);

      g_assert_cmpint (n, >=, 0);
      target[n] = '\0';
      g_ptr_array_add (lines, g_strdup_printf ("%s symlink -> %s", rel, target));
    }
  else
    {
      g_ptr_array_add (lines, g_strdup_printf ("%s other mode=%o", rel, st.st_mode));
    }
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char *
fs_test_join_sorted (GPtrArray *lines, const char *separator)
{
  g_autofree const char **strv = g_new (const char *, lines->len + 1);

  g_ptr_array_sort (lines, compare_strings);
  for (guint i = 0; i < lines->len; i++)
    strv[i] = lines->pdata[i];
  strv[lines->len] = NULL;
  return g_strjoinv (separator, (char **) strv);
}

char *
fs_test_snapshot_except (const char *root, const char *exclude_prefix)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  snapshot_at (AT_FDCWD, root, ".", lines);
  if (exclude_prefix != NULL)
    {
      for (guint i = lines->len; i > 0; i--)
        if (g_str_has_prefix (lines->pdata[i - 1], exclude_prefix))
          g_ptr_array_remove_index (lines, i - 1);
    }
  return fs_test_join_sorted (lines, "\n");
}

char *
fs_test_snapshot (const char *root)
{
  return fs_test_snapshot_except (root, NULL);
}

gboolean
fs_test_can_lock (const char *path, short type)
{
  struct flock fl = { 0 };
  int fd;
  int r;
  int errsv;

  g_assert_true (type == F_RDLCK || type == F_WRLCK);
  fd = open (path, (type == F_WRLCK ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    g_error ("open %s: %s", path, g_strerror (errno));

  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  r = fcntl (fd, F_OFD_SETLK, &fl);
  errsv = errno;
  close (fd); /* drops the lock, if taken */

  if (r == 0)
    return TRUE;
  if (errsv != EAGAIN && errsv != EACCES)
    g_error ("F_OFD_SETLK %s: %s", path, g_strerror (errsv));
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Metadata                                                                  */

gboolean
fs_test_try_read_cache_size (const char *cache_dir, guint64 *out_size)
{
  g_autofree char *path = g_build_filename (cache_dir, "cache.size", NULL);
  g_autofree char *contents = NULL;
  guint64 value = 0;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  g_strstrip (contents);
  if (!g_ascii_string_to_unsigned (contents, 10, 0, G_MAXUINT64, &value, NULL))
    return FALSE;
  *out_size = value;
  return TRUE;
}

guint64
fs_test_read_cache_size (const char *cache_dir)
{
  guint64 value = 0;

  if (!fs_test_try_read_cache_size (cache_dir, &value))
    {
      g_autofree char *path = g_build_filename (cache_dir, "cache.size", NULL);
      g_autofree char *contents = NULL;

      g_file_get_contents (path, &contents, NULL, NULL);
      g_error ("%s does not hold a size: '%s'", path, contents ? contents : "(missing)");
    }
  return value;
}

JsonNode *
fs_test_read_json (const char *path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_file (parser, path, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return root != NULL ? json_node_copy (root) : NULL;
}

JsonObject *
fs_test_read_json_object (const char *path)
{
  g_autoptr (JsonNode) node = fs_test_read_json (path);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *contents = NULL;

      g_file_get_contents (path, &contents, NULL, NULL);
      g_error ("%s is not a JSON object: '%s'", path, contents ? contents : "(missing)");
    }
  return json_object_ref (json_node_get_object (node));
}

static guint64
object_info_size (const char *info_path)
{
  g_autoptr (JsonObject) obj = fs_test_read_json_object (info_path);
  JsonNode *size;

  size = json_object_get_member (obj, "size");
  g_assert_nonnull (size);
  g_assert_true (JSON_NODE_HOLDS_VALUE (size));
  g_assert_cmpint (json_node_get_value_type (size), ==, G_TYPE_INT64);
  g_assert_cmpint (json_node_get_int (size), >=, 0);
  return (guint64) json_node_get_int (size);
}

guint64
fs_test_read_object_size (const char *cache_dir, const char *name)
{
  g_autofree char *path = g_build_filename (cache_dir, "objects", name, "object.info", NULL);

  return object_info_size (path);
}

guint64
fs_test_sum_object_sizes (const char *cache_dir)
{
  g_autofree char *objects = g_build_filename (cache_dir, "objects", NULL);
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) error = NULL;
  const char *name;
  guint64 total = 0;

  dir = g_dir_open (objects, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *info = g_build_filename (objects, name, "object.info", NULL);

      if (g_file_test (info, G_FILE_TEST_EXISTS))
        total += object_info_size (info);
    }
  return total;
}

guint
fs_test_count_objects (const char *cache_dir)
{
  g_autofree char *objects = g_build_filename (cache_dir, "objects", NULL);
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) error = NULL;
  const char *name;
  guint n = 0;

  dir = g_dir_open (objects, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (objects, name, NULL);

      if (!g_str_has_prefix (name, "uuid-") && g_file_test (path, G_FILE_TEST_IS_DIR))
        n++;
    }
  return n;
}

guint
fs_test_count_uuid (const char *cache_dir)
{
  static const char *const subdirs[] = { "objects", "stage", "journal" };
  guint n = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *path = g_build_filename (cache_dir, subdirs[i], NULL);
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      if (dir == NULL)
        continue;
      while ((name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_prefix (name, "uuid-"))
          {
            g_test_message ("left over: %s/%s", subdirs[i], name);
            n++;
          }
    }
  return n;
}

void
fs_test_assert_consistent (const char *cache_dir)
{
  g_assert_cmpuint (fs_test_read_cache_size (cache_dir), ==, fs_test_sum_object_sizes (cache_dir));
  g_assert_cmpuint (fs_test_count_uuid (cache_dir), ==, 0);
}

gboolean
fs_test_entry_is_present (const char *cache_dir, const char *name)
{
  g_autofree char *info = g_build_filename (cache_dir, "objects", name, "object.info", NULL);

  return g_file_test (info, G_FILE_TEST_EXISTS);
}

guint
fs_test_count_journal_debris (const char *cache_dir)
{
  g_autofree char *journal = g_build_filename (cache_dir, "journal", NULL);
  g_autoptr (GDir) dir = g_dir_open (journal, 0, NULL);
  const char *name;
  guint n = 0;

  if (dir == NULL)
    return 0;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "uuid-") || g_str_has_prefix (name, "bat-"))
      {
        g_test_message ("journal debris: %s", name);
        n++;
      }
  return n;
}

void
fs_test_set_last_use (const char *cache_dir, const char *name, time_t when)
{
  g_autofree char *lock = g_build_filename (cache_dir, "objects", name, "object.lock", NULL);
  struct timespec times[2] = { { when, 0 }, { when, 0 } };

  g_assert_cmpint (utimensat (AT_FDCWD, lock, times, 0), ==, 0);
}

void
fs_test_assert_miss (FsCache *cache, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, name, NULL, &error);

  g_assert_null (entry);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
}

/* ------------------------------------------------------------------------ */
/* Entries                                                                   */

void
fs_test_store_committed (FsCache *cache, const char *name, gsize n_bytes)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  FsCacheCommitStatus status;

  entry = fs_test_store_commit (cache, name, n_bytes, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  fs_cache_entry_release (entry);
}

FsCacheEntry *
fs_test_store_content (FsCache *cache, const char *name, guint64 n_bytes)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  entry = fs_cache_store (cache, name, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (fs_test_content_fill (fs_cache_entry_get_path (entry), name, n_bytes, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&entry);
}

FsCacheCommitStatus
fs_test_commit (FsCacheEntry *entry)
{
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status = (FsCacheCommitStatus) -1;
  gboolean ok;

  ok = fs_cache_entry_commit (entry, &status, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (status, >=, FS_CACHE_COMMIT_STORED);
  g_assert_cmpint (status, <=, FS_CACHE_COMMIT_INCOMPATIBLE);
  return status;
}

FsCacheEntry *
fs_test_store_commit (FsCache *cache,
                      const char *name,
                      gsize n_bytes,
                      FsCacheCommitStatus *out_status)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;

  entry = fs_cache_store (cache, name, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (entry);
  fs_test_write_entry_file (entry, "file", n_bytes);
  *out_status = fs_test_commit (entry);
  return g_steal_pointer (&entry);
}

const char *
fs_test_status_nick (FsCacheCommitStatus status)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (FS_TYPE_CACHE_COMMIT_STATUS);
  GEnumValue *value = g_enum_get_value (klass, (int) status);

  g_assert_nonnull (value);
  return value->value_nick; /* static strings, valid after the unref */
}

/* ------------------------------------------------------------------------ */
/* Processes                                                                 */

gboolean
fs_test_run (const char *const *argv, char **out_stdout, GError **error)
{
  g_autoptr (GSubprocess) proc = NULL;
  GSubprocessFlags flags =
    out_stdout != NULL ? G_SUBPROCESS_FLAGS_STDOUT_PIPE : G_SUBPROCESS_FLAGS_NONE;

  proc = g_subprocess_newv (argv, flags, error);
  if (proc == NULL)
    return FALSE;
  if (!g_subprocess_communicate_utf8 (proc, NULL, NULL, out_stdout, NULL, error))
    return FALSE;
  return g_subprocess_wait_check (proc, NULL, error);
}

char *
fs_test_traced_asan_options (void)
{
  const char *now = g_getenv ("ASAN_OPTIONS");
  return g_strdup_printf ("ASAN_OPTIONS=%s%sdetect_leaks=0", now != NULL ? now : "",
                          now != NULL && *now != '\0' ? ":" : "");
}

/* The subprocess finds the parent's cache in the environment. */
#define CHILD_CACHE_DIR_ENV "FS_TEST_CHILD_CACHE_DIR"

void
fs_test_run_child (const char *cache_dir, guint timeout_seconds)
{
  g_setenv (CHILD_CACHE_DIR_ENV, cache_dir, TRUE);
  g_test_trap_subprocess (NULL, timeout_seconds * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv (CHILD_CACHE_DIR_ENV);
  g_test_trap_assert_passed ();
}

const char *
fs_test_child_cache_dir (void)
{
  const char *dir = g_getenv (CHILD_CACHE_DIR_ENV);
  g_assert_nonnull (dir);
  return dir;
}

struct _FsTestHelper {
  GSubprocess *proc;
  GDataInputStream *out;
  GOutputStream *in;
  gboolean waited;
};

const char *
fs_test_helper_path (void)
{
  static char *path = NULL;

  if (path == NULL)
    {
      const char *env = g_getenv ("FSCACHE_TEST_HELPER");

      if (env != NULL && *env != '\0')
        path = g_strdup (env);
      else
        path = g_test_build_filename (G_TEST_BUILT, "fs-test-helper", NULL);
    }
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE));
  return path;
}

FsTestHelper *
fs_test_helper_spawn (const char *first_arg, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *cmdline = NULL;
  FsTestHelper *helper;
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) fs_test_helper_path ());
  va_start (ap, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  cmdline = g_strjoinv (" ", (char **) argv->pdata);
  g_test_message ("spawning %s", cmdline);

  /* A helper that died must not kill us when we write to its stdin. */
  signal (SIGPIPE, SIG_IGN);

  helper = g_new0 (FsTestHelper, 1);
  /* GSubprocess closes every descriptor but 0-2 in the child, so the helper
   * never shares one of our open file descriptions (and their OFD locks). */
  helper->proc =
    g_subprocess_newv ((const char *const *) argv->pdata,
                       G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  helper->in = g_subprocess_get_stdin_pipe (helper->proc);
  helper->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (helper->proc));
  g_data_input_stream_set_newline_type (helper->out, G_DATA_STREAM_NEWLINE_TYPE_LF);
  return helper;
}

char *
fs_test_helper_read_line (FsTestHelper *helper)
{
  g_autoptr (GError) error = NULL;
  char *line;
  const char *id = g_subprocess_get_identifier (helper->proc);

  line = g_data_input_stream_read_line_utf8 (helper->out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("helper %s said: %s", id != NULL ? id : "(exited)", line ? line : "(EOF)");
  return line;
}

void
fs_test_helper_assert_line (FsTestHelper *helper, const char *expected)
{
  g_autofree char *line = fs_test_helper_read_line (helper);

  g_assert_cmpstr (line, ==, expected);
}

void
fs_test_helper_write_line (FsTestHelper *helper, const char *line)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = g_strconcat (line, "\n", NULL);

  g_output_stream_write_all (helper->in, text, strlen (text), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_flush (helper->in, NULL, &error);
  g_assert_no_error (error);
}

void
fs_test_helper_close_stdin (FsTestHelper *helper)
{
  g_autoptr (GError) error = NULL;

  if (g_output_stream_is_closed (helper->in))
    return;
  g_output_stream_close (helper->in, NULL, &error);
  g_assert_no_error (error);
}

static int
wait_status (FsTestHelper *helper)
{
  g_autoptr (GError) error = NULL;

  g_subprocess_wait (helper->proc, NULL, &error);
  g_assert_no_error (error);
  helper->waited = TRUE;

  if (g_subprocess_get_if_exited (helper->proc))
    return g_subprocess_get_exit_status (helper->proc);
  g_assert_true (g_subprocess_get_if_signaled (helper->proc));
  return 128 + g_subprocess_get_term_sig (helper->proc);
}

int
fs_test_helper_wait (FsTestHelper *helper)
{
  fs_test_helper_close_stdin (helper);
  return wait_status (helper);
}

void
fs_test_helper_kill (FsTestHelper *helper)
{
  /* Not g_subprocess_force_exit(): it sends the signal later, from GLib's
   * worker thread, and the helper could see EOF and exit cleanly first. The
   * child is not reaped before we wait, so its pid is still ours to kill. */
  g_assert_cmpint (kill (fs_test_helper_get_pid (helper), SIGKILL), ==, 0);
  g_assert_cmpint (wait_status (helper), ==, 128 + SIGKILL);
  fs_test_helper_close_stdin (helper);
}

GPid
fs_test_helper_get_pid (FsTestHelper *helper)
{
  const char *id = g_subprocess_get_identifier (helper->proc);

  g_assert_nonnull (id);
  return (GPid) g_ascii_strtoll (id, NULL, 10);
}

void
fs_test_helper_free (FsTestHelper *helper)
{
  if (helper == NULL)
    return;
  if (!helper->waited && g_subprocess_get_identifier (helper->proc) != NULL)
    {
      g_subprocess_force_exit (helper->proc);
      g_subprocess_wait (helper->proc, NULL, NULL);
    }
  g_clear_object (&helper->out);
  g_clear_object (&helper->proc);
  g_free (helper);
}

/* ------------------------------------------------------------------------ */
/* Other users and system tools                                              */

#include <grp.h>

void
fs_test_drop_privileges (void)
{
  g_assert_cmpint (setgroups (0, NULL), ==, 0);
  g_assert_cmpint (setresgid (FS_TEST_NOBODY, FS_TEST_NOBODY, FS_TEST_NOBODY), ==, 0);
  g_assert_cmpint (setresuid (FS_TEST_NOBODY, FS_TEST_NOBODY, FS_TEST_NOBODY), ==, 0);
  g_assert_cmpint (geteuid (), ==, FS_TEST_NOBODY);
}

char *
fs_test_helper_copy_to (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) from = g_file_new_for_path (fs_test_helper_path ());
  g_autofree char *path = g_build_filename (dir, "fs-test-helper", NULL);
  g_autoptr (GFile) to = g_file_new_for_path (path);

  g_file_copy (from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chmod (path, 0755), ==, 0);
  return g_steal_pointer (&path);
}

typedef struct {
  FsTestCreds creds;
  gid_t groups[64];
} SpawnAs;

/* Between fork and exec: only async-signal-safe calls. */
static void
spawn_as_child_setup (gpointer user_data)
{
  SpawnAs *as = user_data;
  static const char msg[] = "fs-test-helper: could not take the test identity\n";

  umask (as->creds.umask);
  if (setgroups (as->creds.n_groups, as->groups) < 0 ||
      setresgid (as->creds.gid, as->creds.gid, as->creds.gid) < 0 ||
      setresuid (as->creds.uid, as->creds.uid, as->creds.uid) < 0)
    {
      (void) !write (2, msg, sizeof msg - 1);
      _exit (126);
    }
}

FsTestHelper *
fs_test_helper_spawn_as (const FsTestCreds *creds,
                         const char *helper_path,
                         const char *first_arg,
                         ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *cmdline = NULL;
  FsTestHelper *helper;
  SpawnAs *as;
  const char *arg;
  va_list ap;

  g_assert_cmpuint (creds->n_groups, <=, 64);
  as = g_new0 (SpawnAs, 1);
  as->creds = *creds;
  for (gsize i = 0; i < creds->n_groups; i++)
    as->groups[i] = creds->groups[i];
  as->creds.groups = NULL;

  g_ptr_array_add (argv, (gpointer) helper_path);
  va_start (ap, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  cmdline = g_strjoinv (" ", (char **) argv->pdata);
  g_test_message ("spawning as uid %u gid %u: %s", (unsigned) creds->uid, (unsigned) creds->gid,
                  cmdline);
  signal (SIGPIPE, SIG_IGN);

  launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_cwd (launcher, "/");
  g_subprocess_launcher_set_child_setup (launcher, spawn_as_child_setup, as, g_free);

  helper = g_new0 (FsTestHelper, 1);
  helper->proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  helper->in = g_subprocess_get_stdin_pipe (helper->proc);
  helper->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (helper->proc));
  g_data_input_stream_set_newline_type (helper->out, G_DATA_STREAM_NEWLINE_TYPE_LF);
  return helper;
}

char *
fs_test_helper_ask (FsTestHelper *helper, const char *line)
{
  g_test_message ("asking the helper: %s", line);
  fs_test_helper_write_line (helper, line);
  return fs_test_helper_read_line (helper);
}

gboolean
fs_test_path_reachable_by_all (const char *path)
{
  g_autofree char *p = g_canonicalize_filename (path, NULL);

  for (;;)
    {
      struct stat st;
      char *parent;

      if (stat (p, &st) < 0 || !S_ISDIR (st.st_mode) || (st.st_mode & S_IXOTH) == 0)
        return FALSE;
      if (g_str_equal (p, "/"))
        return TRUE;
      parent = g_path_get_dirname (p);
      g_free (p);
      p = parent;
    }
}

char *
fs_test_find_program (const char *program)
{
  static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/local/sbin" };
  char *path = g_find_program_in_path (program);

  for (gsize i = 0; path == NULL && i < G_N_ELEMENTS (dirs); i++)
    {
      char *candidate = g_build_filename (dirs[i], program, NULL);
      if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
        path = candidate;
      else
        g_free (candidate);
    }
  return path;
}

FsCacheInfo *
fs_test_dup_info (FsCache *cache)
{
  g_autoptr (GError) error = NULL;
  FsCacheInfo *info = fs_cache_dup_info (cache, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (info);
  return info;
}

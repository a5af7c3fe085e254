/* test-remote.c: pushing and pulling entries through a real nginx
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two caches on one machine stand for two machines: A stores and pushes,
 * B loads (pulls on a miss) from the same server. Every test starts its
 * own nginx (fs-test-nginx.h) and checks what reached it in its folder and
 * access log, and what was left in the caches: no uuid-* debris, and
 * cache.size equal to the sum of the entries' sizes.
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "fs-test-nginx.h"
#include "fs-test-util.h"

/* ---- the messages of the library ------------------------------------------------- */

/* A load that falls back to a miss reports the remote's failure once, with
 * g_message(): counted (and kept) here. */
static GMutex log_mutex;
static GString *messages;
static guint n_messages;

static GLogWriterOutput
collect_log (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  if ((level & G_LOG_LEVEL_MASK) == G_LOG_LEVEL_MESSAGE)
    {
      g_mutex_lock (&log_mutex);
      for (gsize i = 0; i < n_fields; i++)
        if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
          {
            g_string_append (messages, fields[i].value);
            g_string_append_c (messages, '\n');
          }
      n_messages++;
      g_mutex_unlock (&log_mutex);
    }
  return g_log_writer_default (level, fields, n_fields, data);
}

static void
messages_clear (void)
{
  g_mutex_lock (&log_mutex);
  g_string_truncate (messages, 0);
  n_messages = 0;
  g_mutex_unlock (&log_mutex);
}

/* ---- fixture ---------------------------------------------------------------------- */

typedef struct {
  char *tmpdir;
  FsTestNginx *nx;
  char *dir_a, *dir_b;
  FsCache *a, *b;
  char *src; /* a tree to store */
} Fixture;

static const FsTestNginxOptions default_server = { NULL };
static const FsTestNginxOptions slow_server = { .limit_rate = "64k" };
static const FsTestNginxOptions trickle_server = { .limit_rate = "1k" };
static const FsTestNginxOptions bearer_server = { .bearer = "TOKEN-5f0c2e19a7" };

static void
clear_credentials_env (void)
{
  static const char *const vars[] = { "FSCACHE_REMOTE_TOKEN", "FSCACHE_REMOTE_USER",
                                      "FSCACHE_REMOTE_PASSWORD" };
  for (gsize i = 0; i < G_N_ELEMENTS (vars); i++)
    if (g_getenv (vars[i]) != NULL)
      g_unsetenv (vars[i]);
}

/* Points @cache at @url (the server's root when NULL). */
static void
set_remote (Fixture *fx, FsCache *cache, const char *url)
{
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
  g_autoptr (GError) error = NULL;

  fs_cache_info_set_remote_url (info, url != NULL ? url : fx->nx->url);
  g_assert_true (fs_cache_set_info (cache, info, NULL, &error));
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;

  /* A subprocess of fs_test_run_child() uses its parent's server. */
  if (g_test_subprocess ())
    return;
  fx->tmpdir = g_dir_make_tmp ("fscache-remote-XXXXXX", &error);
  g_assert_no_error (error);
  dir = g_build_filename (fx->tmpdir, "nginx", NULL);
  fx->nx = fs_test_nginx_start (dir, data);
  clear_credentials_env ();
  messages_clear ();
  if (fx->nx == NULL)
    return;
  fx->dir_a = g_build_filename (fx->tmpdir, "a", NULL);
  fx->dir_b = g_build_filename (fx->tmpdir, "b", NULL);
  fx->src = g_build_filename (fx->tmpdir, "src", NULL);
  fx->a = fs_test_open_cache (fx->dir_a);
  fx->b = fs_test_open_cache (fx->dir_b);
  fs_test_set_maximum_size (fx->a, FS_CACHE_SIZE_UNLIMITED);
  fs_test_set_maximum_size (fx->b, FS_CACHE_SIZE_UNLIMITED);
  set_remote (fx, fx->a, NULL);
  set_remote (fx, fx->b, NULL);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  g_clear_object (&fx->a);
  g_clear_object (&fx->b);
  g_clear_pointer (&fx->nx, fs_test_nginx_stop);
  if (fx->tmpdir != NULL)
    fs_test_rm_rf (fx->tmpdir);
  g_free (fx->tmpdir);
  g_free (fx->dir_a);
  g_free (fx->dir_b);
  g_free (fx->src);
  clear_credentials_env ();
}

#define NEED_SERVER(fx)   \
  G_STMT_START            \
  {                       \
    if ((fx)->nx == NULL) \
      return;             \
  }                       \
  G_STMT_END

/* ---- trees ------------------------------------------------------------------------ */

static char *
sha256_of_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
}

static void
write_bytes (const char *path, gsize n, guint seed)
{
  g_autofree guint8 *buf = g_malloc (n);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autofree char *parent = g_path_get_dirname (path);

  for (gsize i = 0; i < n; i++)
    buf[i] = (guint8) g_rand_int (rand);
  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, (const char *) buf, (gssize) n, NULL));
}

/* A tree with every kind of node: files of several sizes, one empty, two
 * with the same content, hard links, a symlink, a FIFO, an extended
 * attribute, unusual modes, a read-only directory; as root also another
 * owner and a device node. */
static void
make_tree (const char *root)
{
  g_autofree char *p = NULL;

  write_bytes ((p = g_build_filename (root, "small", NULL)), 100, 1);
  g_clear_pointer (&p, g_free);
  write_bytes ((p = g_build_filename (root, "dir", "big", NULL)), 300 * 1024, 2);
  g_clear_pointer (&p, g_free);
  write_bytes ((p = g_build_filename (root, "dir", "sub", "twin-a", NULL)), 5000, 3);
  g_clear_pointer (&p, g_free);
  write_bytes ((p = g_build_filename (root, "twin-b", NULL)), 5000, 3);
  g_clear_pointer (&p, g_free);
  fs_test_write_text ((p = g_build_filename (root, "empty", NULL)), "", 0);
  g_clear_pointer (&p, g_free);
  {
    g_autofree char *from = g_build_filename (root, "dir", "big", NULL);
    g_autofree char *to = g_build_filename (root, "hardlink", NULL);
    g_assert_cmpint (link (from, to), ==, 0);
  }
  g_assert_cmpint (symlink ("dir/big", (p = g_build_filename (root, "symlink", NULL))), ==, 0);
  g_clear_pointer (&p, g_free);
  g_assert_cmpint (mkfifo ((p = g_build_filename (root, "fifo", NULL)), 0640), ==, 0);
  g_clear_pointer (&p, g_free);
  p = g_build_filename (root, "small", NULL);
  if (setxattr (p, "user.fscache-test", "value", 5, 0) < 0)
    g_test_message ("no user xattrs here: %s", g_strerror (errno));
  g_assert_cmpint (chmod (p, 0640), ==, 0);
  g_clear_pointer (&p, g_free);
  g_assert_cmpint (chmod ((p = g_build_filename (root, "twin-b", NULL)), 04755), ==, 0);
  g_clear_pointer (&p, g_free);
  if (geteuid () == 0)
    {
      g_assert_cmpint (chown ((p = g_build_filename (root, "dir", "sub", "twin-a", NULL)), 1234,
                              5678),
                       ==, 0);
      g_clear_pointer (&p, g_free);
      g_assert_cmpint (mknod ((p = g_build_filename (root, "null", NULL)), S_IFCHR | 0666,
                              makedev (1, 3)),
                       ==, 0);
      g_clear_pointer (&p, g_free);
    }
  g_assert_cmpint (chmod ((p = g_build_filename (root, "dir", "sub", NULL)), 0555), ==, 0);
  g_clear_pointer (&p, g_free);
}

static void
store_tree (FsCache *cache, const char *name, const char *src)
{
  g_autoptr (GFile) file = g_file_new_for_path (src);
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status;

  g_assert_true (fs_cache_store_tree (cache, name, file, FS_CACHE_STORE_NONE, NULL, NULL, &status,
                                      NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
}

static FsCacheTransfer *
push (FsCache *cache, const char *name)
{
  g_autoptr (GError) error = NULL;
  FsCacheTransfer *transfer = fs_cache_push (cache, name, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (transfer);
  return transfer;
}

static FsCacheTransfer *
pull (FsCache *cache, const char *name, FsCacheCommitStatus expected)
{
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status = 99;
  FsCacheTransfer *transfer = fs_cache_pull (cache, name, NULL, NULL, &status, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (transfer);
  g_assert_cmpstr (fs_test_status_nick (status), ==, fs_test_status_nick (expected));
  return transfer;
}

static char *
tree_digest_of (FsCache *cache, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, name, NULL, &error);

  g_assert_no_error (error);
  return g_strdup (fs_cache_entry_get_tree_digest (entry));
}

/* Asserts that a remote load of @name in @cache misses, reports one
 * message naming the remote, and leaves nothing behind. */
static void
assert_remote_miss (Fixture *fx, FsCache *cache, const char *dir, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  guint64 used = G_MAXUINT64;

  messages_clear ();
  entry = fs_cache_load_full (cache, name, FS_CACHE_LOAD_REMOTE, NULL, &error);
  g_assert_null (entry);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  g_mutex_lock (&log_mutex);
  g_assert_cmpuint (n_messages, ==, 1);
  g_assert_nonnull (strstr (messages->str, fx->nx->url));
  g_test_message ("the message: %s", messages->str);
  g_mutex_unlock (&log_mutex);
  g_assert_false (fs_test_entry_is_present (dir, name));
  g_assert_cmpuint (fs_test_count_uuid (dir), ==, 0);
  fs_test_assert_consistent (dir);
  g_assert_true (fs_cache_get_usage (cache, &used, NULL, NULL, NULL));
  g_assert_cmpuint (used, ==, fs_test_sum_object_sizes (dir));
}

/* The paths of the PUTs in nginx's access log, in the order they were
 * logged (after fs_test_nginx_count(), which makes the log complete). */
static GPtrArray *
logged_puts (Fixture *fx)
{
  g_autofree char *log = g_build_filename (fx->nx->dir, "access.log", NULL);
  g_autofree char *data = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *puts = g_ptr_array_new_with_free_func (g_free);

  (void) fs_test_nginx_count (fx->nx, NULL, "/", 0);
  g_assert_true (g_file_get_contents (log, &data, NULL, NULL));
  lines = g_strsplit (data, "\n", 0);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], " ", 0);
      if (g_strv_length (f) == 8 && g_str_equal (f[0], "PUT"))
        g_ptr_array_add (puts, g_strdup (f[1]));
    }
  return puts;
}

static FsCacheStats *
stats_of (FsCache *cache)
{
  g_autoptr (GError) error = NULL;
  FsCacheStats *stats = fs_cache_get_stats (cache, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (stats);
  return stats;
}

static void
zero_stats (FsCache *cache)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (fs_cache_zero_stats (cache, NULL, &error));
  g_assert_no_error (error);
}

/* ---- store in A, load in B ------------------------------------------------------- */

static void
test_roundtrip (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheTransfer) pushed = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *digest_a = NULL;
  g_autofree char *p = NULL;
  g_autofree char *q = NULL;
  char value[16] = "";
  char target[64] = "";
  struct stat st1, st2;
  guint puts, requests;

  NEED_SERVER (fx);
  make_tree (fx->src);
  store_tree (fx->a, "tree", fx->src);
  digest_a = tree_digest_of (fx->a, "tree");

  pushed = push (fx->a, "tree");
  /* Contents: small, big (and its hard link), the twins' one, the
   * manifest; the empty file needs none. */
  g_assert_cmpuint (fs_cache_transfer_get_blobs_sent (pushed), ==, 4);
  g_assert_cmpuint (fs_cache_transfer_get_blobs_skipped (pushed), ==, 0);
  g_assert_cmpstr (fs_cache_transfer_get_tree_digest (pushed), ==, digest_a);
  puts = fs_test_nginx_count (fx->nx, "PUT", "/", 0);
  g_assert_cmpuint (puts, ==, 5); /* 4 blobs and the ac document */
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "PUT", "/ac/", 0), ==, 1);
  {
    /* The order: every content, then the manifest, then the ac document. */
    g_autoptr (GPtrArray) order = logged_puts (fx);
    g_autofree char *manifest = g_strconcat ("/cas/", digest_a, NULL);

    g_assert_cmpuint (order->len, ==, 5);
    g_assert_true (g_str_has_prefix (order->pdata[4], "/ac/"));
    g_assert_cmpstr (order->pdata[3], ==, manifest);
  }
  {
    g_autofree char *rel = g_strconcat ("cas/", digest_a, NULL);
    g_autofree char *blob = fs_test_nginx_path (fx->nx, rel);
    g_assert_true (g_file_test (blob, G_FILE_TEST_IS_REGULAR)); /* the manifest */
  }

  /* B: a plain load never asks the server. */
  requests = fs_test_nginx_count (fx->nx, NULL, "/", 0);
  fs_test_assert_miss (fx->b, "tree");
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, NULL, "/", 0), ==, requests);

  entry = fs_cache_load_full (fx->b, "tree", FS_CACHE_LOAD_REMOTE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (entry);
  g_assert_cmpuint (n_messages, ==, 0);
  /* The same nodes: content, types, modes, owners, links, attributes. */
  g_assert_cmpstr (fs_cache_entry_get_tree_digest (entry), ==, digest_a);
  g_assert_true (fs_cache_entry_verify (entry, NULL, NULL, &error));
  g_assert_no_error (error);
  fs_test_assert_consistent (fx->dir_b);

  /* And, independently of the manifests, a few of them by hand. */
  p = g_build_filename (fs_cache_entry_get_path (entry), "dir", "big", NULL);
  q = g_build_filename (fs_cache_entry_get_path (entry), "hardlink", NULL);
  g_assert_cmpint (stat (p, &st1), ==, 0);
  g_assert_cmpint (stat (q, &st2), ==, 0);
  g_assert_cmpuint (st1.st_ino, ==, st2.st_ino);
  {
    g_autofree char *src_big = g_build_filename (fx->src, "dir", "big", NULL);
    g_autofree char *d1 = sha256_of_file (src_big);
    g_autofree char *d2 = sha256_of_file (p);
    g_assert_cmpstr (d1, ==, d2);
  }
  g_clear_pointer (&p, g_free);
  p = g_build_filename (fs_cache_entry_get_path (entry), "symlink", NULL);
  g_assert_cmpint (readlink (p, target, sizeof target - 1), ==, 7);
  g_assert_cmpstr (target, ==, "dir/big");
  g_clear_pointer (&p, g_free);
  p = g_build_filename (fs_cache_entry_get_path (entry), "small", NULL);
  g_assert_cmpint (stat (p, &st1), ==, 0);
  g_assert_cmpuint (st1.st_mode & 07777, ==, 0640);
  if (getxattr (p, "user.fscache-test", value, sizeof value - 1) >= 0)
    g_assert_cmpstr (value, ==, "value");
  g_clear_pointer (&p, g_free);
  p = g_build_filename (fs_cache_entry_get_path (entry), "twin-b", NULL);
  g_assert_cmpint (stat (p, &st1), ==, 0);
  g_assert_cmpuint (st1.st_mode & 07777, ==, 04755);
  g_clear_pointer (&p, g_free);
  p = g_build_filename (fs_cache_entry_get_path (entry), "dir", "sub", NULL);
  g_assert_cmpint (stat (p, &st1), ==, 0);
  g_assert_cmpuint (st1.st_mode & 07777, ==, 0555);
  g_clear_pointer (&p, g_free);
  p = g_build_filename (fs_cache_entry_get_path (entry), "fifo", NULL);
  g_assert_cmpint (lstat (p, &st1), ==, 0);
  g_assert_true (S_ISFIFO (st1.st_mode));
  if (geteuid () == 0)
    {
      g_clear_pointer (&p, g_free);
      p = g_build_filename (fs_cache_entry_get_path (entry), "dir", "sub", "twin-a", NULL);
      g_assert_cmpint (stat (p, &st1), ==, 0);
      g_assert_cmpuint (st1.st_uid, ==, 1234);
      g_assert_cmpuint (st1.st_gid, ==, 5678);
      g_clear_pointer (&p, g_free);
      p = g_build_filename (fs_cache_entry_get_path (entry), "null", NULL);
      g_assert_cmpint (lstat (p, &st1), ==, 0);
      g_assert_true (S_ISCHR (st1.st_mode));
      g_assert_cmpuint (st1.st_rdev, ==, makedev (1, 3));
    }
}

/* A file of an entry that changed since it was stored (here: written
 * over) is never stored on the server under the digest it no longer has:
 * the push hashes what it sends and fails. (Not the write-through of a
 * commit of this cache, moments ago: fs-remote-push.c says why.) */
static void
test_push_checks_old_entries (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCache) again = NULL;
  g_autoptr (FsCacheTransfer) t = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *file = g_build_filename (fx->src, "file", NULL);
  g_autofree char *in_a = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *rel = NULL;
  g_autofree char *blob = NULL;

  NEED_SERVER (fx);
  write_bytes (file, 50000, 1);
  digest = sha256_of_file (file);
  store_tree (fx->a, "e", fx->src);
  in_a = g_build_filename (fx->dir_a, "objects", "e", "data", "file", NULL);
  write_bytes (in_a, 50000, 2);

  /* Another open of the cache (another process, a later run): the entry
   * was not committed by it. */
  again = fs_test_open_cache (fx->dir_a);
  t = fs_cache_push (again, "e", NULL, NULL, NULL, &error);
  g_assert_null (t);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "does not match its digest"));
  rel = g_strconcat ("cas/", digest, NULL);
  blob = fs_test_nginx_path (fx->nx, rel);
  g_assert_false (g_file_test (blob, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "PUT", "/ac/", 0), ==, 0);
}

/* A second push of an entry the server has sends nothing: no PUT at all. */
static void
test_push_again (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheTransfer) first = NULL;
  g_autoptr (FsCacheTransfer) again = NULL;
  guint puts;

  NEED_SERVER (fx);
  make_tree (fx->src);
  store_tree (fx->a, "tree", fx->src);
  first = push (fx->a, "tree");
  puts = fs_test_nginx_count (fx->nx, "PUT", "/", 0);
  again = push (fx->a, "tree");
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "PUT", "/", 0), ==, puts);
  g_assert_cmpuint (fs_cache_transfer_get_blobs_sent (again), ==, 0);
  g_assert_cmpuint (fs_cache_transfer_get_blobs_skipped (again), ==,
                    fs_cache_transfer_get_blobs_sent (first));
  g_assert_cmpuint (fs_cache_transfer_get_bytes_sent (again), ==, 0);
  /* A HEAD per blob and the GET of the ac document. */
  g_assert_cmpuint (fs_cache_transfer_get_requests (again), ==,
                    fs_cache_transfer_get_blobs_sent (first) + 1);
}

/* A version of an entry that differs in one file uploads that file, the
 * manifest and the ac document; a cache that holds the first version
 * downloads that one file and the manifest. */
static void
test_one_file_change (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheTransfer) t1 = NULL;
  g_autoptr (FsCacheTransfer) t2 = NULL;
  g_autoptr (FsCacheTransfer) p1 = NULL;
  g_autoptr (FsCacheTransfer) p2 = NULL;
  g_autofree char *changed = NULL;
  g_autofree char *digest_a = NULL;
  g_autofree char *digest_b = NULL;
  guint puts, cas_gets;

  NEED_SERVER (fx);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%02u", i);
      g_autofree char *p = g_build_filename (fx->src, "files", name, NULL);
      write_bytes (p, 10000 + i, 100 + i);
    }
  store_tree (fx->a, "v1", fx->src);
  t1 = push (fx->a, "v1");
  g_assert_cmpuint (fs_cache_transfer_get_blobs_sent (t1), ==, 21);

  changed = g_build_filename (fx->src, "files", "f07", NULL);
  write_bytes (changed, 65536, 999);
  store_tree (fx->a, "v2", fx->src);
  puts = fs_test_nginx_count (fx->nx, "PUT", "/", 0);
  t2 = push (fx->a, "v2");
  /* The file, the manifest, the ac document: counted in nginx's log. */
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "PUT", "/", 0) - puts, ==, 3);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "PUT", "/ac/", 0), ==, 2);
  g_assert_cmpuint (fs_cache_transfer_get_blobs_sent (t2), ==, 2);
  g_assert_cmpuint (fs_cache_transfer_get_blobs_skipped (t2), ==, 19);

  p1 = pull (fx->b, "v1", FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (fs_cache_transfer_get_blobs_received (p1), ==, 21);
  cas_gets = fs_test_nginx_count (fx->nx, "GET", "/cas/", 0);
  p2 = pull (fx->b, "v2", FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "GET", "/cas/", 0) - cas_gets, ==, 2);
  g_assert_cmpuint (fs_cache_transfer_get_blobs_received (p2), ==, 2);
  g_assert_cmpuint (fs_cache_transfer_get_blobs_copied (p2), ==, 19);
  g_assert_cmpuint (fs_cache_transfer_get_requests (p2), ==, 3);
  /* What moved: the changed file, the manifest and the ac document. */
  g_assert_cmpuint (fs_cache_transfer_get_bytes_received (p2), >=, 65536);
  g_assert_cmpuint (fs_cache_transfer_get_bytes_received (p2), <, 65536 + 8192);

  digest_a = tree_digest_of (fx->a, "v2");
  digest_b = tree_digest_of (fx->b, "v2");
  g_assert_cmpstr (digest_a, ==, digest_b);
  fs_test_assert_consistent (fx->dir_b);
}

/* A local file damaged since it was stored is not copied: its content is
 * downloaded instead. */
static void
test_local_copy_checked (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheTransfer) p1 = NULL;
  g_autoptr (FsCacheTransfer) p2 = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *one = g_build_filename (fx->src, "one", NULL);
  g_autofree char *two = g_build_filename (fx->src, "two", NULL);
  g_autofree char *in_b = NULL;

  NEED_SERVER (fx);
  write_bytes (one, 40000, 1);
  write_bytes (two, 40000, 2);
  store_tree (fx->a, "v1", fx->src);
  g_clear_object (&p1);
  p1 = push (fx->a, "v1");
  write_bytes (two, 40000, 3);
  store_tree (fx->a, "v2", fx->src);
  g_clear_object (&p1);
  p1 = push (fx->a, "v2");
  g_clear_object (&p1);
  p1 = pull (fx->b, "v1", FS_CACHE_COMMIT_STORED);

  /* Damage B's copy of "one", keeping its size. */
  in_b = g_build_filename (fx->dir_b, "objects", "v1", "data", "one", NULL);
  write_bytes (in_b, 40000, 77);

  p2 = pull (fx->b, "v2", FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (fs_cache_transfer_get_blobs_copied (p2), ==, 0);
  g_assert_cmpuint (fs_cache_transfer_get_blobs_received (p2), ==, 3);
  entry = fs_cache_load (fx->b, "v2", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (fs_cache_entry_verify (entry, NULL, NULL, &error));
  g_assert_no_error (error);
  fs_test_assert_consistent (fx->dir_b);
}

/* Pulled by a user who may not give files to others: the owners are the
 * puller's, the rest as the manifest says, and the entry is described by
 * what it is — its own manifest, which it verifies against. */
static void
test_owners_not_permitted (Fixture *fx, gconstpointer data)
{
  if (g_test_subprocess ())
    {
      g_autoptr (FsCache) cache = NULL;
      g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
      g_autoptr (FsCacheEntry) entry = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *p = NULL;
      struct stat st;

      fs_test_drop_privileges ();
      cache = fs_test_open_cache (fs_test_child_cache_dir ());
      fs_cache_info_set_maximum_size (info, FS_CACHE_SIZE_UNLIMITED);
      fs_cache_info_set_remote_url (info, g_getenv ("FSCACHE_TEST_REMOTE_URL"));
      g_assert_true (fs_cache_set_info (cache, info, NULL, &error));
      g_assert_no_error (error);
      entry = fs_cache_load_full (cache, "tree", FS_CACHE_LOAD_REMOTE, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (entry);
      g_assert_cmpuint (n_messages, ==, 0);
      g_assert_cmpstr (fs_cache_entry_get_tree_digest (entry), !=,
                       g_getenv ("FSCACHE_TEST_TREE_DIGEST"));
      g_assert_true (fs_cache_entry_verify (entry, NULL, NULL, &error));
      g_assert_no_error (error);
      p = g_build_filename (fs_cache_entry_get_path (entry), "dir", "sub", "twin-a", NULL);
      g_assert_cmpint (stat (p, &st), ==, 0);
      g_assert_cmpuint (st.st_uid, ==, FS_TEST_NOBODY);
      g_clear_pointer (&p, g_free);
      p = g_build_filename (fs_cache_entry_get_path (entry), "twin-b", NULL);
      g_assert_cmpint (stat (p, &st), ==, 0);
      g_assert_cmpuint (st.st_mode & 07777, ==, 04755);
      return;
    }

  {
    g_autoptr (FsCacheTransfer) t = NULL;
    g_autofree char *digest = NULL;
    g_autofree char *dir_c = g_build_filename (fx->tmpdir, "c", NULL);
    g_autofree char *null_dev = g_build_filename (fx->src, "null", NULL);

    NEED_SERVER (fx);
    if (geteuid () != 0)
      {
        g_test_skip ("needs root, to store files of other owners and become nobody");
        return;
      }
    make_tree (fx->src);
    g_assert_cmpint (unlink (null_dev), ==, 0); /* nobody can't make it */
    store_tree (fx->a, "tree", fx->src);
    t = push (fx->a, "tree");
    digest = tree_digest_of (fx->a, "tree");

    g_assert_cmpint (chmod (fx->tmpdir, 0755), ==, 0);
    g_assert_cmpint (mkdir (dir_c, 0755), ==, 0);
    g_assert_cmpint (chown (dir_c, FS_TEST_NOBODY, FS_TEST_NOBODY), ==, 0);
    if (!fs_test_path_reachable_by_all (dir_c))
      {
        g_test_skip ("the temporary folder is out of reach of nobody");
        return;
      }
    g_setenv ("FSCACHE_TEST_REMOTE_URL", fx->nx->url, TRUE);
    g_setenv ("FSCACHE_TEST_TREE_DIGEST", digest, TRUE);
    fs_test_run_child (dir_c, 120);
    g_assert_cmpuint (fs_test_count_objects (dir_c), ==, 1);
    g_assert_cmpuint (fs_test_count_uuid (dir_c), ==, 0);
  }
}

/* ---- what goes wrong on the server ----------------------------------------------- */

typedef enum {
  DAMAGE_CORRUPT,          /* a file's blob: other bytes, same size */
  DAMAGE_TRUNCATED,        /* a file's blob cut short */
  DAMAGE_DELETED,          /* a file's blob gone: an ac pointing at missing blobs */
  DAMAGE_MANIFEST_DELETED, /* the manifest gone */
  DAMAGE_MANIFEST_GARBAGE, /* the manifest replaced by bytes of its size */
  DAMAGE_AC_GARBAGE,       /* the ac document not JSON */
  DAMAGE_AC_OTHER_NAME,    /* the ac document of another entry */
} Damage;

typedef struct {
  const FsTestNginxOptions *server;
  Damage damage;
} DamageCase;

static void
test_damaged (Fixture *fx, gconstpointer data)
{
  const DamageCase *c = data;
  g_autoptr (FsCacheTransfer) pushed = NULL;
  g_autofree char *big = g_build_filename (fx->src, "big", NULL);
  g_autofree char *other = g_build_filename (fx->src, "other", NULL);
  g_autofree char *digest = NULL;
  g_autofree char *rel = NULL;
  g_autofree char *blob = NULL;
  g_autofree char *ac_dir = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *ac_name;

  NEED_SERVER (fx);
  write_bytes (big, 200000, 5);
  write_bytes (other, 1000, 6);
  store_tree (fx->a, "e", fx->src);
  pushed = push (fx->a, "e");

  switch (c->damage)
    {
    case DAMAGE_CORRUPT:
    case DAMAGE_TRUNCATED:
    case DAMAGE_DELETED:
      digest = sha256_of_file (big);
      break;
    case DAMAGE_MANIFEST_DELETED:
    case DAMAGE_MANIFEST_GARBAGE:
      digest = g_strdup (fs_cache_transfer_get_tree_digest (pushed));
      break;
    case DAMAGE_AC_GARBAGE:
    case DAMAGE_AC_OTHER_NAME:
    default:
      break;
    }
  if (digest != NULL)
    {
      rel = g_strconcat ("cas/", digest, NULL);
      blob = fs_test_nginx_path (fx->nx, rel);
      g_assert_true (g_file_test (blob, G_FILE_TEST_IS_REGULAR));
    }
  ac_dir = fs_test_nginx_path (fx->nx, "ac");
  dir = g_dir_open (ac_dir, 0, NULL);
  g_assert_nonnull (dir);
  ac_name = g_dir_read_name (dir);
  g_assert_nonnull (ac_name);

  switch (c->damage)
    {
    case DAMAGE_CORRUPT:
      write_bytes (blob, 200000, 55);
      break;
    case DAMAGE_TRUNCATED:
      g_assert_cmpint (truncate (blob, 100000), ==, 0);
      break;
    case DAMAGE_DELETED:
    case DAMAGE_MANIFEST_DELETED:
      g_assert_cmpint (unlink (blob), ==, 0);
      break;
    case DAMAGE_MANIFEST_GARBAGE:
      {
        struct stat st;
        g_assert_cmpint (stat (blob, &st), ==, 0);
        write_bytes (blob, (gsize) st.st_size, 66);
      }
      break;
    case DAMAGE_AC_GARBAGE:
      {
        g_autofree char *ac = g_build_filename (ac_dir, ac_name, NULL);
        fs_test_write_text (ac, "{\"fscache-ac\": 1, \"manifest\": [[[[", -1);
      }
      break;
    case DAMAGE_AC_OTHER_NAME:
      {
        g_autofree char *ac = g_build_filename (ac_dir, ac_name, NULL);
        g_autofree char *text = NULL;
        g_autofree char *renamed = NULL;
        g_auto (GStrv) parts = NULL;

        g_assert_true (g_file_get_contents (ac, &text, NULL, NULL));
        parts = g_strsplit (text, "\"name\": \"e\"", 2);
        g_assert_nonnull (parts[1]);
        renamed = g_strjoin ("\"name\": \"f\"", parts[0], parts[1], NULL);
        fs_test_write_text (ac, renamed, -1);
      }
      break;
    default:
      g_assert_not_reached ();
    }

  assert_remote_miss (fx, fx->b, fx->dir_b, "e");
  g_assert_cmpuint (fs_test_count_objects (fx->dir_b), ==, 0);
  /* And an explicit pull fails with the reason. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (FsCacheTransfer) t = fs_cache_pull (fx->b, "e", NULL, NULL, NULL, NULL, &error);

    g_assert_null (t);
    g_assert_nonnull (error);
    g_assert_false (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS));
    g_test_message ("pull: %s", error->message);
    g_assert_cmpuint (fs_test_count_uuid (fx->dir_b), ==, 0);
  }
}

static const DamageCase damage_corrupt = { &default_server, DAMAGE_CORRUPT };
static const DamageCase damage_truncated = { &default_server, DAMAGE_TRUNCATED };
static const DamageCase damage_deleted = { &default_server, DAMAGE_DELETED };
static const DamageCase damage_manifest_deleted = { &default_server, DAMAGE_MANIFEST_DELETED };
static const DamageCase damage_manifest_garbage = { &default_server, DAMAGE_MANIFEST_GARBAGE };
static const DamageCase damage_ac_garbage = { &default_server, DAMAGE_AC_GARBAGE };
static const DamageCase damage_ac_other_name = { &default_server, DAMAGE_AC_OTHER_NAME };

static void
damage_setup (Fixture *fx, gconstpointer data)
{
  fixture_setup (fx, ((const DamageCase *) data)->server);
}

/* An entry the server does not have: a miss, quietly. */
static void
test_remote_miss (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheTransfer) t = NULL;

  NEED_SERVER (fx);
  entry = fs_cache_load_full (fx->b, "nothing", FS_CACHE_LOAD_REMOTE, NULL, &error);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  g_assert_nonnull (strstr (error->message, fx->nx->url));
  g_assert_cmpuint (n_messages, ==, 0);
  g_clear_error (&error);
  t = fs_cache_pull (fx->b, "nothing", NULL, NULL, NULL, NULL, &error);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  g_assert_cmpuint (fs_test_count_uuid (fx->dir_b), ==, 0);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "GET", "/ac/", 404), ==, 2);
}

/* The server is gone: loads miss with one message, stores and local loads
 * go on, explicit transfers fail with the reason. */
static void
test_server_down (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheTransfer) t = NULL;

  NEED_SERVER (fx);
  make_tree (fx->src);
  store_tree (fx->a, "tree", fx->src);
  t = push (fx->a, "tree");
  g_clear_object (&t);
  fs_test_nginx_kill (fx->nx);

  assert_remote_miss (fx, fx->b, fx->dir_b, "tree");
  t = fs_cache_push (fx->a, "tree", NULL, NULL, NULL, &error);
  g_assert_null (t);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_clear_error (&error);
  t = fs_cache_pull (fx->b, "tree", NULL, NULL, NULL, NULL, &error);
  g_assert_null (t);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  /* The local cache works as ever. */
  store_tree (fx->b, "local", fx->src);
  g_free (tree_digest_of (fx->b, "local"));
  fs_test_assert_consistent (fx->dir_b);
}

typedef struct {
  FsCache *cache;
  GError *error;
  FsCacheEntry *entry;
} LoadThread;

static gpointer
load_thread (gpointer data)
{
  LoadThread *lt = data;

  lt->entry = fs_cache_load_full (lt->cache, "e", FS_CACHE_LOAD_REMOTE, NULL, &lt->error);
  return NULL;
}

/* Does @dir/objects hold an anonymous entry whose data/big exists? */
static gboolean
pull_is_downloading (const char *dir)
{
  g_autofree char *objects = g_build_filename (dir, "objects", NULL);
  g_autoptr (GDir) d = g_dir_open (objects, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *big = g_build_filename (objects, name, "data", "big", NULL);
      if (g_str_has_prefix (name, "uuid-") && g_file_test (big, G_FILE_TEST_EXISTS))
        return TRUE;
    }
  return FALSE;
}

/* The server dies in the middle of a download: a miss, nothing left. */
static void
test_server_killed_mid_transfer (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheTransfer) t = NULL;
  g_autofree char *slow = NULL;
  g_autofree char *big = g_build_filename (fx->src, "big", NULL);
  LoadThread lt = { 0 };
  GThread *thread;

  NEED_SERVER (fx);
  write_bytes (big, 4 << 20, 8);
  store_tree (fx->a, "e", fx->src);
  t = push (fx->a, "e");
  /* B reads through /slow/ (64 KiB/s): a minute for the file. */
  slow = fs_test_nginx_url (fx->nx, "slow/");
  set_remote (fx, fx->b, slow);

  lt.cache = fx->b;
  thread = g_thread_new ("load", load_thread, &lt);
  while (!pull_is_downloading (fx->dir_b))
    g_usleep (10 * 1000);
  fs_test_nginx_kill (fx->nx);
  g_thread_join (thread);

  g_assert_null (lt.entry);
  g_assert_error (lt.error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  g_clear_error (&lt.error);
  g_assert_cmpuint (n_messages, ==, 1);
  g_assert_cmpuint (fs_test_count_uuid (fx->dir_b), ==, 0);
  g_assert_cmpuint (fs_test_count_objects (fx->dir_b), ==, 0);
  fs_test_assert_consistent (fx->dir_b);
}

/* A server that trickles (nginx's limit_rate) is given up after the
 * timeout: the load is a miss. */
static void
test_timeout (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheTransfer) t = NULL;
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
  g_autofree char *slow = NULL;
  g_autofree char *big = g_build_filename (fx->src, "big", NULL);

  NEED_SERVER (fx);
  write_bytes (big, 256 * 1024, 9);
  store_tree (fx->a, "e", fx->src);
  t = push (fx->a, "e");
  slow = fs_test_nginx_url (fx->nx, "slow/");
  set_remote (fx, fx->b, slow);
  fs_cache_info_set_remote_timeout (info, 1);
  g_assert_true (fs_cache_set_info (fx->b, info, NULL, NULL));

  assert_remote_miss (fx, fx->b, fx->dir_b, "e");
  g_mutex_lock (&log_mutex);
  /* libsoup's I/O timeout, or our minimum speed over the same window. */
  g_assert_true (strstr (messages->str, "timed out") != NULL ||
                 strstr (messages->str, "too slow") != NULL);
  g_mutex_unlock (&log_mutex);
}

/* ---- configuration ---------------------------------------------------------------- */

/* A read-only remote is pulled from, never written: no PUT reaches it. */
static void
test_read_only (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
  g_autoptr (FsCacheTransfer) t = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  NEED_SERVER (fx);
  make_tree (fx->src);
  fs_cache_info_set_remote_mode (info, FS_CACHE_REMOTE_MODE_READ_ONLY);
  g_assert_true (fs_cache_set_info (fx->a, info, NULL, NULL));
  store_tree (fx->a, "tree", fx->src);
  t = fs_cache_push (fx->a, "tree", NULL, NULL, NULL, &error);
  g_assert_null (t);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_NO_REMOTE);
  g_clear_error (&error);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, NULL, "/", 0), ==, 0);

  /* B (read-write) pushes; A, read-only, pulls. */
  store_tree (fx->b, "from-b", fx->src);
  t = push (fx->b, "from-b");
  entry = fs_cache_load_full (fx->a, "from-b", FS_CACHE_LOAD_REMOTE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (entry);
}

/* Without a remote: pushes and pulls say so, loads miss quietly. */
static void
test_no_remote (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
  g_autoptr (FsCacheTransfer) t = NULL;
  g_autoptr (GError) error = NULL;

  NEED_SERVER (fx);
  fs_cache_info_set_remote_url (info, ""); /* how a remote is turned off */
  g_assert_true (fs_cache_set_info (fx->b, info, NULL, NULL));
  fs_test_store_committed (fx->b, "e", 10);
  t = fs_cache_push (fx->b, "e", NULL, NULL, NULL, &error);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_NO_REMOTE);
  g_clear_error (&error);
  t = fs_cache_pull (fx->b, "x", NULL, NULL, NULL, NULL, &error);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_NO_REMOTE);
  g_clear_error (&error);
  g_assert_null (fs_cache_load_full (fx->b, "x", FS_CACHE_LOAD_REMOTE, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  g_assert_cmpuint (n_messages, ==, 0);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, NULL, "/", 0), ==, 0);
}

/* Credentials come from the environment or a file, never from cache.info;
 * a URL holding them is refused without showing them. */
static void
test_credentials (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
  g_autoptr (FsCacheTransfer) t = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *creds = g_build_filename (fx->tmpdir, "creds", NULL);
  g_autofree char *cache_info = NULL;
  g_autofree char *text = NULL;
  g_autofree char *with_password = NULL;

  NEED_SERVER (fx);
  fs_test_store_committed (fx->a, "e", 1000);
  /* No credentials: 401. */
  t = fs_cache_push (fx->a, "e", NULL, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  /* From a file the configuration names. */
  fs_test_write_text (creds, "# the cache server\nbearer TOKEN-5f0c2e19a7\n", -1);
  fs_cache_info_set_remote_credentials_file (info, creds);
  g_assert_true (fs_cache_set_info (fx->a, info, NULL, NULL));
  t = push (fx->a, "e");
  g_clear_object (&t);
  cache_info = g_build_filename (fx->dir_a, "cache.info", NULL);
  g_assert_true (g_file_get_contents (cache_info, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, creds));
  g_assert_null (strstr (text, "TOKEN-5f0c2e19a7"));

  /* From the environment, in B. */
  g_setenv ("FSCACHE_REMOTE_TOKEN", "TOKEN-5f0c2e19a7", TRUE);
  t = pull (fx->b, "e", FS_CACHE_COMMIT_STORED);
  g_clear_object (&t);
  g_free (text);
  g_free (cache_info);
  cache_info = g_build_filename (fx->dir_b, "cache.info", NULL);
  g_assert_true (g_file_get_contents (cache_info, &text, NULL, NULL));
  g_assert_null (strstr (text, "TOKEN-5f0c2e19a7"));

  /* A password in the URL: refused, and not repeated. */
  with_password = g_strdup_printf ("http://user:pa55word@127.0.0.1:%u/", fx->nx->port);
  set_remote (fx, fx->a, with_password);
  t = fs_cache_push (fx->a, "e", NULL, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (strstr (error->message, "pa55word"));
}

/* zstd on: blobs under cas.zst/, pulled back the same. */
static void
test_zstd (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
  g_autoptr (FsCacheTransfer) t = NULL;
  g_autoptr (FsCacheTransfer) p = NULL;
  g_autofree char *digest_a = NULL;
  g_autofree char *digest_b = NULL;

  NEED_SERVER (fx);
  make_tree (fx->src);
  fs_cache_info_set_remote_zstd (info, TRUE);
  g_assert_true (fs_cache_set_info (fx->a, info, NULL, NULL));
  store_tree (fx->a, "tree", fx->src);
  t = push (fx->a, "tree");
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "PUT", "/cas.zst/", 0), ==, 4);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "PUT", "/cas/", 0), ==, 0);
  p = pull (fx->b, "tree", FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "GET", "/cas.zst/", 0), ==, 4);
  digest_a = tree_digest_of (fx->a, "tree");
  digest_b = tree_digest_of (fx->b, "tree");
  g_assert_cmpstr (digest_a, ==, digest_b);
}

/* ---- statistics ------------------------------------------------------------------- */

/* The remote tier's statistics: a push counts the bytes it sent (and no
 * load); a load that pulls counts the local miss, a remote hit and the
 * bytes received, and no hit; a name the remote does not have, and a
 * remote that is down, count a remote miss. */
static void
test_stats (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheTransfer) pushed = NULL;
  g_autoptr (FsCacheTransfer) pulled = NULL;
  g_autoptr (FsCacheStats) stats = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  guint64 down;

  NEED_SERVER (fx);
  make_tree (fx->src);
  store_tree (fx->a, "tree", fx->src);
  zero_stats (fx->a);
  pushed = push (fx->a, "tree");
  g_assert_cmpuint (fs_cache_transfer_get_bytes_sent (pushed), >, 300 * 1024);
  stats = stats_of (fx->a);
  g_assert_cmpuint (fs_cache_stats_get_remote_bytes_up (stats), ==,
                    fs_cache_transfer_get_bytes_sent (pushed));
  g_assert_cmpuint (fs_cache_stats_get_remote_bytes_down (stats), ==, 0);
  g_assert_cmpuint (fs_cache_stats_get_hits (stats), ==, 0);
  g_assert_cmpuint (fs_cache_stats_get_misses (stats), ==, 0);
  g_clear_object (&stats);

  /* B: a load that pulls. */
  zero_stats (fx->b);
  entry = fs_cache_load_full (fx->b, "tree", FS_CACHE_LOAD_REMOTE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (entry);
  fs_cache_entry_release (entry);
  g_clear_object (&entry);
  stats = stats_of (fx->b);
  g_assert_cmpuint (fs_cache_stats_get_misses (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_hits (stats), ==, 0);
  g_assert_cmpuint (fs_cache_stats_get_remote_hits (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_remote_misses (stats), ==, 0);
  down = fs_cache_stats_get_remote_bytes_down (stats);
  g_assert_cmpuint (down, >, 300 * 1024);
  g_assert_cmpuint (fs_cache_stats_get_remote_bytes_up (stats), ==, 0);
  /* A remote hit, not a store (fscache(1) says so). */
  g_assert_cmpuint (fs_cache_stats_get_stored (stats), ==, 0);
  g_clear_object (&stats);

  /* An explicit pull counts what its transfer says it received. */
  g_assert_true (fs_cache_remove (fx->b, "tree", NULL, &error));
  g_assert_no_error (error);
  zero_stats (fx->b);
  pulled = pull (fx->b, "tree", FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (fs_cache_transfer_get_bytes_received (pulled), ==, down);
  stats = stats_of (fx->b);
  g_assert_cmpuint (fs_cache_stats_get_remote_hits (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_remote_bytes_down (stats), ==, down);
  g_assert_cmpuint (fs_cache_stats_get_misses (stats), ==, 0);
  g_clear_object (&stats);

  /* A name the remote does not have: a miss here and there. */
  zero_stats (fx->b);
  entry = fs_cache_load_full (fx->b, "nowhere", FS_CACHE_LOAD_REMOTE, NULL, &error);
  g_assert_null (entry);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  g_clear_error (&error);
  stats = stats_of (fx->b);
  g_assert_cmpuint (fs_cache_stats_get_misses (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_remote_hits (stats), ==, 0);
  g_assert_cmpuint (fs_cache_stats_get_remote_misses (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_remote_errors (stats), ==, 0);
  g_clear_object (&stats);

  /* A remote that is down (nothing listens there): a miss here, a remote
   * error, not a remote miss; a push that fails is a remote error too. */
  fs_test_nginx_kill (fx->nx);
  messages_clear ();
  entry = fs_cache_load_full (fx->b, "other", FS_CACHE_LOAD_REMOTE, NULL, &error);
  g_assert_null (entry);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  g_clear_error (&error);
  g_assert_null (fs_cache_push (fx->a, "tree", NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  stats = stats_of (fx->b);
  g_assert_cmpuint (fs_cache_stats_get_misses (stats), ==, 2);
  g_assert_cmpuint (fs_cache_stats_get_remote_misses (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_remote_errors (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_remote_hits (stats), ==, 0);
  g_clear_object (&stats);
  stats = stats_of (fx->a);
  g_assert_cmpuint (fs_cache_stats_get_remote_errors (stats), ==, 1);
}

/* fs_cache_load_or_store_full(): with REMOTE the would-be builder pulls
 * (a remote hit is returned loaded, nothing to build); what the remote does
 * not have, or a remote that is down, is a writable entry; without the
 * flag the server hears nothing. */
static void
test_load_or_store (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheTransfer) t = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheStats) stats = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *digest = NULL;
  guint requests;

  NEED_SERVER (fx);
  make_tree (fx->src);
  store_tree (fx->a, "tree", fx->src);
  store_tree (fx->a, "other", fx->src);
  t = push (fx->a, "tree");
  g_clear_object (&t);
  t = push (fx->a, "other");
  digest = tree_digest_of (fx->a, "tree");
  zero_stats (fx->b);

  /* Without the flag: built here, not asked for. */
  requests = fs_test_nginx_count (fx->nx, NULL, "/", 0);
  entry = fs_cache_load_or_store_full (fx->b, "other", FS_CACHE_LOAD_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fs_cache_entry_get_kind (entry), ==, FS_CACHE_ENTRY_KIND_STORING);
  fs_cache_entry_release (entry);
  g_clear_object (&entry);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, NULL, "/", 0), ==, requests);

  /* On the remote: pulled and returned loaded (and verified on demand). */
  entry = fs_cache_load_or_store_full (fx->b, "tree", FS_CACHE_LOAD_REMOTE | FS_CACHE_LOAD_VERIFY,
                                       -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fs_cache_entry_get_kind (entry), ==, FS_CACHE_ENTRY_KIND_LOADED);
  g_assert_cmpstr (fs_cache_entry_get_tree_digest (entry), ==, digest);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "GET", "/ac/", 200), ==, 1);
  fs_cache_entry_release (entry);
  g_clear_object (&entry);
  /* Here now: a local hit, no request. */
  requests = fs_test_nginx_count (fx->nx, NULL, "/", 0);
  entry = fs_cache_load_or_store_full (fx->b, "tree", FS_CACHE_LOAD_REMOTE, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fs_cache_entry_get_kind (entry), ==, FS_CACHE_ENTRY_KIND_LOADED);
  g_clear_object (&entry);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, NULL, "/", 0), ==, requests);

  /* Not on the remote: to build, silently. */
  entry = fs_cache_load_or_store_full (fx->b, "nowhere", FS_CACHE_LOAD_REMOTE, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fs_cache_entry_get_kind (entry), ==, FS_CACHE_ENTRY_KIND_STORING);
  g_assert_cmpuint (n_messages, ==, 0);
  fs_test_write_entry_file (entry, "file", 4096);
  g_assert_cmpint (fs_test_commit (entry), ==, FS_CACHE_COMMIT_STORED);
  g_clear_object (&entry);

  stats = stats_of (fx->b);
  g_assert_cmpuint (fs_cache_stats_get_misses (stats), ==, 3); /* other, tree, nowhere */
  g_assert_cmpuint (fs_cache_stats_get_hits (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_remote_hits (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_remote_misses (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_remote_errors (stats), ==, 0);
  g_clear_object (&stats);

  /* A remote that is down: one message, then built here all the same. */
  fs_test_nginx_kill (fx->nx);
  messages_clear ();
  entry = fs_cache_load_or_store_full (fx->b, "other", FS_CACHE_LOAD_REMOTE, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fs_cache_entry_get_kind (entry), ==, FS_CACHE_ENTRY_KIND_STORING);
  g_assert_cmpuint (n_messages, ==, 1);
  g_assert_nonnull (strstr (messages->str, fx->nx->url));
  fs_cache_entry_release (entry);
  g_clear_object (&entry);
  stats = stats_of (fx->b);
  g_assert_cmpuint (fs_cache_stats_get_remote_errors (stats), ==, 1);
  g_assert_cmpuint (fs_cache_stats_get_remote_misses (stats), ==, 1);
  g_assert_cmpuint (fs_test_count_uuid (fx->dir_b), ==, 0);
  fs_test_assert_consistent (fx->dir_b);
}

typedef struct {
  GMainLoop *loop;
  FsCacheEntry *entry;
  GError *error;
} AsyncLoad;

static void
on_loaded_or_not (GObject *source, GAsyncResult *result, gpointer data)
{
  AsyncLoad *al = data;

  al->entry = fs_cache_load_or_store_full_finish (FS_CACHE (source), result, &al->error);
  g_main_loop_quit (al->loop);
}

/* The same, asynchronously; a cancelled pull fails and leaves nothing. */
static void
test_load_or_store_async (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheTransfer) t = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  AsyncLoad al = { g_main_loop_new (NULL, FALSE), NULL, NULL };

  NEED_SERVER (fx);
  make_tree (fx->src);
  store_tree (fx->a, "tree", fx->src);
  t = push (fx->a, "tree");

  g_cancellable_cancel (cancellable);
  fs_cache_load_or_store_full_async (fx->b, "tree", FS_CACHE_LOAD_REMOTE, -1, G_PRIORITY_DEFAULT,
                                     cancellable, on_loaded_or_not, &al);
  g_main_loop_run (al.loop);
  g_assert_error (al.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (al.entry);
  g_clear_error (&al.error);
  g_assert_cmpuint (fs_test_count_uuid (fx->dir_b), ==, 0);

  fs_cache_load_or_store_full_async (fx->b, "tree", FS_CACHE_LOAD_REMOTE, -1, G_PRIORITY_DEFAULT,
                                     NULL, on_loaded_or_not, &al);
  g_main_loop_run (al.loop);
  g_assert_no_error (al.error);
  g_assert_cmpint (fs_cache_entry_get_kind (al.entry), ==, FS_CACHE_ENTRY_KIND_LOADED);
  g_clear_object (&al.entry);
  g_main_loop_unref (al.loop);
  fs_test_assert_consistent (fx->dir_b);
}

/* ---- the local side --------------------------------------------------------------- */

/* An entry the cache has is not fetched; one it declines is not kept. */
static void
test_exists_and_declined (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheTransfer) t = NULL;
  g_autoptr (FsCacheTransfer) p = NULL;
  guint requests;

  NEED_SERVER (fx);
  make_tree (fx->src);
  store_tree (fx->a, "tree", fx->src);
  t = push (fx->a, "tree");
  requests = fs_test_nginx_count (fx->nx, NULL, "/", 0);
  p = pull (fx->a, "tree", FS_CACHE_COMMIT_EXISTS);
  g_assert_cmpuint (fs_cache_transfer_get_requests (p), ==, 0);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, NULL, "/", 0), ==, requests);
  g_clear_object (&p);

  /* Too small for it: downloaded, declined, discarded. */
  fs_test_set_maximum_size (fx->b, 64 * 1024);
  p = pull (fx->b, "tree", FS_CACHE_COMMIT_TOO_LARGE);
  g_assert_cmpuint (fs_test_count_objects (fx->dir_b), ==, 0);
  g_assert_cmpuint (fs_test_count_uuid (fx->dir_b), ==, 0);
  fs_test_assert_consistent (fx->dir_b);
  g_clear_object (&p);

  /* Keeps nothing: nothing is even asked. */
  fs_test_set_maximum_size (fx->b, 0);
  requests = fs_test_nginx_count (fx->nx, NULL, "/", 0);
  p = pull (fx->b, "tree", FS_CACHE_COMMIT_TOO_LARGE);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, NULL, "/", 0), ==, requests);
}

typedef struct {
  GMainLoop *loop;
  FsCacheTransfer *transfer;
  FsCacheCommitStatus status;
  GError *error;
  goffset last, total;
  guint n_progress;
} AsyncPull;

static void
on_progress (goffset current, goffset total, gpointer data)
{
  AsyncPull *ap = data;

  g_assert_cmpint (current, >=, ap->last);
  g_assert_cmpint (current, <=, total);
  ap->last = current;
  ap->total = total;
  ap->n_progress++;
}

static void
on_pulled (GObject *source, GAsyncResult *result, gpointer data)
{
  AsyncPull *ap = data;

  ap->transfer = fs_cache_pull_finish (FS_CACHE (source), result, &ap->status, &ap->error);
  g_main_loop_quit (ap->loop);
}

/* The async pull, its progress in the caller's main context. */
static void
test_async (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsCacheTransfer) t = NULL;
  g_autoptr (GMainContext) context = g_main_context_new ();
  AsyncPull ap = { 0 };

  NEED_SERVER (fx);
  make_tree (fx->src);
  store_tree (fx->a, "tree", fx->src);
  t = push (fx->a, "tree");

  g_main_context_push_thread_default (context);
  ap.loop = g_main_loop_new (context, FALSE);
  fs_cache_pull_async (fx->b, "tree", G_PRIORITY_DEFAULT, NULL, on_progress, &ap, NULL, on_pulled,
                       &ap);
  g_main_loop_run (ap.loop);
  /* The progress events queued before the result. */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_main_loop_unref (ap.loop);

  g_assert_no_error (ap.error);
  g_assert_nonnull (ap.transfer);
  g_assert_cmpint (ap.status, ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (ap.n_progress, >, 0);
  g_assert_cmpint (ap.last, ==, ap.total);
  g_assert_cmpint (ap.total, ==, 100 + 300 * 1024 + 5000 * 2);
  g_assert_cmpuint (fs_cache_transfer_get_blobs_received (ap.transfer), ==, 4);
  g_assert_cmpuint (fs_cache_transfer_get_blobs_copied (ap.transfer), ==, 1); /* the twin */
  g_object_unref (ap.transfer);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  messages = g_string_new (NULL);
  g_log_set_writer_func (collect_log, NULL, NULL);

#define ADD(path, func, data, setup) \
  g_test_add ("/remote/" path, Fixture, data, setup, func, fixture_teardown)

  ADD ("roundtrip", test_roundtrip, &default_server, fixture_setup);
  ADD ("push-again", test_push_again, &default_server, fixture_setup);
  ADD ("push-checks-old-entries", test_push_checks_old_entries, &default_server, fixture_setup);
  ADD ("one-file-change", test_one_file_change, &default_server, fixture_setup);
  ADD ("local-copy-checked", test_local_copy_checked, &default_server, fixture_setup);
  ADD ("owners-not-permitted", test_owners_not_permitted, &default_server, fixture_setup);
  ADD ("damaged/corrupt", test_damaged, &damage_corrupt, damage_setup);
  ADD ("damaged/truncated", test_damaged, &damage_truncated, damage_setup);
  ADD ("damaged/deleted", test_damaged, &damage_deleted, damage_setup);
  ADD ("damaged/manifest-deleted", test_damaged, &damage_manifest_deleted, damage_setup);
  ADD ("damaged/manifest-garbage", test_damaged, &damage_manifest_garbage, damage_setup);
  ADD ("damaged/ac-garbage", test_damaged, &damage_ac_garbage, damage_setup);
  ADD ("damaged/ac-other-name", test_damaged, &damage_ac_other_name, damage_setup);
  ADD ("remote-miss", test_remote_miss, &default_server, fixture_setup);
  ADD ("server-down", test_server_down, &default_server, fixture_setup);
  ADD ("server-killed", test_server_killed_mid_transfer, &slow_server, fixture_setup);
  ADD ("timeout", test_timeout, &trickle_server, fixture_setup);
  ADD ("read-only", test_read_only, &default_server, fixture_setup);
  ADD ("no-remote", test_no_remote, &default_server, fixture_setup);
  ADD ("credentials", test_credentials, &bearer_server, fixture_setup);
  ADD ("zstd", test_zstd, &default_server, fixture_setup);
  ADD ("exists-and-declined", test_exists_and_declined, &default_server, fixture_setup);
  ADD ("async", test_async, &default_server, fixture_setup);
  ADD ("stats", test_stats, &default_server, fixture_setup);
  ADD ("load-or-store", test_load_or_store, &default_server, fixture_setup);
  ADD ("load-or-store/async", test_load_or_store_async, &default_server, fixture_setup);
  return g_test_run ();
}

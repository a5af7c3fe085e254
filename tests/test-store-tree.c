/* test-store-tree.c: fs_cache_store_tree() — copy, reflink, move (issue 5)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs-test-util.h"
#include "fs-copy-private.h"
#include "fs-tree-private.h"
#include "fs-util-private.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

/* TRUE when this process has a mount namespace of its own (see main()). */
static gboolean private_mounts = FALSE;

static void
set_times (const char *path, gint64 atime_sec, long atime_nsec, gint64 mtime_sec, long mtime_nsec)
{
  struct timespec times[2] = { { (time_t) atime_sec, atime_nsec },
                               { (time_t) mtime_sec, mtime_nsec } };

  if (utimensat (AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW) < 0)
    g_error ("utimensat %s: %s", path, g_strerror (errno));
}

static void
make_dir (const char *path)
{
  if (mkdir (path, 0700) < 0)
    g_error ("mkdir %s: %s", path, g_strerror (errno));
}

static void
make_symlink (const char *target, const char *path)
{
  if (symlink (target, path) < 0)
    g_error ("symlink %s: %s", path, g_strerror (errno));
}

static char *
file_sha256 (const char *path)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 buf[65536];
  ssize_t n;
  int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    g_error ("open %s: %s", path, g_strerror (errno));
  while ((n = read (fd, buf, sizeof buf)) > 0)
    g_checksum_update (sum, buf, (gsize) n);
  g_assert_cmpint (n, ==, 0);
  close (fd);
  return g_strdup (g_checksum_get_string (sum));
}

static char *
read_link (const char *path)
{
  char target[4096];
  ssize_t n = readlink (path, target, sizeof target - 1);

  if (n < 0)
    g_error ("readlink %s: %s", path, g_strerror (errno));
  target[n] = '\0';
  return g_strdup (target);
}

static struct stat
lstat_or_die (const char *path)
{
  struct stat st;

  if (lstat (path, &st) < 0)
    g_error ("lstat %s: %s", path, g_strerror (errno));
  return st;
}

static gboolean
path_exists (const char *path)
{
  struct stat st;

  return lstat (path, &st) == 0;
}

/* A file with content at @offsets (4 KiB each), of length @length. */
static void
write_sparse_file (const char *path, const goffset *offsets, gsize n_offsets, goffset length)
{
  guint8 block[4096];
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  for (gsize i = 0; i < sizeof block; i++)
    block[i] = (guint8) (1 + i % 253);
  for (gsize i = 0; i < n_offsets; i++)
    g_assert_cmpint (pwrite (fd, block, sizeof block, offsets[i]), ==, (ssize_t) sizeof block);
  g_assert_cmpint (ftruncate (fd, length), ==, 0);
  g_assert_cmpint (close (fd), ==, 0);
}

/* Can a user.* extended attribute be set on a new file in @dir? */
static gboolean
user_xattrs_supported (const char *dir)
{
  g_autofree char *probe = g_build_filename (dir, ".xattr-probe", NULL);
  gboolean ok;

  fs_test_write_text (probe, "", -1);
  ok = setxattr (probe, "user.fscache-probe", "1", 1, 0) == 0;
  if (!ok)
    g_test_message ("no user xattrs in %s: %s", dir, g_strerror (errno));
  g_assert_cmpint (unlink (probe), ==, 0);
  return ok;
}

/* "name=hexvalue" of every user.* / trusted.* attribute, sorted, joined. */
static char *
describe_xattrs (const char *path)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  char names[65536];
  ssize_t len = llistxattr (path, names, sizeof names);

  if (len < 0)
    {
      g_assert_true (errno == ENOTSUP || errno == EOPNOTSUPP);
      len = 0;
    }
  for (char *n = names; n < names + len; n += strlen (n) + 1)
    {
      guint8 value[65536];
      GString *hex;
      ssize_t vlen;

      if (!g_str_has_prefix (n, "user.") && !g_str_has_prefix (n, "trusted."))
        continue;
      vlen = lgetxattr (path, n, value, sizeof value);
      g_assert_cmpint (vlen, >=, 0);
      hex = g_string_new (n);
      g_string_append_c (hex, '=');
      for (ssize_t i = 0; i < vlen; i++)
        g_string_append_printf (hex, "%02x", value[i]);
      g_ptr_array_add (lines, g_string_free (hex, FALSE));
    }
  return fs_test_join_sorted (lines, ";");
}

static void
signature_at (const char *root, const char *rel, gboolean with_times, GPtrArray *lines)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  struct stat st = lstat_or_die (path);
  GString *line = g_string_new (rel);

  g_string_append_printf (line, " type=%o mode=%o", st.st_mode & S_IFMT, st.st_mode & 07777);
  if (with_times)
    g_string_append_printf (line, " mtime=%jd.%09ld", (intmax_t) st.st_mtim.tv_sec,
                            st.st_mtim.tv_nsec);
  if (S_ISREG (st.st_mode))
    {
      g_autofree char *sum = file_sha256 (path);
      g_string_append_printf (line, " size=%jd sha256=%s", (intmax_t) st.st_size, sum);
    }
  else if (S_ISLNK (st.st_mode))
    {
      g_autofree char *target = read_link (path);
      g_string_append_printf (line, " -> %s", target);
    }
  else if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      g_assert_nonnull (dir);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (rel, name, NULL);
          signature_at (root, child, with_times, lines);
        }
    }
  g_ptr_array_add (lines, g_string_free (line, FALSE));
}

/* Type, mode, (mtime,) size, content checksum or link target of every node
 * below @root, sorted: equal for a tree and its faithful copy. Inode numbers
 * are left out (see fs_test_snapshot() for those). */
static char *
tree_signature (const char *root, gboolean with_times)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  signature_at (root, ".", with_times, lines);
  return fs_test_join_sorted (lines, "\n");
}

/* Loads @name, asserting a hit; returns the entry. */
static FsCacheEntry *
load_hit (FsCache *cache, const char *name)
{
  g_autoptr (GError) error = NULL;
  FsCacheEntry *entry = fs_cache_load (cache, name, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (entry);
  return entry;
}

static FsCacheCommitStatus
store_tree (FsCache *cache, const char *name, const char *source, FsCacheStoreFlags flags)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = g_file_new_for_path (source);
  FsCacheCommitStatus status = (FsCacheCommitStatus) -1;
  gboolean ok;

  ok = fs_cache_store_tree (cache, name, file, flags, NULL, NULL, &status, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_test_message ("store_tree %s: %s", name, fs_test_status_nick (status));
  return status;
}

/* Asserts that the cache holds nothing but committed entries, accounted. */
static void
assert_no_debris (const char *cache_dir)
{
  fs_test_assert_consistent (cache_dir);
}

/* ------------------------------------------------------------------------ */
/* Every file type, with its metadata                                        */

typedef struct {
  char *rel;
  struct timespec atime;
  struct timespec mtime;
  gboolean check_atime;
} Node;

static void
node_free (gpointer p)
{
  Node *node = p;

  g_free (node->rel);
  g_free (node);
}

/* Gives @rel below @root the times of node number @i; records them. */
static void
stamp (GPtrArray *nodes, const char *root, const char *rel, gboolean is_dir)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  Node *node = g_new0 (Node, 1);
  guint i = nodes->len;

  node->rel = g_strdup (rel);
  node->atime.tv_sec = 1600000000 + (time_t) i * 1000;
  node->atime.tv_nsec = 123456789 + (long) i;
  node->mtime.tv_sec = 1500000000 + (time_t) i * 1000;
  node->mtime.tv_nsec = 987654321 - (long) i;
  /* A directory's atime moves when anyone lists it (relatime), as the
   * commit does to measure the entry: only its mtime is checked. */
  node->check_atime = !is_dir;
  set_times (path, node->atime.tv_sec, node->atime.tv_nsec, node->mtime.tv_sec,
             node->mtime.tv_nsec);
  g_ptr_array_add (nodes, node);
}

static void
make_socket (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof addr.sun_path)
    {
      /* Too long a path for bind(): the same inode type through mknod. */
      g_assert_cmpint (mknod (path, S_IFSOCK | 0755, 0), ==, 0);
      return;
    }
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  close (fd);
}

static void
test_every_type (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autoptr (GPtrArray) nodes = g_ptr_array_new_with_free_func (node_free);
  g_autoptr (GPtrArray) with_xattrs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autofree char *src_sig = NULL;
  g_autofree char *dst_sig = NULL;
  gboolean root = geteuid () == 0;
  gboolean xattrs = user_xattrs_supported (fx->tmpdir);
  gboolean devices = FALSE;
  const char *data;

#define P(rel) g_autofree char *rel##_path = g_build_filename (src, #rel, NULL)
  P (regular);
  P (empty);
  P (readonly);
  P (odd);
  P (suid);
  P (d700);
  P (d444);
  P (d555);
  P (sticky);
  P (link);
  P (dangling);
  P (fifo);
  P (sock);
  P (chr);
  P (blk);
  P (many);
#undef P
  g_autofree char *d700_file = g_build_filename (src, "d700", "file", NULL);
  g_autofree char *d555_file = g_build_filename (src, "d555", "file", NULL);
  g_autofree char *d555_sub = g_build_filename (src, "d555", "sub", NULL);
  g_autofree char *d555_sub_file = g_build_filename (src, "d555", "sub", "deep", NULL);
  g_autofree char *d444_file = g_build_filename (src, "d444", "file", NULL);

  /* Build: contents first, then xattrs, owners, modes, and times last
   * (children before their directory). */
  make_dir (src);
  fs_test_write_file (regular_path, 100000);
  fs_test_write_text (empty_path, "", -1);
  fs_test_write_text (readonly_path, "read only\n", -1);
  fs_test_write_text (odd_path, "odd mode\n", -1);
  fs_test_write_text (suid_path, "#!/bin/false\n", -1);
  make_dir (d700_path);
  fs_test_write_text (d700_file, "in d700\n", -1);
  make_dir (d444_path);
  /* Only root can list the children of a directory without x: a d444 with
   * content would fail any copy (cp -a too) as another user. */
  if (root)
    fs_test_write_text (d444_file, "in d444\n", -1);
  make_dir (d555_path);
  fs_test_write_text (d555_file, "in d555\n", -1);
  make_dir (d555_sub);
  fs_test_write_text (d555_sub_file, "deep\n", -1);
  make_dir (sticky_path);
  make_symlink ("regular", link_path);
  make_symlink ("does/not/exist", dangling_path);
  g_assert_cmpint (mkfifo (fifo_path, 0620), ==, 0);
  make_socket (sock_path);
  if (root)
    {
      if (mknod (chr_path, S_IFCHR | 0640, makedev (1, 3)) == 0 &&
          mknod (blk_path, S_IFBLK | 0660, makedev (7, 250)) == 0)
        devices = TRUE;
      else
        g_test_message ("no device nodes here (%s): that part is skipped", g_strerror (errno));
    }
  else
    g_test_message ("not root: no device nodes, owners stay ours");
  fs_test_write_text (many_path, "many attributes\n", -1);

  if (xattrs)
    {
      static const char bin[] = { 'v', 0, 1, 2, (char) 0xff };
      g_autofree char *big = g_strnfill (3000, 'b');

      g_assert_cmpint (setxattr (regular_path, "user.fscache.test", bin, sizeof bin, 0), ==, 0);
      g_assert_cmpint (setxattr (regular_path, "user.empty", "", 0, 0), ==, 0);
      g_assert_cmpint (setxattr (d700_path, "user.dir", "directory", 9, 0), ==, 0);
      g_assert_cmpint (setxattr (src, "user.top", "the top", 7, 0), ==, 0);
      g_assert_cmpint (setxattr (readonly_path, "user.big", big, strlen (big), 0), ==, 0);
      /* More names than fit the first listing buffer. */
      for (int i = 0; i < 40; i++)
        {
          g_autofree char *name = g_strdup_printf ("user.fscache-attribute-number-%02d", i);
          g_assert_cmpint (setxattr (many_path, name, name, strlen (name), 0), ==, 0);
        }
      g_ptr_array_add (with_xattrs, g_strdup ("."));
      g_ptr_array_add (with_xattrs, g_strdup ("regular"));
      g_ptr_array_add (with_xattrs, g_strdup ("d700"));
      g_ptr_array_add (with_xattrs, g_strdup ("readonly"));
      g_ptr_array_add (with_xattrs, g_strdup ("many"));
      if (root && setxattr (odd_path, "trusted.fscache", "t", 1, 0) == 0)
        g_ptr_array_add (with_xattrs, g_strdup ("odd"));
    }
  else
    g_test_message ("user xattrs unsupported on this file system: not checked");

  if (root)
    {
      g_assert_cmpint (chown (regular_path, 1234, 5678), ==, 0);
      g_assert_cmpint (chown (suid_path, 2345, 6789), ==, 0);
      g_assert_cmpint (chown (d700_path, 4321, 8765), ==, 0);
      g_assert_cmpint (chown (d555_path, 65534, 65534), ==, 0);
      g_assert_cmpint (lchown (link_path, 1111, 2222), ==, 0);
      g_assert_cmpint (chown (fifo_path, 3333, 4444), ==, 0);
      g_assert_cmpint (chown (sock_path, 5555, 6666), ==, 0);
      g_assert_cmpint (chown (src, 7777, 8888), ==, 0);
      if (devices)
        g_assert_cmpint (chown (chr_path, 0, 6), ==, 0);
    }

  g_assert_cmpint (chmod (readonly_path, 0444), ==, 0);
  g_assert_cmpint (chmod (odd_path, 0604), ==, 0);
  g_assert_cmpint (chmod (suid_path, 04755 | (root ? 02000 : 0)), ==, 0);
  g_assert_cmpint (chmod (d700_path, 0700), ==, 0);
  g_assert_cmpint (chmod (d555_sub, 0511), ==, 0);
  g_assert_cmpint (chmod (d555_path, 0555), ==, 0);
  g_assert_cmpint (chmod (d444_path, 0444), ==, 0);
  g_assert_cmpint (chmod (sticky_path, 01777), ==, 0);
  g_assert_cmpint (chmod (src, 0750), ==, 0);

  stamp (nodes, src, "regular", FALSE);
  stamp (nodes, src, "empty", FALSE);
  stamp (nodes, src, "readonly", FALSE);
  stamp (nodes, src, "odd", FALSE);
  stamp (nodes, src, "suid", FALSE);
  stamp (nodes, src, "d700/file", FALSE);
  stamp (nodes, src, "d700", TRUE);
  if (root)
    stamp (nodes, src, "d444/file", FALSE);
  stamp (nodes, src, "d444", TRUE);
  stamp (nodes, src, "d555/file", FALSE);
  stamp (nodes, src, "d555/sub/deep", FALSE);
  stamp (nodes, src, "d555/sub", TRUE);
  stamp (nodes, src, "d555", TRUE);
  stamp (nodes, src, "sticky", TRUE);
  stamp (nodes, src, "link", FALSE);
  stamp (nodes, src, "dangling", FALSE);
  stamp (nodes, src, "fifo", FALSE);
  stamp (nodes, src, "sock", FALSE);
  if (devices)
    {
      stamp (nodes, src, "chr", FALSE);
      stamp (nodes, src, "blk", FALSE);
    }
  stamp (nodes, src, "many", FALSE);
  stamp (nodes, src, ".", TRUE);

  g_assert_cmpint (store_tree (fx->cache, "every-type", src, FS_CACHE_STORE_NONE), ==,
                   FS_CACHE_COMMIT_STORED);
  entry = load_hit (fx->cache, "every-type");
  data = fs_cache_entry_get_path (entry);

  for (guint i = 0; i < nodes->len; i++)
    {
      Node *node = nodes->pdata[i];
      g_autofree char *from = g_build_filename (src, node->rel, NULL);
      g_autofree char *to = g_build_filename (data, node->rel, NULL);
      struct stat s = lstat_or_die (from);
      struct stat d = lstat_or_die (to);

      g_test_message ("checking %s", node->rel);
      g_assert_cmpuint (d.st_mode & S_IFMT, ==, s.st_mode & S_IFMT);
      g_assert_cmpuint (d.st_mode & 07777, ==, s.st_mode & 07777);
      g_assert_cmpuint (d.st_uid, ==, s.st_uid);
      g_assert_cmpuint (d.st_gid, ==, s.st_gid);
      if (S_ISCHR (s.st_mode) || S_ISBLK (s.st_mode))
        {
          g_assert_cmpuint (major (d.st_rdev), ==, major (s.st_rdev));
          g_assert_cmpuint (minor (d.st_rdev), ==, minor (s.st_rdev));
        }
      if (!S_ISDIR (s.st_mode))
        g_assert_cmpint (d.st_size, ==, s.st_size);
      /* Times to the nanosecond: what the source had when it was copied. */
      g_assert_cmpint (s.st_mtim.tv_sec, ==, node->mtime.tv_sec);
      g_assert_cmpint (s.st_mtim.tv_nsec, ==, node->mtime.tv_nsec);
      g_assert_cmpint (d.st_mtim.tv_sec, ==, node->mtime.tv_sec);
      g_assert_cmpint (d.st_mtim.tv_nsec, ==, node->mtime.tv_nsec);
      if (node->check_atime)
        {
          g_assert_cmpint (d.st_atim.tv_sec, ==, node->atime.tv_sec);
          g_assert_cmpint (d.st_atim.tv_nsec, ==, node->atime.tv_nsec);
        }
      /* A copy, never the same inode. */
      g_assert_false (d.st_dev == s.st_dev && d.st_ino == s.st_ino);
    }

  if (root)
    {
      /* The owners were really changed (not just "ours" on both sides). */
      g_autofree char *to = g_build_filename (data, "d700", NULL);
      struct stat d = lstat_or_die (to);
      g_assert_cmpuint (d.st_uid, ==, 4321);
      g_assert_cmpuint (d.st_gid, ==, 8765);
      g_assert_cmpuint (lstat_or_die (data).st_uid, ==, 7777);
    }

  /* The source and the cache are on one file system (below tmpdir): the
   * probe above said whether both keep user xattrs. */
  for (guint i = 0; i < with_xattrs->len; i++)
    {
      const char *rel = with_xattrs->pdata[i];
      g_autofree char *from = g_build_filename (src, rel, NULL);
      g_autofree char *to = g_build_filename (data, rel, NULL);
      g_autofree char *a = describe_xattrs (from);
      g_autofree char *b = describe_xattrs (to);

      g_test_message ("xattrs of %s", rel);
      g_assert_cmpstr (a, !=, "");
      g_assert_cmpstr (b, ==, a);
    }

  /* Content, link targets, and that nothing is missing or extra. */
  src_sig = tree_signature (src, TRUE);
  dst_sig = tree_signature (data, TRUE);
  g_assert_cmpstr (dst_sig, ==, src_sig);

  /* The size of the entry is the space its tree uses. */
  g_assert_cmpuint (fs_cache_entry_get_size (entry), ==, fs_test_tree_space (data));
  g_assert_cmpuint (fs_test_read_object_size (fx->cache_dir, "every-type"), ==,
                    fs_test_tree_space (data));
  fs_cache_entry_release (entry);
  assert_no_debris (fx->cache_dir);
}

/* The copy primitive itself: every regular file with content goes one of
 * the three ways, hard links are linked, and the counters add up. */
static void
test_copy_counters (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *a = g_build_filename (src, "a", NULL);
  g_autofree char *b = g_build_filename (src, "sub", "b", NULL);
  g_autofree char *c = g_build_filename (src, "c", NULL);
  g_autofree char *e = g_build_filename (src, "empty", NULL);
  g_autofree char *dst = g_build_filename (fx->tmpdir, "copy", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *sig_a = NULL;
  g_autofree char *sig_b = NULL;
  FsCopyOptions options = { 0 };
  int dirfd;

  fs_test_write_file (a, 300000);
  fs_test_write_file (b, 5000);
  g_assert_cmpint (link (a, c), ==, 0);
  fs_test_write_text (e, "", -1);

  dirfd = open (fx->tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (dirfd, >=, 0);
  g_assert_true (_fs_copy_tree (AT_FDCWD, src, dirfd, "copy", &options, &error));
  g_assert_no_error (error);
  close (dirfd);

  g_test_message ("reflinked %u, range-copied %u, plain-copied %u, hard-linked %u",
                  options.n_reflinked, options.n_range_copied, options.n_plain_copied,
                  options.n_hardlinked);
  g_assert_cmpuint (options.n_reflinked + options.n_range_copied + options.n_plain_copied, ==, 2);
  g_assert_cmpuint (options.n_hardlinked, ==, 1);
  sig_a = tree_signature (src, TRUE);
  sig_b = tree_signature (dst, TRUE);
  g_assert_cmpstr (sig_b, ==, sig_a);
}

/* ------------------------------------------------------------------------ */
/* Sparse files                                                              */

static void
test_sparse (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *middle = g_build_filename (src, "middle", NULL);
  g_autofree char *leading = g_build_filename (src, "leading-hole", NULL);
  g_autofree char *hole = g_build_filename (src, "only-hole", NULL);
  static const goffset middle_offsets[] = { 0, 8 << 20 };
  static const goffset leading_offsets[] = { 12 << 20 };
  static const char *const names[] = { "middle", "leading-hole", "only-hole" };
  g_autoptr (FsCacheEntry) entry = NULL;
  struct stat st;

  make_dir (src);
  write_sparse_file (middle, middle_offsets, G_N_ELEMENTS (middle_offsets), 16 << 20);
  write_sparse_file (leading, leading_offsets, G_N_ELEMENTS (leading_offsets), 13 << 20);
  write_sparse_file (hole, NULL, 0, 4 << 20);
  st = lstat_or_die (middle);
  if ((guint64) st.st_blocks * 512 >= (1 << 20))
    {
      g_test_skip ("this file system does not keep holes");
      return;
    }

  g_assert_cmpint (store_tree (fx->cache, "sparse", src, FS_CACHE_STORE_NONE), ==,
                   FS_CACHE_COMMIT_STORED);
  entry = load_hit (fx->cache, "sparse");

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *from = g_build_filename (src, names[i], NULL);
      g_autofree char *to = g_build_filename (fs_cache_entry_get_path (entry), names[i], NULL);
      g_autofree char *sum_from = NULL;
      g_autofree char *sum_to = NULL;
      struct stat s = lstat_or_die (from);
      struct stat d = lstat_or_die (to);
      int fd;

      g_test_message ("%s: source %jd bytes in %jd blocks, copy %jd blocks", names[i],
                      (intmax_t) s.st_size, (intmax_t) s.st_blocks, (intmax_t) d.st_blocks);
      g_assert_cmpint (d.st_size, ==, s.st_size);
      /* Holes stay holes: about the space of the data, far from the size. */
      g_assert_cmpuint ((guint64) d.st_blocks * 512, <=,
                        MAX ((guint64) s.st_blocks * 512 * 2, (guint64) 64 * 1024));
      fd = open (to, O_RDONLY | O_CLOEXEC);
      g_assert_cmpint (fd, >=, 0);
      g_assert_cmpint (lseek (fd, 0, SEEK_HOLE), <, d.st_size);
      close (fd);
      sum_from = file_sha256 (from);
      sum_to = file_sha256 (to);
      g_assert_cmpstr (sum_to, ==, sum_from);
    }

  /* What is accounted is the space used, not the apparent size. */
  g_assert_cmpuint (fs_cache_entry_get_size (entry), <, 1 << 20);
  g_assert_cmpuint (fs_test_read_object_size (fx->cache_dir, "sparse"), ==,
                    fs_test_tree_space (fs_cache_entry_get_path (entry)));
  fs_cache_entry_release (entry);
  assert_no_debris (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* Hard links                                                                */

static void
test_hardlinks (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *outside = g_build_filename (fx->tmpdir, "outside", NULL);
  g_autofree char *a = g_build_filename (src, "a", NULL);
  g_autofree char *b = g_build_filename (src, "sub", "b", NULL);
  g_autofree char *c = g_build_filename (src, "zzz", "deeper", "c", NULL);
  g_autofree char *d = g_build_filename (src, "d", NULL);
  g_autofree char *ext = g_build_filename (src, "ext", NULL);
  g_autofree char *sub = g_build_filename (src, "sub", NULL);
  g_autofree char *deeper = g_build_filename (src, "zzz", "deeper", NULL);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autofree char *ca = NULL, *cb = NULL, *cc = NULL, *cd = NULL, *cext = NULL;
  g_autofree char *sig_src = NULL, *sig_dst = NULL;
  struct stat sa, sb, sc, sd, sext;
  guint64 size, blocks_a;

  fs_test_write_file (a, 256 * 1024);
  fs_test_write_file (d, 256 * 1024);
  fs_test_write_file (outside, 64 * 1024);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (deeper, 0755), ==, 0);
  g_assert_cmpint (link (a, b), ==, 0);
  g_assert_cmpint (link (a, c), ==, 0);
  /* Linked to a file outside the tree: copied as a file of its own. */
  g_assert_cmpint (link (outside, ext), ==, 0);

  g_assert_cmpint (store_tree (fx->cache, "links", src, FS_CACHE_STORE_NONE), ==,
                   FS_CACHE_COMMIT_STORED);
  entry = load_hit (fx->cache, "links");
  ca = g_build_filename (fs_cache_entry_get_path (entry), "a", NULL);
  cb = g_build_filename (fs_cache_entry_get_path (entry), "sub", "b", NULL);
  cc = g_build_filename (fs_cache_entry_get_path (entry), "zzz", "deeper", "c", NULL);
  cd = g_build_filename (fs_cache_entry_get_path (entry), "d", NULL);
  cext = g_build_filename (fs_cache_entry_get_path (entry), "ext", NULL);
  sa = lstat_or_die (ca);
  sb = lstat_or_die (cb);
  sc = lstat_or_die (cc);
  sd = lstat_or_die (cd);
  sext = lstat_or_die (cext);

  /* Linked again: one inode, three names; not the source's inode. */
  g_assert_cmpuint (sa.st_ino, ==, sb.st_ino);
  g_assert_cmpuint (sa.st_ino, ==, sc.st_ino);
  g_assert_cmpuint (sa.st_nlink, ==, 3);
  g_assert_cmpuint (sa.st_ino, !=, lstat_or_die (a).st_ino);
  g_assert_cmpuint (sd.st_ino, !=, sa.st_ino);
  g_assert_cmpuint (sd.st_nlink, ==, 1);
  g_assert_cmpuint (sext.st_nlink, ==, 1);
  g_assert_cmpuint (sext.st_ino, !=, lstat_or_die (outside).st_ino);

  sig_src = tree_signature (src, FALSE);
  sig_dst = tree_signature (fs_cache_entry_get_path (entry), FALSE);
  g_assert_cmpstr (sig_dst, ==, sig_src);

  /* Counted once: the entry's size is the space of its inodes. */
  size = fs_test_read_object_size (fx->cache_dir, "links");
  blocks_a = (guint64) sa.st_blocks * 512;
  g_assert_cmpuint (blocks_a, >=, 256 * 1024);
  g_assert_cmpuint (size, ==, fs_cache_entry_get_size (entry));
  g_assert_cmpuint (size, ==, fs_test_tree_space (fs_cache_entry_get_path (entry)));
  g_assert_cmpuint (size, <,
                    2 * blocks_a + (guint64) sd.st_blocks * 512 + (guint64) sext.st_blocks * 512);
  fs_cache_entry_release (entry);
  assert_no_debris (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* Symlinks: copied verbatim, never followed                                 */

static void
test_symlinks (FsTestFixture *fx, gconstpointer user_data)
{
  static const struct {
    const char *name;
    const char *target;
  } links[] = {
    { "loop1", "loop2" },
    { "loop2", "loop1" },
    { "self", "self" },
    { "abs-outside", "/etc/passwd" },
    { "up-outside", "../outside" },
    { "outside-dir", NULL }, /* absolute path of tmpdir/outside */
    { "dangling", "no/such/file" },
    { "dot", "." },
    { "parent", ".." },
  };
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *outside = g_build_filename (fx->tmpdir, "outside", NULL);
  g_autofree char *outside_file = g_build_filename (outside, "secret", NULL);
  g_autofree char *outside_snapshot = NULL;
  g_autofree char *after = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *name;
  guint n = 0;

  make_dir (src);
  fs_test_write_file (outside_file, 1000);
  for (gsize i = 0; i < G_N_ELEMENTS (links); i++)
    {
      g_autofree char *path = g_build_filename (src, links[i].name, NULL);
      make_symlink (links[i].target != NULL ? links[i].target : outside, path);
    }
  outside_snapshot = fs_test_snapshot (outside);

  g_assert_cmpint (store_tree (fx->cache, "links", src, FS_CACHE_STORE_NONE), ==,
                   FS_CACHE_COMMIT_STORED);
  entry = load_hit (fx->cache, "links");
  for (gsize i = 0; i < G_N_ELEMENTS (links); i++)
    {
      g_autofree char *path =
        g_build_filename (fs_cache_entry_get_path (entry), links[i].name, NULL);
      g_autofree char *target = NULL;
      struct stat st = lstat_or_die (path);

      g_assert_true (S_ISLNK (st.st_mode));
      target = read_link (path);
      g_assert_cmpstr (target, ==, links[i].target != NULL ? links[i].target : outside);
    }
  /* Nothing else came in (the outside directory's file, say). */
  dir = g_dir_open (fs_cache_entry_get_path (entry), 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    n++;
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (links));

  /* A symlink's size is its own, whatever it points to. */
  g_assert_cmpuint (fs_cache_entry_get_size (entry), <, 64 * 1024);
  after = fs_test_snapshot (outside);
  g_assert_cmpstr (after, ==, outside_snapshot);
  fs_cache_entry_release (entry);
  assert_no_debris (fx->cache_dir);
}

/* A symlink as the source: stored as a symlink, its target not followed. */
static void
test_symlink_source (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *outside = g_build_filename (fx->tmpdir, "outside", NULL);
  g_autofree char *outside_file = g_build_filename (outside, "big", NULL);
  g_autofree char *link = g_build_filename (fx->tmpdir, "the-link", NULL);
  g_autofree char *copy = NULL;
  g_autofree char *target = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;

  fs_test_write_file (outside_file, 1 << 20);
  make_symlink (outside, link);

  g_assert_cmpint (store_tree (fx->cache, "a-link", link, FS_CACHE_STORE_NONE), ==,
                   FS_CACHE_COMMIT_STORED);
  entry = load_hit (fx->cache, "a-link");
  copy = g_build_filename (fs_cache_entry_get_path (entry), "the-link", NULL);
  g_assert_true (S_ISLNK (lstat_or_die (copy).st_mode));
  target = read_link (copy);
  g_assert_cmpstr (target, ==, outside);
  g_assert_cmpuint (fs_cache_entry_get_size (entry), <, 1 << 20);
  fs_cache_entry_release (entry);
  assert_no_debris (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* A single file                                                             */

static void
test_single_file (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *file = g_build_filename (fx->tmpdir, "single.bin", NULL);
  g_autofree char *copy = NULL;
  g_autofree char *sum_a = NULL;
  g_autofree char *sum_b = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GDir) dir = NULL;
  struct stat s, d;

  fs_test_write_file (file, 123457);
  g_assert_cmpint (chmod (file, 0604), ==, 0);
  set_times (file, 1700000000, 1, 1400000000, 999999999);
  s = lstat_or_die (file);

  g_assert_cmpint (store_tree (fx->cache, "single", file, FS_CACHE_STORE_NONE), ==,
                   FS_CACHE_COMMIT_STORED);
  entry = load_hit (fx->cache, "single");
  copy = g_build_filename (fs_cache_entry_get_path (entry), "single.bin", NULL);
  d = lstat_or_die (copy);
  g_assert_true (S_ISREG (d.st_mode));
  g_assert_cmpuint (d.st_mode & 07777, ==, 0604);
  g_assert_cmpint (d.st_size, ==, 123457);
  g_assert_cmpint (d.st_mtim.tv_sec, ==, 1400000000);
  g_assert_cmpint (d.st_mtim.tv_nsec, ==, 999999999);
  g_assert_cmpint (d.st_atim.tv_sec, ==, 1700000000);
  g_assert_cmpint (d.st_atim.tv_nsec, ==, 1);
  g_assert_cmpuint (d.st_uid, ==, s.st_uid);
  g_assert_cmpuint (d.st_ino, !=, s.st_ino);
  sum_a = file_sha256 (file);
  sum_b = file_sha256 (copy);
  g_assert_cmpstr (sum_b, ==, sum_a);

  /* The file is the only thing in the entry's tree. */
  dir = g_dir_open (fs_cache_entry_get_path (entry), 0, NULL);
  g_assert_cmpstr (g_dir_read_name (dir), ==, "single.bin");
  g_assert_null (g_dir_read_name (dir));
  /* The source is still there. */
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  fs_cache_entry_release (entry);
  assert_no_debris (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* Failures leave nothing behind                                             */

static void
test_failures (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *missing = g_build_filename (fx->tmpdir, "missing", NULL);
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", "f", NULL);
  g_autofree char *src_dir = g_build_filename (fx->tmpdir, "src", NULL);
  g_autoptr (GFile) missing_file = g_file_new_for_path (missing);
  g_autoptr (GFile) src_file = g_file_new_for_path (src_dir);
  g_autoptr (GFile) remote = g_file_new_for_uri ("http://example.invalid/tree");
  g_autofree char *remote_path = g_file_get_path (remote);
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status = FS_CACHE_COMMIT_STORED;
  guint64 size_before;

  fs_test_write_file (src, 1000);
  size_before = fs_test_read_cache_size (fx->cache_dir);

  g_assert_false (fs_cache_store_tree (fx->cache, "x", missing_file, FS_CACHE_STORE_NONE, NULL,
                                       NULL, &status, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (fs_cache_store_tree (fx->cache, "x", missing_file, FS_CACHE_STORE_MOVE, NULL,
                                       NULL, &status, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_false (fs_cache_store_tree (fx->cache, "uuid-x", src_file, FS_CACHE_STORE_NONE, NULL,
                                       NULL, &status, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INVALID_NAME);
  g_clear_error (&error);
  g_assert_false (fs_cache_store_tree (fx->cache, "../x", src_file, FS_CACHE_STORE_MOVE, NULL, NULL,
                                       &status, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INVALID_NAME);
  g_clear_error (&error);

  if (remote_path == NULL)
    {
      g_assert_false (fs_cache_store_tree (fx->cache, "x", remote, FS_CACHE_STORE_NONE, NULL, NULL,
                                           &status, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
      g_clear_error (&error);
    }

  g_assert_true (g_file_test (src, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 0);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size_before);
  assert_no_debris (fx->cache_dir);
}

/* A cache that keeps nothing: the status says so, nothing is left. */
static void
test_too_large (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *file = g_build_filename (src, "f", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  fs_test_write_file (file, 100000);
  before = fs_test_snapshot (src);
  /* No maximum size set: nothing is kept. */
  g_assert_cmpint (store_tree (fx->cache, "big", src, FS_CACHE_STORE_NONE), ==,
                   FS_CACHE_COMMIT_TOO_LARGE);
  fs_test_assert_miss (fx->cache, "big");
  assert_no_debris (fx->cache_dir);

  /* Moved in and declined: put back where it was, same inodes. */
  g_assert_cmpint (store_tree (fx->cache, "big", src, FS_CACHE_STORE_MOVE), ==,
                   FS_CACHE_COMMIT_TOO_LARGE);
  after = fs_test_snapshot (src);
  g_assert_cmpstr (after, ==, before);
  fs_test_assert_miss (fx->cache, "big");
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 0);
  assert_no_debris (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* Cancellation and progress                                                 */

typedef struct {
  GCancellable *cancellable;
  GArray *current;
  GArray *total;
  gboolean cancelled_mid_copy;
} ProgressLog;

static void
cancel_mid_copy (goffset current, goffset total, gpointer user_data)
{
  ProgressLog *log = user_data;

  g_array_append_val (log->current, current);
  g_array_append_val (log->total, total);
  if (current > 0 && current < total && !log->cancelled_mid_copy)
    {
      log->cancelled_mid_copy = TRUE;
      g_cancellable_cancel (log->cancellable);
    }
  else if (!log->cancelled_mid_copy)
    {
      /* Reports are rate-limited: make sure the next one comes while the
       * copy is still running. */
      g_usleep (80 * 1000);
    }
}

static void
test_cancel (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *big1 = g_build_filename (src, "big1", NULL);
  g_autofree char *big2 = g_build_filename (src, "big2", NULL);
  g_autoptr (GFile) source = g_file_new_for_path (src);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  ProgressLog log = { cancellable, g_array_new (FALSE, FALSE, sizeof (goffset)),
                      g_array_new (FALSE, FALSE, sizeof (goffset)), FALSE };
  FsCacheCommitStatus status = FS_CACHE_COMMIT_STORED;
  guint64 size_before;
  FsCacheEntry *held;

  /* Something stored first, so cache.size is not trivially 0. */
  held = fs_test_store_commit (fx->cache, "other", 10000, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  g_object_unref (held);
  size_before = fs_test_read_cache_size (fx->cache_dir);
  g_assert_cmpuint (size_before, >, 0);

  /* Two files of several copy chunks each: whether a file is copied in
   * chunks or reflinked at once, a report comes before the end. */
  fs_test_write_file (big1, 24 << 20);
  fs_test_write_file (big2, 24 << 20);
  before = fs_test_snapshot (src);

  g_assert_false (fs_cache_store_tree (fx->cache, "cancelled", source, FS_CACHE_STORE_NONE,
                                       cancel_mid_copy, &log, &status, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (log.cancelled_mid_copy);
  for (guint i = 0; i < log.current->len; i++)
    g_test_message ("progress %" G_GOFFSET_FORMAT "/%" G_GOFFSET_FORMAT,
                    g_array_index (log.current, goffset, i), g_array_index (log.total, goffset, i));

  /* Nothing left: no entry, no uuid-* anywhere, the accounting unchanged,
   * the source untouched. */
  fs_test_assert_miss (fx->cache, "cancelled");
  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size_before);
  after = fs_test_snapshot (src);
  g_assert_cmpstr (after, ==, before);
  assert_no_debris (fx->cache_dir);

  /* The same store, not cancelled, works afterwards. */
  g_assert_cmpint (store_tree (fx->cache, "cancelled", src, FS_CACHE_STORE_NONE), ==,
                   FS_CACHE_COMMIT_STORED);
  assert_no_debris (fx->cache_dir);

  g_array_unref (log.current);
  g_array_unref (log.total);
}

/* Cancelled before it starts: the same, with a move too. */
static void
test_cancel_before (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *file = g_build_filename (src, "f", NULL);
  g_autoptr (GFile) source = g_file_new_for_path (src);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  FsCacheCommitStatus status = FS_CACHE_COMMIT_STORED;

  fs_test_write_file (file, 100000);
  before = fs_test_snapshot (src);
  g_cancellable_cancel (cancellable);
  g_assert_false (fs_cache_store_tree (fx->cache, "c", source, FS_CACHE_STORE_NONE, NULL, NULL,
                                       &status, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_false (fs_cache_store_tree (fx->cache, "c", source, FS_CACHE_STORE_MOVE, NULL, NULL,
                                       &status, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  after = fs_test_snapshot (src);
  g_assert_cmpstr (after, ==, before);
  fs_test_assert_miss (fx->cache, "c");
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 0);
  assert_no_debris (fx->cache_dir);
}

static void
record_progress (goffset current, goffset total, gpointer user_data)
{
  ProgressLog *log = user_data;

  g_array_append_val (log->current, current);
  g_array_append_val (log->total, total);
  /* Slow enough that the rate limit lets several reports through. */
  g_usleep (60 * 1000);
}

static void
assert_progress_sane (ProgressLog *log, goffset expected_total)
{
  g_assert_cmpuint (log->current->len, >=, 2);
  for (guint i = 0; i < log->current->len; i++)
    {
      goffset current = g_array_index (log->current, goffset, i);
      goffset total = g_array_index (log->total, goffset, i);

      g_test_message ("progress %" G_GOFFSET_FORMAT "/%" G_GOFFSET_FORMAT, current, total);
      g_assert_cmpint (total, ==, expected_total);
      g_assert_cmpint (current, >=, 0);
      g_assert_cmpint (current, <=, total);
      if (i > 0)
        g_assert_cmpint (current, >=, g_array_index (log->current, goffset, i - 1));
    }
  /* The last report says everything is done. */
  g_assert_cmpint (g_array_index (log->current, goffset, log->current->len - 1), ==,
                   expected_total);
}

static void
test_progress (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autoptr (GFile) source = g_file_new_for_path (src);
  g_autoptr (GError) error = NULL;
  ProgressLog log = { NULL, g_array_new (FALSE, FALSE, sizeof (goffset)),
                      g_array_new (FALSE, FALSE, sizeof (goffset)), FALSE };
  FsCacheCommitStatus status = FS_CACHE_COMMIT_NO_SPACE;
  goffset total = 0;

  for (int i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%d", i);
      g_autofree char *path = g_build_filename (src, "sub", name, NULL);
      fs_test_write_file (path, (gsize) (12 << 20) + (gsize) i);
      total += (12 << 20) + i;
    }
  for (int i = 0; i < 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("small%d", i);
      g_autofree char *path = g_build_filename (src, name, NULL);
      fs_test_write_file (path, 1000);
      total += 1000;
    }
  {
    g_autofree char *link = g_build_filename (src, "link", NULL);
    make_symlink ("sub/f0", link);
  }

  g_assert_true (fs_cache_store_tree (fx->cache, "p", source, FS_CACHE_STORE_NONE, record_progress,
                                      &log, &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  assert_progress_sane (&log, total);
  g_array_unref (log.current);
  g_array_unref (log.total);
  assert_no_debris (fx->cache_dir);
}

/* Hard links and holes are not copied byte by byte: the reports still end
 * at their total. */
static void
test_progress_links_holes (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *a = g_build_filename (src, "a", NULL);
  g_autofree char *b = g_build_filename (src, "b", NULL);
  g_autofree char *sparse = g_build_filename (src, "sparse", NULL);
  g_autoptr (GFile) source = g_file_new_for_path (src);
  g_autoptr (GError) error = NULL;
  static const goffset offsets[] = { 0 };
  ProgressLog log = { NULL, NULL, NULL, FALSE };
  FsCacheCommitStatus status = FS_CACHE_COMMIT_NO_SPACE;
  goffset total;

  log.current = g_array_new (FALSE, FALSE, sizeof (goffset));
  log.total = g_array_new (FALSE, FALSE, sizeof (goffset));
  fs_test_write_file (a, 1 << 20);
  g_assert_cmpint (link (a, b), ==, 0);
  write_sparse_file (sparse, offsets, 1, 4 << 20);
  total = (1 << 20) * 2 + (4 << 20);

  g_assert_true (fs_cache_store_tree (fx->cache, "p", source, FS_CACHE_STORE_NONE, record_progress,
                                      &log, &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  /* The total is the apparent size of the files (as g_file_copy() and
   * cp report it); whatever it counts, the last report must reach it. */
  {
    goffset reported_total = g_array_index (log.total, goffset, 0);
    goffset last = g_array_index (log.current, goffset, log.current->len - 1);

    g_test_message ("total reported %" G_GOFFSET_FORMAT " (apparent %" G_GOFFSET_FORMAT
                    "), last report %" G_GOFFSET_FORMAT,
                    reported_total, total, last);
    g_assert_cmpint (last, ==, reported_total);
    assert_progress_sane (&log, reported_total);
  }
  g_array_unref (log.current);
  g_array_unref (log.total);
  assert_no_debris (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* Moves                                                                     */

static void
fill_tree (const char *root)
{
  g_autofree char *a = g_build_filename (root, "a", NULL);
  g_autofree char *b = g_build_filename (root, "sub", "b", NULL);
  g_autofree char *c = g_build_filename (root, "sub", "c", NULL);
  g_autofree char *l = g_build_filename (root, "link", NULL);

  fs_test_write_file (a, 50000);
  fs_test_write_file (b, 7000);
  g_assert_cmpint (link (b, c), ==, 0);
  make_symlink ("sub/b", l);
  g_assert_cmpint (chmod (root, 0751), ==, 0);
}

static void
test_move_stage (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) stage = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autofree char *stage_data = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  stage = fs_cache_stage (fx->cache, NULL, &error);
  g_assert_no_error (error);
  stage_data = g_strdup (fs_cache_entry_get_path (stage));
  fill_tree (stage_data);
  /* With inode numbers: a move keeps them, a copy would not. */
  before = fs_test_snapshot (stage_data);

  g_assert_cmpint (store_tree (fx->cache, "from-stage", stage_data, FS_CACHE_STORE_MOVE), ==,
                   FS_CACHE_COMMIT_STORED);
  g_assert_false (path_exists (stage_data));

  entry = load_hit (fx->cache, "from-stage");
  after = fs_test_snapshot (fs_cache_entry_get_path (entry));
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpuint (fs_test_read_object_size (fx->cache_dir, "from-stage"), ==,
                    fs_test_tree_space (fs_cache_entry_get_path (entry)));

  /* Releasing the staging entry is what removes it; the entry stays. */
  fs_cache_entry_release (stage);
  fs_cache_entry_release (entry);
  g_clear_object (&entry);
  entry = load_hit (fx->cache, "from-stage");
  g_clear_pointer (&after, g_free);
  after = fs_test_snapshot (fs_cache_entry_get_path (entry));
  g_assert_cmpstr (after, ==, before);
  fs_cache_entry_release (entry);
  assert_no_debris (fx->cache_dir);
}

/* A name that exists: the moved tree goes back where it was. */
static void
test_move_exists (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) stage = NULL;
  g_autoptr (FsCacheEntry) first = NULL;
  g_autofree char *stage_data = NULL;
  g_autofree char *dir = g_build_filename (fx->tmpdir, "tree", NULL);
  g_autofree char *file = g_build_filename (fx->tmpdir, "file", NULL);
  g_autofree char *before_stage = NULL, *before_dir = NULL, *before_file = NULL;
  g_autofree char *first_snapshot = NULL;
  g_autofree char *after = NULL;
  FsCacheCommitStatus status;
  guint64 size;

  first = fs_test_store_commit (fx->cache, "taken", 3000, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  first_snapshot = fs_test_snapshot (fs_cache_entry_get_path (first));
  fs_cache_entry_release (first);
  size = fs_test_read_cache_size (fx->cache_dir);

  stage = fs_cache_stage (fx->cache, NULL, &error);
  g_assert_no_error (error);
  stage_data = g_strdup (fs_cache_entry_get_path (stage));
  fill_tree (stage_data);
  before_stage = fs_test_snapshot (stage_data);
  fill_tree (dir);
  before_dir = fs_test_snapshot (dir);
  fs_test_write_file (file, 5000);
  before_file = fs_test_snapshot (file);

  g_assert_cmpint (store_tree (fx->cache, "taken", stage_data, FS_CACHE_STORE_MOVE), ==,
                   FS_CACHE_COMMIT_EXISTS);
  after = fs_test_snapshot (stage_data);
  g_assert_cmpstr (after, ==, before_stage);
  g_clear_pointer (&after, g_free);

  g_assert_cmpint (store_tree (fx->cache, "taken", dir, FS_CACHE_STORE_MOVE), ==,
                   FS_CACHE_COMMIT_EXISTS);
  after = fs_test_snapshot (dir);
  g_assert_cmpstr (after, ==, before_dir);
  g_clear_pointer (&after, g_free);

  g_assert_cmpint (store_tree (fx->cache, "taken", file, FS_CACHE_STORE_MOVE), ==,
                   FS_CACHE_COMMIT_EXISTS);
  after = fs_test_snapshot (file);
  g_assert_cmpstr (after, ==, before_file);
  g_clear_pointer (&after, g_free);

  /* The entry that was there is unchanged, and so is the accounting. */
  g_clear_object (&first);
  first = load_hit (fx->cache, "taken");
  after = fs_test_snapshot (fs_cache_entry_get_path (first));
  g_assert_cmpstr (after, ==, first_snapshot);
  fs_cache_entry_release (first);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size);

  /* The staging entry is still usable, and a later move of it works. */
  g_assert_cmpint (store_tree (fx->cache, "free", stage_data, FS_CACHE_STORE_MOVE), ==,
                   FS_CACHE_COMMIT_STORED);
  fs_cache_entry_release (stage);
  assert_no_debris (fx->cache_dir);
}

/* The moved tree is the source itself: same inodes, the source gone. */
static void
test_move_same_fs (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *dir = g_build_filename (fx->tmpdir, "tree", NULL);
  g_autofree char *file = g_build_filename (fx->tmpdir, "file.txt", NULL);
  g_autofree char *before_dir = NULL, *after = NULL;
  g_autofree char *moved_file = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  struct stat st;

  fill_tree (dir);
  before_dir = fs_test_snapshot (dir);
  fs_test_write_file (file, 4321);
  st = lstat_or_die (file);

  g_assert_cmpint (store_tree (fx->cache, "dir", dir, FS_CACHE_STORE_MOVE), ==,
                   FS_CACHE_COMMIT_STORED);
  g_assert_false (path_exists (dir));
  entry = load_hit (fx->cache, "dir");
  after = fs_test_snapshot (fs_cache_entry_get_path (entry));
  g_assert_cmpstr (after, ==, before_dir);
  fs_cache_entry_release (entry);
  g_clear_object (&entry);

  g_assert_cmpint (store_tree (fx->cache, "file", file,
                               FS_CACHE_STORE_MOVE | FS_CACHE_STORE_NO_COPY),
                   ==, FS_CACHE_COMMIT_STORED);
  g_assert_false (path_exists (file));
  entry = load_hit (fx->cache, "file");
  moved_file = g_build_filename (fs_cache_entry_get_path (entry), "file.txt", NULL);
  g_assert_cmpuint (lstat_or_die (moved_file).st_ino, ==, st.st_ino);
  fs_cache_entry_release (entry);
  assert_no_debris (fx->cache_dir);
}

/* A directory on a different file system than /dev/shm, for a cache. */
static char *
make_dir_off_shm (FsTestFixture *fx, struct stat *shm_st)
{
  struct stat st;
  char *dir;

  if (stat ("/dev/shm", shm_st) < 0 || !S_ISDIR (shm_st->st_mode) || access ("/dev/shm", W_OK) < 0)
    return NULL;
  if (stat (fx->tmpdir, &st) == 0 && st.st_dev != shm_st->st_dev)
    return g_build_filename (fx->tmpdir, "off-shm", NULL);
  dir = g_strdup ("/var/tmp/fscache-test-XXXXXX");
  if (g_mkdtemp (dir) != NULL && stat (dir, &st) == 0 && st.st_dev != shm_st->st_dev)
    return dir;
  if (g_file_test (dir, G_FILE_TEST_IS_DIR))
    fs_test_rm_rf (dir);
  g_free (dir);
  return NULL;
}

static void
test_move_cross_fs (FsTestFixture *fx, gconstpointer user_data)
{
  struct stat shm_st, cache_st;
  g_autofree char *base = make_dir_off_shm (fx, &shm_st);
  g_autofree char *cache_dir = NULL;
  g_autofree char *shm = NULL;
  g_autofree char *tree = NULL;
  g_autofree char *file = NULL;
  g_autofree char *sig = NULL;
  g_autofree char *after = NULL;
  g_autofree char *file_sum = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) tree_file = NULL;
  FsCacheCommitStatus status = FS_CACHE_COMMIT_STORED;

  if (base == NULL)
    {
      g_test_skip ("no /dev/shm on a file system of its own");
      return;
    }
  cache_dir = g_build_filename (base, "cache", NULL);
  cache = fs_test_open_cache (cache_dir);
  fs_test_set_maximum_size (cache, FS_CACHE_SIZE_UNLIMITED);
  g_assert_cmpint (stat (cache_dir, &cache_st), ==, 0);
  g_assert_cmpuint (cache_st.st_dev, !=, shm_st.st_dev);

  shm = g_strdup ("/dev/shm/fscache-test-XXXXXX");
  g_assert_nonnull (g_mkdtemp (shm));
  tree = g_build_filename (shm, "tree", NULL);
  file = g_build_filename (shm, "file.bin", NULL);
  tree_file = g_file_new_for_path (tree);

  /* Refused: the source stays whole, nothing is left in the cache. */
  fill_tree (tree);
  sig = tree_signature (tree, TRUE);
  g_assert_false (fs_cache_store_tree (cache, "t", tree_file,
                                       FS_CACHE_STORE_MOVE | FS_CACHE_STORE_NO_COPY, NULL, NULL,
                                       &status, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  after = tree_signature (tree, TRUE);
  g_assert_cmpstr (after, ==, sig);
  g_clear_pointer (&after, g_free);
  fs_test_assert_miss (cache, "t");
  g_assert_cmpuint (fs_test_read_cache_size (cache_dir), ==, 0);
  assert_no_debris (cache_dir);

  /* Copied, then the source removed once stored. */
  g_assert_cmpint (store_tree (cache, "t", tree, FS_CACHE_STORE_MOVE), ==, FS_CACHE_COMMIT_STORED);
  g_assert_false (path_exists (tree));
  entry = load_hit (cache, "t");
  after = tree_signature (fs_cache_entry_get_path (entry), TRUE);
  g_assert_cmpstr (after, ==, sig);
  g_clear_pointer (&after, g_free);
  fs_cache_entry_release (entry);
  g_clear_object (&entry);
  assert_no_debris (cache_dir);

  /* Copied but not stored (the name exists): the source is kept. */
  fill_tree (tree);
  g_clear_pointer (&sig, g_free);
  sig = tree_signature (tree, TRUE);
  g_assert_cmpint (store_tree (cache, "t", tree, FS_CACHE_STORE_MOVE), ==, FS_CACHE_COMMIT_EXISTS);
  after = tree_signature (tree, TRUE);
  g_assert_cmpstr (after, ==, sig);
  g_clear_pointer (&after, g_free);
  assert_no_debris (cache_dir);

  /* A single file across file systems. */
  fs_test_write_file (file, 77777);
  file_sum = file_sha256 (file);
  g_assert_cmpint (store_tree (cache, "f", file, FS_CACHE_STORE_MOVE), ==, FS_CACHE_COMMIT_STORED);
  g_assert_false (path_exists (file));
  entry = load_hit (cache, "f");
  {
    g_autofree char *copy = g_build_filename (fs_cache_entry_get_path (entry), "file.bin", NULL);
    g_autofree char *sum = file_sha256 (copy);
    g_assert_cmpstr (sum, ==, file_sum);
  }
  fs_cache_entry_release (entry);
  assert_no_debris (cache_dir);

  fs_cache_close (cache);
  fs_test_rm_rf (shm);
  if (!g_str_has_prefix (base, fx->tmpdir))
    fs_test_rm_rf (base);
}

/* ------------------------------------------------------------------------ */
/* Reflinks on a loop-mounted XFS or btrfs image                             */

typedef struct {
  FsTestFixture fx;
  char *image;
  char *mnt;
  gboolean mounted;
  const char *fs_type;
} LoopFixture;

static gboolean
try_mount_image (LoopFixture *lf,
                 const char *fs_type,
                 const char *mkfs,
                 const char *const *mkfs_args)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *mkfs_path = fs_test_find_program (mkfs);
  g_autofree char *mount_path = fs_test_find_program ("mount");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  int fd;

  if (mkfs_path == NULL || mount_path == NULL)
    {
      g_test_message ("no %s or mount here", mkfs);
      return FALSE;
    }
  fd = open (lf->image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) 300 << 20), ==, 0);
  close (fd);

  g_ptr_array_add (argv, mkfs_path);
  for (gsize i = 0; mkfs_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) mkfs_args[i]);
  g_ptr_array_add (argv, lf->image);
  g_ptr_array_add (argv, NULL);
  if (!fs_test_run ((const char *const *) argv->pdata, NULL, &error))
    {
      g_test_message ("%s failed: %s", mkfs, error->message);
      return FALSE;
    }
  {
    const char *mount_argv[] = {
      mount_path, "-o", "loop", "-t", fs_type, lf->image, lf->mnt, NULL
    };
    if (!fs_test_run (mount_argv, NULL, &error))
      {
        g_test_message ("mounting the %s image failed: %s", fs_type, error->message);
        return FALSE;
      }
  }
  lf->mounted = TRUE;
  lf->fs_type = fs_type;
  return TRUE;
}

static void
loop_setup (LoopFixture *lf, gconstpointer user_data)
{
  static const char *const xfs_args[] = { "-q", "-f", "-m", "reflink=1", NULL };
  static const char *const btrfs_args[] = { "-q", "-f", NULL };

  fs_test_fixture_setup (&lf->fx, user_data);
  lf->image = g_build_filename (lf->fx.tmpdir, "fs.img", NULL);
  lf->mnt = g_build_filename (lf->fx.tmpdir, "mnt", NULL);
  make_dir (lf->mnt);
  if (geteuid () != 0)
    return;
  g_test_message ("mounts %s", private_mounts ? "in a private mount namespace"
                                              : "in the shared mount namespace");
  if (!try_mount_image (lf, "xfs", "mkfs.xfs", xfs_args))
    (void) try_mount_image (lf, "btrfs", "mkfs.btrfs", btrfs_args);
}

static void
loop_teardown (LoopFixture *lf, gconstpointer user_data)
{
  if (lf->fx.cache != NULL)
    {
      fs_cache_close (lf->fx.cache);
      g_clear_object (&lf->fx.cache);
    }
  if (lf->mounted)
    {
      g_autofree char *umount_path = fs_test_find_program ("umount");
      g_autoptr (GError) error = NULL;
      const char *argv[] = { umount_path, lf->mnt, NULL };

      if ((umount_path == NULL || !fs_test_run (argv, NULL, &error)) &&
          umount2 (lf->mnt, MNT_DETACH) < 0)
        g_error ("could not unmount %s: %s", lf->mnt,
                 error != NULL ? error->message : g_strerror (errno));
      lf->mounted = FALSE;
    }
  g_clear_pointer (&lf->image, g_free);
  g_clear_pointer (&lf->mnt, g_free);
  fs_test_fixture_teardown (&lf->fx, user_data);
}

/* TRUE if every extent of @path is marked shared (FIEMAP). */
static gboolean
all_extents_shared (const char *path, guint *out_extents)
{
  gsize size = sizeof (struct fiemap) + 64 * sizeof (struct fiemap_extent);
  g_autofree struct fiemap *map = g_malloc0 (size);
  gboolean shared = TRUE;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  map->fm_start = 0;
  map->fm_length = FIEMAP_MAX_OFFSET;
  map->fm_flags = FIEMAP_FLAG_SYNC;
  map->fm_extent_count = 64;
  g_assert_cmpint (ioctl (fd, FS_IOC_FIEMAP, map), ==, 0);
  close (fd);
  g_assert_cmpuint (map->fm_mapped_extents, >, 0);
  for (guint i = 0; i < map->fm_mapped_extents; i++)
    if (!(map->fm_extents[i].fe_flags & FIEMAP_EXTENT_SHARED))
      shared = FALSE;
  *out_extents = map->fm_mapped_extents;
  return shared;
}

static void
test_reflink (LoopFixture *lf, gconstpointer user_data)
{
  g_autofree char *src = NULL;
  g_autofree char *big = NULL;
  g_autofree char *cache_dir = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *sum_a = NULL;
  g_autofree char *sum_b = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  FsCopyOptions options = { 0 };
  guint extents = 0;
  int mnt_fd;

  if (geteuid () != 0)
    {
      g_test_skip ("mounting a file system image needs root");
      return;
    }
  if (!lf->mounted)
    {
      g_test_skip ("could not make and mount an XFS or btrfs image here");
      return;
    }
  g_test_message ("reflinks on a loop-mounted %s image", lf->fs_type);

  src = g_build_filename (lf->mnt, "src", NULL);
  big = g_build_filename (src, "big", NULL);
  cache_dir = g_build_filename (lf->mnt, "cache", NULL);
  fs_test_write_file (big, 10 << 20);

  /* The copy primitive reflinks the file: counted as such. */
  mnt_fd = open (lf->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (mnt_fd, >=, 0);
  g_assert_cmpint (syncfs (mnt_fd), ==, 0);
  g_assert_true (_fs_copy_tree (AT_FDCWD, src, mnt_fd, "copy", &options, &error));
  g_assert_no_error (error);
  close (mnt_fd);
  g_assert_cmpuint (options.n_reflinked, ==, 1);
  g_assert_cmpuint (options.n_range_copied, ==, 0);
  g_assert_cmpuint (options.n_plain_copied, ==, 0);

  /* store_tree does the same: the entry's file shares its extents. */
  lf->fx.cache = fs_test_open_cache (cache_dir);
  fs_test_set_maximum_size (lf->fx.cache, FS_CACHE_SIZE_UNLIMITED);
  g_assert_cmpint (store_tree (lf->fx.cache, "reflinked", src, FS_CACHE_STORE_NONE), ==,
                   FS_CACHE_COMMIT_STORED);
  entry = load_hit (lf->fx.cache, "reflinked");
  copy = g_build_filename (fs_cache_entry_get_path (entry), "big", NULL);
  g_assert_true (all_extents_shared (copy, &extents));
  g_test_message ("%u shared extents", extents);
  sum_a = file_sha256 (big);
  sum_b = file_sha256 (copy);
  g_assert_cmpstr (sum_b, ==, sum_a);
  /* Accounted as the space the entry's files use (shared extents
   * included, st_blocks): what removing the source would leave. */
  g_assert_cmpuint (fs_cache_entry_get_size (entry), ==,
                    fs_test_tree_space (fs_cache_entry_get_path (entry)));
  g_assert_cmpuint (fs_cache_entry_get_size (entry), >=, 10 << 20);
  fs_cache_entry_release (entry);
  assert_no_debris (cache_dir);
}

/* ------------------------------------------------------------------------ */
/* Asynchronous                                                              */

typedef struct {
  GMainContext *context;
  GThread *thread;
  GArray *current;
  GArray *total;
  guint wrong_context;
  guint after_done;
  gboolean done;
  gboolean ok;
  FsCacheCommitStatus status;
  GError *error;
  guint freed;
  guint freed_elsewhere;
} AsyncState;

static void
async_progress (goffset current, goffset total, gpointer user_data)
{
  AsyncState *state = user_data;

  if (!g_main_context_is_owner (state->context) || g_thread_self () != state->thread)
    state->wrong_context++;
  if (state->done)
    state->after_done++;
  g_array_append_val (state->current, current);
  g_array_append_val (state->total, total);
}

static void
async_progress_free (gpointer user_data)
{
  AsyncState *state = user_data;

  /* Like the reports: in the caller's thread (bindings free their
   * closures there), after the last report. */
  if (g_thread_self () != state->thread)
    g_atomic_int_inc (&state->freed_elsewhere);
  g_atomic_int_inc (&state->freed);
}

static void
async_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncState *state = user_data;

  g_assert_true (g_main_context_is_owner (state->context));
  g_assert_true (g_thread_self () == state->thread);
  state->ok = fs_cache_store_tree_finish (FS_CACHE (source), result, &state->status, &state->error);
  state->done = TRUE;
}

static void
test_async (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autoptr (GFile) source = g_file_new_for_path (src);
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autofree char *sig = NULL;
  g_autofree char *after = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  AsyncState state = { 0 };
  goffset total = 0;

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%d", i);
      g_autofree char *path = g_build_filename (src, name, NULL);
      fs_test_write_file (path, 20 << 20);
      total += 20 << 20;
    }
  sig = tree_signature (src, TRUE);

  state.context = context;
  state.thread = g_thread_self ();
  state.current = g_array_new (FALSE, FALSE, sizeof (goffset));
  state.total = g_array_new (FALSE, FALSE, sizeof (goffset));

  /* The caller's context is a thread-default one, not the global default:
   * reports must come there, in this thread. */
  g_main_context_push_thread_default (context);
  fs_cache_store_tree_async (fx->cache, "async", source, FS_CACHE_STORE_NONE, G_PRIORITY_DEFAULT,
                             NULL, async_progress, &state, async_progress_free, async_done, &state);
  while (!state.done)
    g_main_context_iteration (context, TRUE);
  /* Anything still queued would come now; the notify of the progress data
   * comes at the latest when the task is gone. */
  {
    gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
    while (g_main_context_iteration (context, FALSE))
      ;
    while (g_atomic_int_get (&state.freed) == 0 && g_get_monotonic_time () < deadline)
      {
        g_usleep (10 * 1000);
        while (g_main_context_iteration (context, FALSE))
          ;
      }
  }
  g_main_context_pop_thread_default (context);

  g_assert_no_error (state.error);
  g_assert_true (state.ok);
  g_assert_cmpint (state.status, ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (state.current->len, >=, 1);
  g_assert_cmpuint (state.wrong_context, ==, 0);
  g_assert_cmpuint (state.after_done, ==, 0);
  for (guint i = 0; i < state.current->len; i++)
    {
      g_assert_cmpint (g_array_index (state.total, goffset, i), ==, total);
      if (i > 0)
        g_assert_cmpint (g_array_index (state.current, goffset, i), >=,
                         g_array_index (state.current, goffset, i - 1));
    }
  g_assert_cmpint (g_array_index (state.current, goffset, state.current->len - 1), ==, total);
  g_assert_cmpuint (state.freed, ==, 1);

  entry = load_hit (fx->cache, "async");
  after = tree_signature (fs_cache_entry_get_path (entry), TRUE);
  g_assert_cmpstr (after, ==, sig);
  fs_cache_entry_release (entry);
  assert_no_debris (fx->cache_dir);
  g_array_unref (state.current);
  g_array_unref (state.total);
}

/* The progress data's notify comes in the caller's thread too (a binding
 * frees its closure there; GJS can't do it from another thread), once,
 * after the last report. A race decides in which thread the task dies, so
 * several stores are tried. */
static void
test_async_free_thread (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *file = g_build_filename (src, "f", NULL);
  g_autoptr (GFile) source = g_file_new_for_path (src);
  g_autoptr (GMainContext) context = g_main_context_new ();
  guint freed_elsewhere = 0;

  fs_test_write_file (file, 100000);
  g_main_context_push_thread_default (context);
  for (int i = 0; i < 30; i++)
    {
      g_autofree char *name = g_strdup_printf ("n%d", i);
      AsyncState state = { 0 };
      gint64 deadline;

      state.context = context;
      state.thread = g_thread_self ();
      state.current = g_array_new (FALSE, FALSE, sizeof (goffset));
      state.total = g_array_new (FALSE, FALSE, sizeof (goffset));
      fs_cache_store_tree_async (fx->cache, name, source, FS_CACHE_STORE_NONE, G_PRIORITY_DEFAULT,
                                 NULL, async_progress, &state, async_progress_free, async_done,
                                 &state);
      while (!state.done)
        g_main_context_iteration (context, TRUE);
      deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
      while (g_atomic_int_get (&state.freed) == 0 && g_get_monotonic_time () < deadline)
        {
          while (g_main_context_iteration (context, FALSE))
            ;
          g_usleep (1000);
        }
      g_assert_no_error (state.error);
      g_assert_cmpint (state.status, ==, FS_CACHE_COMMIT_STORED);
      g_assert_cmpuint (state.freed, ==, 1);
      g_assert_cmpuint (state.wrong_context, ==, 0);
      freed_elsewhere += state.freed_elsewhere;
      g_array_unref (state.current);
      g_array_unref (state.total);
    }
  g_main_context_pop_thread_default (context);
  g_test_message ("progress data freed in another thread %u times out of 30", freed_elsewhere);
  g_assert_cmpuint (freed_elsewhere, ==, 0);
  assert_no_debris (fx->cache_dir);
}

/* The caller's context is the global default one, and the caller is busy
 * (not iterating it) while the copy runs: the reports still wait for it,
 * in the caller's thread, never run directly in the worker thread. */
static void
test_async_default_context (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autoptr (GFile) source = g_file_new_for_path (src);
  AsyncState state = { 0 };
  goffset total = 0;
  gint64 deadline;

  for (int i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%d", i);
      g_autofree char *path = g_build_filename (src, name, NULL);
      fs_test_write_file (path, 16 << 20);
      total += 16 << 20;
    }
  state.context = g_main_context_default ();
  state.thread = g_thread_self ();
  state.current = g_array_new (FALSE, FALSE, sizeof (goffset));
  state.total = g_array_new (FALSE, FALSE, sizeof (goffset));

  fs_cache_store_tree_async (fx->cache, "async", source, FS_CACHE_STORE_NONE, G_PRIORITY_DEFAULT,
                             NULL, async_progress, &state, async_progress_free, async_done, &state);
  /* Busy with something else while the worker copies. */
  g_usleep (G_USEC_PER_SEC / 2);
  while (!state.done)
    g_main_context_iteration (NULL, TRUE);
  deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (g_main_context_iteration (NULL, FALSE))
    ;
  while (g_atomic_int_get (&state.freed) == 0 && g_get_monotonic_time () < deadline)
    {
      g_usleep (10 * 1000);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }

  g_assert_no_error (state.error);
  g_assert_true (state.ok);
  g_assert_cmpint (state.status, ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (state.current->len, >=, 1);
  g_assert_cmpuint (state.wrong_context, ==, 0);
  g_assert_cmpuint (state.after_done, ==, 0);
  g_assert_cmpint (g_array_index (state.current, goffset, state.current->len - 1), ==, total);
  g_assert_cmpuint (state.freed, ==, 1);
  g_assert_cmpuint (state.freed_elsewhere, ==, 0);
  g_array_unref (state.current);
  g_array_unref (state.total);
  assert_no_debris (fx->cache_dir);
}

/* Cancelled asynchronously: the same error, nothing left. */
static void
test_async_cancel (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *f = g_build_filename (src, "f", NULL);
  g_autoptr (GFile) source = g_file_new_for_path (src);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GMainContext) context = g_main_context_new ();
  AsyncState state = { 0 };

  fs_test_write_file (f, 100000);
  state.context = context;
  state.thread = g_thread_self ();
  g_cancellable_cancel (cancellable);
  g_main_context_push_thread_default (context);
  fs_cache_store_tree_async (fx->cache, "c", source, FS_CACHE_STORE_MOVE, G_PRIORITY_DEFAULT,
                             cancellable, NULL, NULL, NULL, async_done, &state);
  while (!state.done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  g_assert_false (state.ok);
  g_assert_error (state.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&state.error);
  g_assert_true (g_file_test (f, G_FILE_TEST_IS_REGULAR));
  fs_test_assert_miss (fx->cache, "c");
  assert_no_debris (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* Copying an entry out: fs_cache_entry_export()                             */

/* A tree with a bit of everything the copy engine keeps. */
static void
fill_export_source (const char *src)
{
  g_autofree char *sub = g_build_filename (src, "sub", NULL);
  g_autofree char *big = g_build_filename (src, "sub", "big", NULL);
  g_autofree char *small = g_build_filename (src, "small", NULL);
  g_autofree char *symlink_path = g_build_filename (src, "link", NULL);
  g_autofree char *hard = g_build_filename (src, "sub", "hard", NULL);
  g_autofree char *ro = g_build_filename (src, "ro", NULL);

  make_dir (src);
  make_dir (sub);
  fs_test_write_file (big, 3 << 20);
  fs_test_write_file (small, 100);
  make_symlink ("sub/big", symlink_path);
  g_assert_no_errno (link (small, hard));
  fs_test_write_file (ro, 10);
  g_assert_no_errno (chmod (ro, 0440));
  g_assert_no_errno (chmod (sub, 0750));
}

static void
test_export (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *dest = g_build_filename (fx->tmpdir, "out", NULL);
  g_autoptr (GFile) dest_file = g_file_new_for_path (dest);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *sig = NULL;
  g_autofree char *exported = NULL;
  ProgressLog log = { NULL, g_array_new (FALSE, FALSE, sizeof (goffset)),
                      g_array_new (FALSE, FALSE, sizeof (goffset)), FALSE };
  struct stat a, b;

  fill_export_source (src);
  sig = tree_signature (src, TRUE);
  g_assert_cmpint (store_tree (fx->cache, "e", src, FS_CACHE_STORE_NONE), ==,
                   FS_CACHE_COMMIT_STORED);
  entry = load_hit (fx->cache, "e");

  g_assert_true (fs_cache_entry_export (entry, dest_file, FS_CACHE_EXPORT_NONE, record_progress,
                                        &log, NULL, &error));
  g_assert_no_error (error);
  /* The same tree, times and modes included, hard links linked again. */
  exported = tree_signature (dest, TRUE);
  g_assert_cmpstr (exported, ==, sig);
  {
    g_autofree char *p1 = g_build_filename (dest, "small", NULL);
    g_autofree char *p2 = g_build_filename (dest, "sub", "hard", NULL);
    a = lstat_or_die (p1);
    b = lstat_or_die (p2);
  }
  g_assert_cmpuint (a.st_ino, ==, b.st_ino);
  assert_progress_sane (&log, (3 << 20) + 100 + 10);
  /* Nothing else beside it, and the entry is still whole and locked. */
  {
    g_autoptr (GDir) dir = g_dir_open (fx->tmpdir, 0, NULL);
    const char *name;
    guint n = 0;

    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_test_message ("beside: %s", name);
        n++;
      }
    g_assert_cmpuint (n, ==, 3); /* cache, src, out */
  }
  {
    g_autofree char *lock = g_build_filename (fx->cache_dir, "objects", "e", "object.lock", NULL);
    g_assert_false (fs_test_can_lock (lock, F_WRLCK));
  }
  g_array_unref (log.current);
  g_array_unref (log.total);
  assert_no_debris (fx->cache_dir);
}

/* An existing destination is never touched; a missing parent names the
 * path; a cancelled or failed copy leaves nothing behind. */
static void
test_export_failures (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *dest = g_build_filename (fx->tmpdir, "out", NULL);
  g_autofree char *keep = g_build_filename (dest, "keep", NULL);
  g_autofree char *no_parent = g_build_filename (fx->tmpdir, "no", "such", "dir", NULL);
  g_autofree char *fresh = g_build_filename (fx->tmpdir, "fresh", NULL);
  g_autoptr (GFile) dest_file = g_file_new_for_path (dest);
  g_autoptr (GFile) no_parent_file = g_file_new_for_path (no_parent);
  g_autoptr (GFile) fresh_file = g_file_new_for_path (fresh);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  ProgressLog log = { cancellable, g_array_new (FALSE, FALSE, sizeof (goffset)),
                      g_array_new (FALSE, FALSE, sizeof (goffset)), FALSE };

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/f%d", src, i);
      fs_test_write_file (path, 16 << 20);
    }
  g_assert_cmpint (store_tree (fx->cache, "e", src, FS_CACHE_STORE_NONE), ==,
                   FS_CACHE_COMMIT_STORED);
  entry = load_hit (fx->cache, "e");

  make_dir (dest);
  fs_test_write_text (keep, "mine", -1);
  before = fs_test_snapshot (fx->tmpdir);
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (
      fs_cache_entry_export (entry, dest_file, FS_CACHE_EXPORT_NONE, NULL, NULL, NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_assert_nonnull (strstr (error->message, dest));
  }
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (fs_cache_entry_export (entry, no_parent_file, FS_CACHE_EXPORT_NONE, NULL, NULL,
                                           NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, no_parent));
  }
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (fs_cache_entry_export (entry, fresh_file, FS_CACHE_EXPORT_NONE, cancel_mid_copy,
                                           &log, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_true (log.cancelled_mid_copy);
  }
  after = fs_test_snapshot (fx->tmpdir);
  g_assert_cmpstr (after, ==, before);
  g_array_unref (log.current);
  g_array_unref (log.total);
}

static void
export_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncState *state = user_data;

  g_assert_true (g_main_context_is_owner (state->context));
  g_assert_true (g_thread_self () == state->thread);
  state->ok = fs_cache_entry_export_finish (FS_CACHE_ENTRY (source), result, &state->error);
  state->done = TRUE;
}

/* Reports and the notify of their data come in the caller's context. */
static void
test_export_async (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *dest = g_build_filename (fx->tmpdir, "out", NULL);
  g_autoptr (GFile) dest_file = g_file_new_for_path (dest);
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autofree char *sig = NULL;
  g_autofree char *exported = NULL;
  AsyncState state = { 0 };
  gint64 deadline;

  fill_export_source (src);
  sig = tree_signature (src, TRUE);
  g_assert_cmpint (store_tree (fx->cache, "e", src, FS_CACHE_STORE_NONE), ==,
                   FS_CACHE_COMMIT_STORED);
  entry = load_hit (fx->cache, "e");

  state.context = context;
  state.thread = g_thread_self ();
  state.current = g_array_new (FALSE, FALSE, sizeof (goffset));
  state.total = g_array_new (FALSE, FALSE, sizeof (goffset));
  g_main_context_push_thread_default (context);
  fs_cache_entry_export_async (entry, dest_file, FS_CACHE_EXPORT_NONE, G_PRIORITY_DEFAULT, NULL,
                               async_progress, &state, async_progress_free, export_done, &state);
  while (!state.done)
    g_main_context_iteration (context, TRUE);
  deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (g_atomic_int_get (&state.freed) == 0 && g_get_monotonic_time () < deadline)
    {
      g_usleep (10 * 1000);
      while (g_main_context_iteration (context, FALSE))
        ;
    }
  g_main_context_pop_thread_default (context);

  g_assert_no_error (state.error);
  g_assert_true (state.ok);
  g_assert_cmpuint (state.current->len, >=, 1);
  g_assert_cmpuint (state.wrong_context, ==, 0);
  g_assert_cmpuint (state.after_done, ==, 0);
  g_assert_cmpuint (state.freed, ==, 1);
  g_assert_cmpuint (state.freed_elsewhere, ==, 0);
  exported = tree_signature (dest, TRUE);
  g_assert_cmpstr (exported, ==, sig);
  g_array_unref (state.current);
  g_array_unref (state.total);
}

int
main (int argc, char **argv)
{
  /* Modes in the tests are what the tests ask for. */
  umask (022);

  /* As root, mounts happen in a mount namespace of this process, so that a
   * crash can't leave one behind. Before any thread exists. */
  if (geteuid () == 0 && unshare (CLONE_NEWNS) == 0 &&
      mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
    private_mounts = TRUE;

  g_test_init (&argc, &argv, NULL);

#define ADD(path, setup, func) \
  g_test_add (path, FsTestFixture, NULL, setup, func, fs_test_fixture_teardown)

  ADD ("/store-tree/every-type", fs_test_fixture_setup_unlimited, test_every_type);
  ADD ("/store-tree/copy-counters", fs_test_fixture_setup, test_copy_counters);
  ADD ("/store-tree/sparse", fs_test_fixture_setup_unlimited, test_sparse);
  ADD ("/store-tree/hardlinks", fs_test_fixture_setup_unlimited, test_hardlinks);
  ADD ("/store-tree/symlinks", fs_test_fixture_setup_unlimited, test_symlinks);
  ADD ("/store-tree/symlink-source", fs_test_fixture_setup_unlimited, test_symlink_source);
  ADD ("/store-tree/single-file", fs_test_fixture_setup_unlimited, test_single_file);
  ADD ("/store-tree/failures", fs_test_fixture_setup_unlimited, test_failures);
  ADD ("/store-tree/too-large", fs_test_fixture_setup_cache, test_too_large);
  ADD ("/store-tree/cancel/mid-copy", fs_test_fixture_setup_unlimited, test_cancel);
  ADD ("/store-tree/cancel/before", fs_test_fixture_setup_unlimited, test_cancel_before);
  ADD ("/store-tree/progress/monotonic", fs_test_fixture_setup_unlimited, test_progress);
  ADD ("/store-tree/progress/links-and-holes", fs_test_fixture_setup_unlimited,
       test_progress_links_holes);
  ADD ("/store-tree/move/stage", fs_test_fixture_setup_unlimited, test_move_stage);
  ADD ("/store-tree/move/exists", fs_test_fixture_setup_unlimited, test_move_exists);
  ADD ("/store-tree/move/same-fs", fs_test_fixture_setup_unlimited, test_move_same_fs);
  ADD ("/store-tree/move/cross-fs", fs_test_fixture_setup, test_move_cross_fs);
  ADD ("/store-tree/async/progress-in-context", fs_test_fixture_setup_unlimited, test_async);
  ADD ("/store-tree/async/progress-in-default-context", fs_test_fixture_setup_unlimited,
       test_async_default_context);
  ADD ("/store-tree/async/progress-data-free-thread", fs_test_fixture_setup_unlimited,
       test_async_free_thread);
  ADD ("/store-tree/async/cancel", fs_test_fixture_setup_unlimited, test_async_cancel);
  ADD ("/store-tree/export", fs_test_fixture_setup_unlimited, test_export);
  ADD ("/store-tree/export/failures", fs_test_fixture_setup_unlimited, test_export_failures);
  ADD ("/store-tree/export/async", fs_test_fixture_setup_unlimited, test_export_async);
  g_test_add ("/store-tree/reflink", LoopFixture, NULL, loop_setup, test_reflink, loop_teardown);

#undef ADD

  return g_test_run ();
}

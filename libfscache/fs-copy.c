/* fs-copy.c: the copy engine
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Copies a tree, or a file or symlink, to a new place: each regular file
 * reflinked (FICLONE) where the file system can, else copied with
 * copy_file_range() over its data extents (SEEK_DATA/SEEK_HOLE: holes stay
 * holes), else read and written. Kept: types (devices only when
 * privileged), modes, owners where permitted, timestamps to the
 * nanosecond, extended attributes where supported, hard links within the
 * tree (linked again). Symlinks are copied verbatim, never followed.
 * Progress is reported every 50 ms at most. Used to store a tree
 * (fs-import.c) and to export an entry (fs_cache_entry_export()).
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "fs-copy-private.h"
#include "fs-digest-private.h"
#include "fs-manifest-format-private.h"
#include "fs-tree-private.h"
#include "fs-util-private.h"

/* Deeper than PATH_MAX allows to name anyway: a tree this deep is hostile. */
#define MAX_DEPTH 2048

#define COPY_CHUNK (8 * 1024 * 1024)
/* The buffer of a copy that hashes (read/write). */
#define COPY_BUF_SIZE (1024 * 1024)

typedef struct {
  FsCopyOptions *opts;
  GHashTable *links; /* DevIno -> char* path below the destination root */
  int dst_root_fd;
  gint64 last_progress;
  FsDigest *digest; /* with a manifest: the hasher, and its buffer */
  void *buf;
} CopyWalk;

static void
report_progress (CopyWalk *walk, gboolean force)
{
  gint64 now;

  if (walk->opts->progress == NULL)
    return;
  now = g_get_monotonic_time ();
  if (!force && now - walk->last_progress < 50 * 1000)
    return;
  walk->last_progress = now;
  walk->opts->progress ((goffset) walk->opts->done_bytes, (goffset) walk->opts->total_bytes,
                        walk->opts->progress_data);
}

/* The path of the node @rel (below the destination root, starting with the
 * copy's own name) in the manifest. */
static const char *
manifest_path (CopyWalk *walk, const char *rel)
{
  const char *slash;

  if (!walk->opts->manifest_root_is_copy)
    return rel;
  slash = strchr (rel, '/');
  return slash == NULL ? FS_MANIFEST_ROOT : slash + 1;
}

static void
digest_progress (guint64 n_bytes, gpointer user_data)
{
  CopyWalk *walk = user_data;

  walk->opts->done_bytes += n_bytes;
  report_progress (walk, FALSE);
}

/* A regular file's data copied and hashed in one read. */
static gboolean
copy_data_hashing (CopyWalk *walk,
                   int src_fd,
                   int dst_fd,
                   const struct stat *st,
                   const char *rel,
                   guint8 out_digest[FS_DIGEST_SIZE],
                   GError **error)
{
  guint64 file_start = walk->opts->done_bytes;
  gboolean reflinked = FALSE;

  if (!_fs_digest_copy_fd (walk->digest, src_fd, dst_fd, st, walk->buf, COPY_BUF_SIZE, out_digest,
                           &reflinked, digest_progress, walk, walk->opts->cancellable, rel, error))
    return FALSE;
  if (reflinked)
    walk->opts->n_reflinked++;
  else
    walk->opts->n_plain_copied++;
  walk->opts->done_bytes = file_start + (guint64) st->st_size;
  report_progress (walk, FALSE);
  return TRUE;
}

static gboolean
check_cancel (CopyWalk *walk, GError **error)
{
  return !_fs_cancellable_set_error (walk->opts->cancellable, error);
}

static void
copy_xattrs (int src_fd, int dst_fd)
{
  char stack_names[1024];
  g_autofree char *heap_names = NULL;
  char *names = stack_names;
  ssize_t len;

  len = flistxattr (src_fd, stack_names, sizeof stack_names);
  if (len < 0 && errno == ERANGE)
    {
      len = flistxattr (src_fd, NULL, 0);
      if (len <= 0)
        return;
      heap_names = g_malloc ((gsize) len);
      names = heap_names;
      len = flistxattr (src_fd, names, (size_t) len);
    }
  if (len <= 0)
    return;

  for (char *n = names; n < names + len; n += strlen (n) + 1)
    {
      char value[4096];
      g_autofree char *big = NULL;
      ssize_t vlen = fgetxattr (src_fd, n, value, sizeof value);
      const char *v = value;

      if (vlen < 0 && errno == ERANGE)
        {
          vlen = fgetxattr (src_fd, n, NULL, 0);
          if (vlen < 0)
            continue;
          big = g_malloc ((gsize) vlen + 1);
          vlen = fgetxattr (src_fd, n, big, (size_t) vlen);
          v = big;
        }
      if (vlen < 0)
        continue;
      /* Unsupported namespaces or permissions: kept where the file system
       * and our privileges allow, as cp -a does. */
      (void) fsetxattr (dst_fd, n, v, (size_t) vlen, 0);
    }
}

static void
copy_owner_mode_times (int dst_fd, const struct stat *st, gboolean shared_dir)
{
  struct timespec times[2] = { st->st_atim, st->st_mtim };
  mode_t mode = st->st_mode & 07777;

  /* Owners only where permitted (root, or our own ids). */
  if (fchown (dst_fd, st->st_uid, st->st_gid) < 0)
    mode &= ~(mode_t) (S_ISUID | S_ISGID);
  if (shared_dir)
    mode |= 0070 | S_ISGID;
  (void) fchmod (dst_fd, mode);
  (void) futimens (dst_fd, times);
}

static gboolean copy_data_extents (CopyWalk *walk,
                                   int src_fd,
                                   int dst_fd,
                                   const struct stat *st,
                                   const char *path,
                                   GError **error);

/* Data of a regular file: reflink, else copy_file_range over data extents,
 * else read/write. */
static gboolean
copy_data (CopyWalk *walk,
           int src_fd,
           int dst_fd,
           const struct stat *st,
           const char *path,
           GError **error)
{
  guint64 file_start = walk->opts->done_bytes;
  gboolean ok;

  ok = copy_data_extents (walk, src_fd, dst_fd, st, path, error);
  /* Progress counts the file's length, holes included, whatever was read. */
  if (ok)
    {
      walk->opts->done_bytes = file_start + (guint64) st->st_size;
      report_progress (walk, FALSE);
    }
  return ok;
}

static gboolean
copy_data_extents (CopyWalk *walk,
                   int src_fd,
                   int dst_fd,
                   const struct stat *st,
                   const char *path,
                   GError **error)
{
  off_t end = st->st_size;
  off_t pos = 0;
  gboolean sparse = (guint64) st->st_blocks * 512 < (guint64) st->st_size;
  gboolean use_range = TRUE;

  if (end == 0)
    return TRUE;

  if (ioctl (dst_fd, FICLONE, src_fd) == 0)
    {
      walk->opts->n_reflinked++;
      walk->opts->done_bytes += (guint64) end;
      report_progress (walk, FALSE);
      return TRUE;
    }

  while (pos < end)
    {
      off_t data_start = pos, data_end = end;

      if (sparse)
        {
          data_start = lseek (src_fd, pos, SEEK_DATA);
          if (data_start < 0)
            {
              if (errno == ENXIO)
                break; /* only a hole is left */
              data_start = pos;
            }
          else
            {
              data_end = lseek (src_fd, data_start, SEEK_HOLE);
              if (data_end < 0)
                data_end = end;
            }
        }

      while (data_start < data_end)
        {
          size_t want = (size_t) MIN (data_end - data_start, (off_t) COPY_CHUNK);
          ssize_t n = -1;

          if (!check_cancel (walk, error))
            return FALSE;

          if (use_range)
            {
              loff_t in = data_start, out = data_start;
              n = copy_file_range (src_fd, &in, dst_fd, &out, want, 0);
              if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP ||
                            errno == ENOSYS || errno == EBADF))
                use_range = FALSE;
              else if (n < 0)
                return _fs_throw_errno (error, errno, _ ("Copying %s"), path);
            }
          if (!use_range)
            {
              char buf[65536];
              ssize_t r = pread (src_fd, buf, MIN (want, sizeof buf), data_start);
              if (r < 0)
                return _fs_throw_errno (error, errno, _ ("Reading %s"), path);
              if (r > 0 && !_fs_write_all (dst_fd, buf, (gsize) r, data_start))
                return _fs_throw_errno (error, errno, _ ("Writing the copy of %s"), path);
              n = r;
            }
          if (n == 0)
            {
              data_end = data_start; /* the file shrank under us */
              end = data_start;
              break;
            }
          data_start += n;
          walk->opts->done_bytes += (guint64) n;
          report_progress (walk, FALSE);
        }
      pos = data_end;
    }

  if (use_range)
    walk->opts->n_range_copied++;
  else
    walk->opts->n_plain_copied++;

  /* A trailing hole is not written: give the file its length. */
  if (ftruncate (dst_fd, st->st_size) < 0)
    return _fs_throw_errno (error, errno, _ ("Writing the copy of %s"), path);
  return TRUE;
}

static gboolean copy_node (CopyWalk *walk,
                           int src_dirfd,
                           const char *src_name,
                           int dst_dirfd,
                           const char *dst_name,
                           const char *rel,
                           int depth,
                           GError **error);

static gboolean
copy_dir_contents (CopyWalk *walk,
                   int src_fd,
                   int dst_fd,
                   const char *rel,
                   int depth,
                   GError **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  int dup_fd = dup (src_fd);
  struct dirent *de;
  DIR *dir;

  if (dup_fd < 0 || (dir = fdopendir (dup_fd)) == NULL)
    {
      int errsv = errno;
      _fs_fd_close (dup_fd);
      return _fs_throw_errno (error, errsv, _ ("Reading directory %s"), rel);
    }
  while ((de = readdir (dir)) != NULL)
    if (!(de->d_name[0] == '.' &&
          (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0'))))
      g_ptr_array_add (names, g_strdup (de->d_name));
  closedir (dir);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_autofree char *child = g_build_filename (rel, name, NULL);

      if (!copy_node (walk, src_fd, name, dst_fd, name, child, depth + 1, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
copy_node (CopyWalk *walk,
           int src_dirfd,
           const char *src_name,
           int dst_dirfd,
           const char *dst_name,
           const char *rel,
           int depth,
           GError **error)
{
  struct stat st;

  if (depth > MAX_DEPTH)
    return _fs_throw_errno (error, ELOOP, _ ("Copying %s"), rel);
  if (!check_cancel (walk, error))
    return FALSE;
  if (fstatat (src_dirfd, src_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return _fs_throw_errno (error, errno, _ ("Reading %s"), rel);

  if (S_ISDIR (st.st_mode))
    {
      fs_autofd src_fd = -1;
      fs_autofd dst_fd = -1;

      src_fd = openat (src_dirfd, src_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (src_fd < 0)
        return _fs_throw_errno (error, errno, _ ("Opening directory %s"), rel);
      if (mkdirat (dst_dirfd, dst_name, 0700) < 0 && errno != EEXIST)
        return _fs_throw_errno (error, errno, _ ("Creating the copy of %s"), rel);
      dst_fd = openat (dst_dirfd, dst_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (dst_fd < 0)
        return _fs_throw_errno (error, errno, _ ("Creating the copy of %s"), rel);
      if (!copy_dir_contents (walk, src_fd, dst_fd, rel, depth, error))
        return FALSE;
      copy_xattrs (src_fd, dst_fd);
      /* Last, so the children's creation does not move its times. */
      copy_owner_mode_times (dst_fd, &st, walk->opts->shared);
      if (walk->opts->manifest != NULL &&
          !_fs_manifest_builder_add_fd (walk->opts->manifest, manifest_path (walk, rel), dst_fd,
                                        NULL, error))
        return FALSE;
      return TRUE;
    }

  if (S_ISREG (st.st_mode))
    {
      fs_autofd src_fd = -1;
      fs_autofd dst_fd = -1;

      if (st.st_nlink > 1)
        {
          DevIno key = { st.st_dev, st.st_ino };
          const char *first = g_hash_table_lookup (walk->links, &key);
          if (first != NULL)
            {
              if (linkat (walk->dst_root_fd, first, dst_dirfd, dst_name, 0) < 0)
                return _fs_throw_errno (error, errno, _ ("Linking the copy of %s"), rel);
              walk->opts->n_hardlinked++;
              /* The builder knows the inode: hashed once, a link group. */
              if (walk->opts->manifest != NULL &&
                  !_fs_manifest_builder_add_at (walk->opts->manifest, manifest_path (walk, rel),
                                                dst_dirfd, dst_name, NULL, NULL, error))
                return FALSE;
              return TRUE;
            }
        }

      src_fd = openat (src_dirfd, src_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
      if (src_fd < 0)
        return _fs_throw_errno (error, errno, _ ("Opening %s"), rel);
      dst_fd =
        openat (dst_dirfd, dst_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (dst_fd < 0)
        return _fs_throw_errno (error, errno, _ ("Creating the copy of %s"), rel);
      if (walk->opts->manifest != NULL)
        {
          guint8 digest[FS_DIGEST_SIZE];

          /* The builder records the copy as it ends up: metadata first. */
          if (!copy_data_hashing (walk, src_fd, dst_fd, &st, rel, digest, error))
            return FALSE;
          copy_xattrs (src_fd, dst_fd);
          copy_owner_mode_times (dst_fd, &st, FALSE);
          if (!_fs_manifest_builder_add_fd (walk->opts->manifest, manifest_path (walk, rel), dst_fd,
                                            digest, error))
            return FALSE;
        }
      else
        {
          if (!copy_data (walk, src_fd, dst_fd, &st, rel, error))
            return FALSE;
          copy_xattrs (src_fd, dst_fd);
          copy_owner_mode_times (dst_fd, &st, FALSE);
        }

      if (st.st_nlink > 1)
        {
          DevIno *key = g_new (DevIno, 1);
          key->dev = st.st_dev;
          key->ino = st.st_ino;
          /* Paths below the destination root; @rel is relative to it. */
          g_hash_table_insert (walk->links, key, g_strdup (rel));
        }
      return TRUE;
    }

  if (S_ISLNK (st.st_mode))
    {
      g_autofree char *target = g_malloc ((gsize) st.st_size + 1);
      struct timespec times[2] = { st.st_atim, st.st_mtim };
      ssize_t n = readlinkat (src_dirfd, src_name, target, (size_t) st.st_size + 1);

      if (n < 0 || n > st.st_size)
        return _fs_throw_errno (error, n < 0 ? errno : EIO, _ ("Reading the symlink %s"), rel);
      target[n] = '\0';
      if (symlinkat (target, dst_dirfd, dst_name) < 0)
        return _fs_throw_errno (error, errno, _ ("Creating the copy of %s"), rel);
      (void) fchownat (dst_dirfd, dst_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
      /* Before the times: reading the link for the manifest touches its
       * access time, which the copy keeps. */
      if (walk->opts->manifest != NULL &&
          !_fs_manifest_builder_add_at (walk->opts->manifest, manifest_path (walk, rel), dst_dirfd,
                                        dst_name, NULL, NULL, error))
        return FALSE;
      (void) utimensat (dst_dirfd, dst_name, times, AT_SYMLINK_NOFOLLOW);
      return TRUE;
    }

  if (S_ISFIFO (st.st_mode) || S_ISSOCK (st.st_mode) || S_ISCHR (st.st_mode) ||
      S_ISBLK (st.st_mode))
    {
      struct timespec times[2] = { st.st_atim, st.st_mtim };

      if (mknodat (dst_dirfd, dst_name, st.st_mode, st.st_rdev) < 0)
        return _fs_throw_errno (error, errno, _ ("Creating the copy of %s"), rel);
      (void) fchownat (dst_dirfd, dst_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
      (void) fchmodat (dst_dirfd, dst_name, st.st_mode & 07777, 0);
      (void) utimensat (dst_dirfd, dst_name, times, AT_SYMLINK_NOFOLLOW);
      if (walk->opts->manifest != NULL &&
          !_fs_manifest_builder_add_at (walk->opts->manifest, manifest_path (walk, rel), dst_dirfd,
                                        dst_name, NULL, NULL, error))
        return FALSE;
      return TRUE;
    }

  return _fs_throw_errno (error, EOPNOTSUPP, _ ("Copying %s"), rel);
}

gboolean
_fs_copy_tree (int src_dirfd,
               const char *src_name,
               int dst_dirfd,
               const char *dst_name,
               FsCopyOptions *options,
               GError **error)
{
  CopyWalk walk = { options, NULL, -1, 0, NULL, NULL };
  struct stat st;
  gboolean ok;

  if (fstatat (src_dirfd, src_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return _fs_throw_errno (error, errno, _ ("Reading %s"), src_name);

  walk.links = g_hash_table_new_full (_fs_dev_ino_hash, _fs_dev_ino_equal, g_free, g_free);
  /* Hard links are re-made relative to the directory the copy goes in. */
  walk.dst_root_fd = dst_dirfd;
  if (options->manifest != NULL)
    {
      walk.digest = _fs_digest_new ();
      walk.buf = g_malloc (COPY_BUF_SIZE);
    }
  report_progress (&walk, TRUE);
  ok = copy_node (&walk, src_dirfd, src_name, dst_dirfd, dst_name, dst_name, 0, error);
  g_hash_table_unref (walk.links);
  g_clear_pointer (&walk.digest, _fs_digest_free);
  g_free (walk.buf);
  if (ok)
    report_progress (&walk, TRUE);
  return ok;
}

static void
content_walk (int dfd, guint64 *total, GHashTable *seen, int depth)
{
  DIR *dir = fdopendir (dfd);
  struct dirent *de;

  if (dir == NULL)
    {
      close (dfd);
      return;
    }
  while ((de = readdir (dir)) != NULL)
    {
      struct stat st;

      if (de->d_name[0] == '.' &&
          (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
        continue;
      if (fstatat (dirfd (dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISREG (st.st_mode) && st.st_nlink > 1)
        {
          DevIno key = { st.st_dev, st.st_ino };
          if (!g_hash_table_contains (seen, &key))
            {
              g_hash_table_add (seen, g_memdup2 (&key, sizeof key));
              *total += (guint64) st.st_size; /* hard links are copied once */
            }
        }
      else if (S_ISREG (st.st_mode))
        *total += (guint64) st.st_size;
      else if (S_ISDIR (st.st_mode) && depth < MAX_DEPTH)
        {
          int cfd =
            openat (dirfd (dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (cfd >= 0)
            content_walk (cfd, total, seen, depth + 1);
        }
    }
  closedir (dir);
}

guint64
_fs_copy_content_bytes (int dirfd, const char *path)
{
  struct stat st;
  guint64 total = 0;
  int fd;

  if (fstatat (dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  if (!S_ISDIR (st.st_mode))
    return S_ISREG (st.st_mode) ? (guint64) st.st_size : 0;
  fd = openat (dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0)
    {
      g_autoptr (GHashTable) seen =
        g_hash_table_new_full (_fs_dev_ino_hash, _fs_dev_ino_equal, g_free, NULL);
      content_walk (fd, &total, seen, 0);
    }
  return total;
}

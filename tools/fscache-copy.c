/* fscache-copy.c: copying trees out of the cache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every walk works on directory descriptors with the *at() calls and never
 * follows a symbolic link, so a tree that changes under the walk can't lead
 * it outside.
 */

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>
#include <glib/gi18n.h>

#include "fscache-copy.h"
#include "fscache-util.h"

#define COPY_CHUNK (16 * 1024 * 1024)
#define RW_BUFFER (1024 * 1024)

/* Sets @error from @errsv, naming @base/@rel (or @base alone). */
static gboolean
throw_errno (GError **error, int errsv, const char *what, const char *base, const char *rel)
{
  g_autofree char *path =
    rel != NULL && rel[0] != '\0' ? g_build_filename (base, rel, NULL) : g_strdup (base);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s %s: %s", what, path,
               g_strerror (errsv));
  return FALSE;
}

static char *
inode_key (const struct stat *st)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT, (guint64) st->st_dev,
                          (guint64) st->st_ino);
}

static void
close_dir (DIR *dir)
{
  if (dir != NULL)
    closedir (dir);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DIR, close_dir)

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    {
      int errsv = errno;
      close (*fd);
      errno = errsv;
    }
  *fd = -1;
}

#define autofd __attribute__ ((cleanup (close_fd)))

static DIR *
open_dir_at (int dfd, const char *name)
{
  int fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  DIR *dir;

  if (fd < 0)
    return NULL;
  dir = fdopendir (fd);
  if (dir == NULL)
    close_fd (&fd);
  return dir;
}

static void
rel_push (GString *rel, const char *name, gsize *out_len)
{
  *out_len = rel->len;
  if (rel->len > 0)
    g_string_append_c (rel, '/');
  g_string_append (rel, name);
}

/* The bytes of the regular files of a tree, hard-linked ones once: the
 * total of the progress bar. */
static guint64
content_bytes (int dfd, GHashTable *inodes)
{
  g_autoptr (DIR) dir = open_dir_at (dfd, ".");
  struct dirent *de;
  guint64 bytes = 0;

  while (dir != NULL && (de = readdir (dir)) != NULL)
    {
      struct stat st;

      if (g_str_equal (de->d_name, ".") || g_str_equal (de->d_name, "..") ||
          fstatat (dirfd (dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          autofd int fd =
            openat (dirfd (dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (fd >= 0)
            bytes += content_bytes (fd, inodes);
        }
      else if (S_ISREG (st.st_mode) &&
               (st.st_nlink == 1 || g_hash_table_add (inodes, inode_key (&st))))
        bytes += (guint64) st.st_size;
    }
  return bytes;
}

/* ---- copying ------------------------------------------------------------ */

typedef struct {
  const char *source;
  GString *rel;
  int dest_root_fd;
  GHashTable *links; /* inode key of the source -> path of the copy, relative to dest */
  gboolean can_chown;
  gboolean use_copy_file_range;
  char *buffer;
  GCancellable *cancellable;
  FsToolProgress *progress; /* or NULL */
  guint64 done;             /* bytes of regular files copied */
  guint64 total;
} Copy;

static void
advance (Copy *c, guint64 bytes)
{
  c->done += bytes;
  if (c->progress != NULL)
    fs_tool_progress_update (c->progress, c->done, c->total);
}

static gboolean
copy_range (Copy *c, int in_fd, int out_fd, off_t offset, off_t length, GError **error)
{
  while (length > 0)
    {
      size_t chunk = (size_t) MIN (length, (off_t) COPY_CHUNK);
      ssize_t n = -1;

      if (g_cancellable_set_error_if_cancelled (c->cancellable, error))
        return FALSE;

      if (c->use_copy_file_range)
        {
          off_t in_off = offset, out_off = offset;

          n = copy_file_range (in_fd, &in_off, out_fd, &out_off, chunk, 0);
          if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP ||
                        errno == EINVAL || errno == EBADF))
            {
              c->use_copy_file_range = FALSE;
              continue;
            }
        }
      else
        {
          n = pread (in_fd, c->buffer, MIN (chunk, (size_t) RW_BUFFER), offset);
          if (n > 0)
            {
              ssize_t written = 0;
              while (written < n)
                {
                  ssize_t w =
                    pwrite (out_fd, c->buffer + written, (size_t) (n - written), offset + written);
                  if (w < 0 && errno == EINTR)
                    continue;
                  if (w < 0)
                    return throw_errno (error, errno, _ ("Writing the copy of"), c->source,
                                        c->rel->str);
                  written += w;
                }
            }
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return throw_errno (error, errno, _ ("Copying"), c->source, c->rel->str);
      if (n == 0)
        break; /* the file shrank while we copied it */

      offset += n;
      length -= n;
      advance (c, (guint64) n);
    }
  return TRUE;
}

static gboolean
copy_file_data (Copy *c, int in_fd, int out_fd, const struct stat *st, GError **error)
{
  guint64 base = c->done;
  off_t pos = 0;

  if (st->st_size == 0)
    return TRUE;

  /* A reflink shares the blocks: instant, and no space used. */
  if (ioctl (out_fd, FICLONE, in_fd) == 0)
    {
      advance (c, (guint64) st->st_size);
      return TRUE;
    }

  /* Only the data segments are copied, so holes stay holes. */
  while (pos < st->st_size)
    {
      off_t data = lseek (in_fd, pos, SEEK_DATA);
      off_t hole;

      if (data < 0 && errno == ENXIO)
        break; /* a hole up to the end */
      if (data < 0)
        {
          if (errno != EINVAL && errno != EOPNOTSUPP)
            return throw_errno (error, errno, _ ("Reading"), c->source, c->rel->str);
          data = pos; /* no SEEK_DATA here: all data */
          hole = st->st_size;
        }
      else
        {
          hole = lseek (in_fd, data, SEEK_HOLE);
          if (hole < 0)
            hole = st->st_size;
        }
      if (!copy_range (c, in_fd, out_fd, data, hole - data, error))
        return FALSE;
      pos = hole;
    }
  if (ftruncate (out_fd, st->st_size) < 0)
    return throw_errno (error, errno, _ ("Writing the copy of"), c->source, c->rel->str);

  /* Holes count as copied. */
  advance (c, base + (guint64) st->st_size - c->done);
  return TRUE;
}

/* Owner, mode, then times: chown() clears set-id bits, and any change
 * after the times would move the modification time. */
static gboolean
apply_metadata_fd (Copy *c, int fd, const struct stat *st, GError **error)
{
  struct timespec times[2] = { st->st_atim, st->st_mtim };

  if (c->can_chown && fchown (fd, st->st_uid, st->st_gid) < 0 && errno != EPERM)
    return throw_errno (error, errno, _ ("Setting the owner of the copy of"), c->source,
                        c->rel->str);
  if (fchmod (fd, st->st_mode & 07777) < 0)
    return throw_errno (error, errno, _ ("Setting the mode of the copy of"), c->source,
                        c->rel->str);
  if (futimens (fd, times) < 0)
    return throw_errno (error, errno, _ ("Setting the times of the copy of"), c->source,
                        c->rel->str);
  return TRUE;
}

static gboolean
apply_metadata_at (Copy *c, int dfd, const char *name, const struct stat *st, GError **error)
{
  struct timespec times[2] = { st->st_atim, st->st_mtim };

  if (c->can_chown && fchownat (dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
      errno != EPERM)
    return throw_errno (error, errno, _ ("Setting the owner of the copy of"), c->source,
                        c->rel->str);
  if (!S_ISLNK (st->st_mode) && fchmodat (dfd, name, st->st_mode & 07777, 0) < 0)
    return throw_errno (error, errno, _ ("Setting the mode of the copy of"), c->source,
                        c->rel->str);
  if (utimensat (dfd, name, times, AT_SYMLINK_NOFOLLOW) < 0)
    return throw_errno (error, errno, _ ("Setting the times of the copy of"), c->source,
                        c->rel->str);
  return TRUE;
}

static gboolean copy_dir (Copy *c, DIR *src, int dst_fd, GError **error);

static gboolean
copy_regular (Copy *c,
              int src_dfd,
              int dst_dfd,
              const char *name,
              const struct stat *st,
              GError **error)
{
  g_autofree char *key = NULL;
  autofd int in_fd = -1;
  autofd int out_fd = -1;

  if (st->st_nlink > 1)
    {
      const char *first;

      key = inode_key (st);
      first = g_hash_table_lookup (c->links, key);
      if (first != NULL)
        {
          if (linkat (c->dest_root_fd, first, dst_dfd, name, 0) < 0)
            return throw_errno (error, errno, _ ("Linking the copy of"), c->source, c->rel->str);
          advance (c, (guint64) st->st_size);
          return TRUE;
        }
    }

  in_fd = openat (src_dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (in_fd < 0)
    return throw_errno (error, errno, _ ("Reading"), c->source, c->rel->str);
  out_fd =
    openat (dst_dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
  if (out_fd < 0)
    return throw_errno (error, errno, _ ("Creating the copy of"), c->source, c->rel->str);
  if (!copy_file_data (c, in_fd, out_fd, st, error))
    return FALSE;
  if (!apply_metadata_fd (c, out_fd, st, error))
    return FALSE;
  if (close (out_fd) < 0)
    {
      out_fd = -1;
      return throw_errno (error, errno, _ ("Writing the copy of"), c->source, c->rel->str);
    }
  out_fd = -1;

  if (key != NULL)
    g_hash_table_insert (c->links, g_steal_pointer (&key), g_strdup (c->rel->str));
  return TRUE;
}

static gboolean
copy_symlink (Copy *c,
              int src_dfd,
              int dst_dfd,
              const char *name,
              const struct stat *st,
              GError **error)
{
  gsize size = (gsize) st->st_size + 1;

  while (TRUE)
    {
      g_autofree char *target = g_malloc (size);
      ssize_t n = readlinkat (src_dfd, name, target, size);

      if (n < 0)
        return throw_errno (error, errno, _ ("Reading"), c->source, c->rel->str);
      if ((gsize) n >= size)
        {
          size *= 2; /* it grew meanwhile */
          continue;
        }
      target[n] = '\0';
      if (symlinkat (target, dst_dfd, name) < 0)
        return throw_errno (error, errno, _ ("Creating the copy of"), c->source, c->rel->str);
      return apply_metadata_at (c, dst_dfd, name, st, error);
    }
}

static gboolean
copy_child (Copy *c, DIR *src, int dst_fd, const char *name, GError **error)
{
  int src_dfd = dirfd (src);
  struct stat st;

  if (g_cancellable_set_error_if_cancelled (c->cancellable, error))
    return FALSE;
  if (fstatat (src_dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return throw_errno (error, errno, _ ("Reading"), c->source, c->rel->str);

  switch (st.st_mode & S_IFMT)
    {
    case S_IFDIR:
      {
        g_autoptr (DIR) child = NULL;
        autofd int child_fd = -1;

        if (mkdirat (dst_fd, name, 0700) < 0)
          return throw_errno (error, errno, _ ("Creating the copy of"), c->source, c->rel->str);
        child = open_dir_at (src_dfd, name);
        if (child == NULL)
          return throw_errno (error, errno, _ ("Reading"), c->source, c->rel->str);
        child_fd = openat (dst_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child_fd < 0)
          return throw_errno (error, errno, _ ("Opening the copy of"), c->source, c->rel->str);
        if (!copy_dir (c, child, child_fd, error))
          return FALSE;
        /* After the contents: they change the times, and the mode may be
         * read-only. */
        return apply_metadata_fd (c, child_fd, &st, error);
      }
    case S_IFREG:
      return copy_regular (c, src_dfd, dst_fd, name, &st, error);
    case S_IFLNK:
      return copy_symlink (c, src_dfd, dst_fd, name, &st, error);
    case S_IFIFO:
    case S_IFCHR:
    case S_IFBLK:
    case S_IFSOCK:
      if (mknodat (dst_fd, name, (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0)
        return throw_errno (error, errno, _ ("Creating the copy of"), c->source, c->rel->str);
      return apply_metadata_at (c, dst_fd, name, &st, error);
    default:
      return throw_errno (error, EOPNOTSUPP, _ ("Copying"), c->source, c->rel->str);
    }
}

static gboolean
copy_dir (Copy *c, DIR *src, int dst_fd, GError **error)
{
  struct dirent *de;

  while (TRUE)
    {
      gsize len;

      errno = 0;
      de = readdir (src);
      if (de == NULL)
        {
          if (errno != 0)
            return throw_errno (error, errno, _ ("Reading"), c->source, c->rel->str);
          return TRUE;
        }
      if (g_str_equal (de->d_name, ".") || g_str_equal (de->d_name, ".."))
        continue;

      rel_push (c->rel, de->d_name, &len);
      if (!copy_child (c, src, dst_fd, de->d_name, error))
        return FALSE;
      g_string_truncate (c->rel, len);
    }
}

gboolean
fs_tool_copy_tree (const char *source,
                   const char *dest,
                   FsToolProgress *progress,
                   GCancellable *cancellable,
                   GError **error)
{
  g_autoptr (DIR) src = NULL;
  g_autoptr (GString) rel = g_string_new (NULL);
  g_autoptr (GHashTable) links = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *buffer = g_malloc (RW_BUFFER);
  autofd int dst_fd = -1;
  struct stat st;
  Copy c = { 0 };

  if (lstat (source, &st) < 0)
    return throw_errno (error, errno, _ ("Reading"), source, NULL);
  if (!S_ISDIR (st.st_mode))
    return throw_errno (error, ENOTDIR, _ ("Copying"), source, NULL);
  src = open_dir_at (AT_FDCWD, source);
  if (src == NULL)
    return throw_errno (error, errno, _ ("Reading"), source, NULL);
  dst_fd = open (dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (dst_fd < 0)
    return throw_errno (error, errno, _ ("Opening"), dest, NULL);

  c.source = source;
  c.rel = rel;
  c.dest_root_fd = dst_fd;
  c.links = links;
  c.can_chown = geteuid () == 0;
  c.use_copy_file_range = TRUE;
  c.buffer = buffer;
  c.cancellable = cancellable;
  c.progress = progress;
  if (progress != NULL)
    {
      g_autoptr (GHashTable) inodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

      c.total = content_bytes (dirfd (src), inodes);
      fs_tool_progress_update (progress, 0, c.total);
    }

  /* The top's metadata last: its contents change its times. */
  return copy_dir (&c, src, dst_fd, error) && apply_metadata_fd (&c, dst_fd, &st, error);
}

/* ---- removing ----------------------------------------------------------- */

static gboolean remove_dir_contents (int dfd, const char *root, GString *rel, GError **error);

static gboolean
remove_child (int dfd, const char *name, const char *root, GString *rel, GError **error)
{
  autofd int fd = -1;
  struct stat st;

  if (unlinkat (dfd, name, 0) == 0 || errno == ENOENT)
    return TRUE;
  if (errno != EISDIR && errno != EPERM)
    return throw_errno (error, errno, _ ("Removing"), root, rel->str);

  fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return throw_errno (error, errno, _ ("Removing"), root, rel->str);
  if (fstat (fd, &st) == 0 && (st.st_mode & 0700) != 0700)
    (void) fchmod (fd, (st.st_mode & 07777) | 0700);
  if (!remove_dir_contents (fd, root, rel, error))
    return FALSE;
  if (unlinkat (dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return throw_errno (error, errno, _ ("Removing"), root, rel->str);
  return TRUE;
}

static gboolean
remove_dir_contents (int dfd, const char *root, GString *rel, GError **error)
{
  g_autoptr (DIR) dir = open_dir_at (dfd, ".");
  struct dirent *de;

  if (dir == NULL)
    return throw_errno (error, errno, _ ("Removing"), root, rel->str);
  while (TRUE)
    {
      gsize len;

      errno = 0;
      de = readdir (dir);
      if (de == NULL)
        {
          if (errno != 0)
            return throw_errno (error, errno, _ ("Removing"), root, rel->str);
          return TRUE;
        }
      if (g_str_equal (de->d_name, ".") || g_str_equal (de->d_name, ".."))
        continue;
      rel_push (rel, de->d_name, &len);
      if (!remove_child (dirfd (dir), de->d_name, root, rel, error))
        return FALSE;
      g_string_truncate (rel, len);
    }
}

gboolean
fs_tool_remove_tree (const char *path, GError **error)
{
  g_autoptr (GString) rel = g_string_new (NULL);

  return remove_child (AT_FDCWD, path, path, rel, error);
}

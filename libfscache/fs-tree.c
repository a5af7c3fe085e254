/* fs-tree.c: walking and removing trees below a directory fd
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <stdio.h>

#include "fs-tree-private.h"
#include "fs-util-private.h"

/* Deeper than PATH_MAX allows to name anyway: a tree this deep is hostile. */
#define MAX_DEPTH 2048

typedef struct {
  GHashTable *inodes; /* (dev, ino) of files with st_nlink > 1, seen once */
  guint64 size;
  guint64 files;
  GCancellable *cancellable;
} SizeWalk;

guint
_fs_dev_ino_hash (gconstpointer p)
{
  const DevIno *k = p;
  return (guint) (k->ino ^ (k->ino >> 32) ^ k->dev);
}

gboolean
_fs_dev_ino_equal (gconstpointer a, gconstpointer b)
{
  const DevIno *x = a, *y = b;
  return x->dev == y->dev && x->ino == y->ino;
}

static gboolean
size_walk_dir (SizeWalk *walk, int dfd, const char *path, int depth, GError **error)
{
  DIR *dir;
  struct dirent *de;
  int errsv;

  if (depth > MAX_DEPTH)
    return _fs_throw_errno (error, ELOOP, "Walking %s", path);

  dir = fdopendir (dfd);
  if (dir == NULL)
    {
      errsv = errno;
      close (dfd);
      return _fs_throw_errno (error, errsv, "Reading directory %s", path);
    }

  for (;;)
    {
      struct stat st;

      errno = 0;
      de = readdir (dir);
      if (de == NULL)
        {
          if (errno != 0)
            {
              errsv = errno;
              closedir (dir);
              return _fs_throw_errno (error, errsv, "Reading directory %s", path);
            }
          break;
        }
      if (de->d_name[0] == '.' &&
          (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
        continue;

      if (fstatat (dirfd (dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          errsv = errno;
          if (errsv == ENOENT)
            continue;
          closedir (dir);
          return _fs_throw_errno (error, errsv, "Reading %s/%s", path, de->d_name);
        }

      walk->files++;
      if (S_ISDIR (st.st_mode))
        {
          g_autofree char *child = NULL;
          int cfd;

          walk->size += (guint64) st.st_blocks * 512;
          cfd = openat (dirfd (dir), de->d_name,
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
          if (cfd < 0)
            {
              errsv = errno;
              closedir (dir);
              return _fs_throw_errno (error, errsv, "Opening directory %s/%s", path, de->d_name);
            }
          if ((walk->files & 0xff) == 0 && g_cancellable_is_cancelled (walk->cancellable))
            {
              close (cfd);
              closedir (dir);
              return !_fs_cancellable_set_error (walk->cancellable, error);
            }
          child = g_build_filename (path, de->d_name, NULL);
          if (!size_walk_dir (walk, cfd, child, depth + 1, error))
            {
              closedir (dir);
              return FALSE;
            }
        }
      else if (st.st_nlink > 1 && !S_ISDIR (st.st_mode))
        {
          DevIno key = { st.st_dev, st.st_ino };
          if (walk->inodes == NULL)
            walk->inodes =
              g_hash_table_new_full (_fs_dev_ino_hash, _fs_dev_ino_equal, g_free, NULL);
          if (!g_hash_table_contains (walk->inodes, &key))
            {
              g_hash_table_add (walk->inodes, g_memdup2 (&key, sizeof key));
              walk->size += (guint64) st.st_blocks * 512;
            }
        }
      else
        walk->size += (guint64) st.st_blocks * 512;
    }

  closedir (dir);
  return TRUE;
}

gboolean
_fs_tree_size_at (int dirfd,
                  const char *name,
                  guint64 *out_size,
                  guint64 *out_files,
                  GCancellable *cancellable,
                  GError **error)
{
  SizeWalk walk = { NULL, 0, 0, cancellable };
  struct stat st;
  gboolean ok;
  int fd;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return _fs_throw_errno (error, errno, "Reading %s", name);

  walk.size = (guint64) st.st_blocks * 512;
  if (!S_ISDIR (st.st_mode))
    {
      *out_size = walk.size;
      if (out_files)
        *out_files = 1;
      return TRUE;
    }

  fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return _fs_throw_errno (error, errno, "Opening directory %s", name);

  ok = size_walk_dir (&walk, fd, name, 0, error);
  g_clear_pointer (&walk.inodes, g_hash_table_unref);
  if (!ok)
    return FALSE;
  *out_size = walk.size;
  if (out_files)
    *out_files = walk.files;
  return TRUE;
}

static int rm_rf_children (int dfd, int depth);

static int
unlink_child (int dfd, const char *name, int depth)
{
  struct stat st;

  if (unlinkat (dfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno == EISDIR || errno == EPERM)
    {
      int cfd;

      /* A directory (EISDIR on Linux, EPERM per POSIX): empty it first. */
      cfd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
      if (cfd < 0)
        return errno == ENOENT ? 0 : -1;
      if (fstat (cfd, &st) == 0 && (st.st_mode & 0700) != 0700)
        (void) fchmod (cfd, (st.st_mode & 07777) | 0700);
      if (rm_rf_children (cfd, depth + 1) < 0)
        return -1;
      for (int attempt = 0;; attempt++)
        {
          if (unlinkat (dfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
            return 0;
          /* Someone added a file while we emptied it, or readdir() missed
           * one: empty it again, a few times at most. */
          if (errno != ENOTEMPTY || attempt == 3)
            return -1;
          cfd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
          if (cfd < 0)
            return errno == ENOENT ? 0 : -1;
          if (rm_rf_children (cfd, depth + 1) < 0)
            return -1;
        }
    }
  if (errno == EACCES)
    {
      /* The parent is not writable (the caller chmod'ed it): fix and retry. */
      if (fstat (dfd, &st) == 0 && fchmod (dfd, (st.st_mode & 07777) | 0700) == 0 &&
          (unlinkat (dfd, name, 0) == 0 || errno == ENOENT))
        return 0;
      if (errno == EISDIR)
        return unlink_child (dfd, name, depth);
    }
  return -1;
}

/* Consumes @dfd. */
static int
rm_rf_children (int dfd, int depth)
{
  DIR *dir;
  struct dirent *de;
  int errsv = 0;

  if (depth > MAX_DEPTH)
    {
      close (dfd);
      errno = ELOOP;
      return -1;
    }

  dir = fdopendir (dfd);
  if (dir == NULL)
    {
      errsv = errno;
      close (dfd);
      errno = errsv;
      return -1;
    }

  for (;;)
    {
      errno = 0;
      de = readdir (dir);
      if (de == NULL)
        {
          errsv = errno;
          break;
        }
      if (de->d_name[0] == '.' &&
          (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
        continue;
      if (unlink_child (dirfd (dir), de->d_name, depth) < 0)
        {
          errsv = errno;
          break;
        }
    }

  closedir (dir);
  errno = errsv;
  return errsv == 0 ? 0 : -1;
}

int
_fs_rm_anonymous_at (int dirfd, const char *name)
{
  char path[300];

  /* The layout we make, in as few calls as it takes: data/ (empty unless
   * filled), the lock file, and object.info only when a commit wrote one
   * (the folder is not empty then), and object.manifest. */
  if (unlinkat (dirfd, _fs_join (path, sizeof path, name, "data"), AT_REMOVEDIR) == 0 ||
      errno == ENOENT)
    {
      (void) unlinkat (dirfd, _fs_join (path, sizeof path, name, "object.lock"), 0);
      if (unlinkat (dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
        return 0;
      if (errno == ENOTEMPTY || errno == EEXIST)
        {
          (void) unlinkat (dirfd, _fs_join (path, sizeof path, name, "object.info"), 0);
          (void) unlinkat (dirfd, _fs_join (path, sizeof path, name, "object.manifest"), 0);
          if (unlinkat (dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
            return 0;
        }
    }
  return _fs_rm_rf_at (dirfd, name);
}

int
_fs_rm_rf_at (int dirfd, const char *name)
{
  return unlink_child (dirfd, name, 0);
}

static void
group_writable_walk (int dfd, int depth)
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
      int cfd;

      if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
        continue;
      if (de->d_name[0] == '.' &&
          (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
        continue;
      cfd = openat (dirfd (dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (cfd < 0)
        continue;
      if (depth < MAX_DEPTH)
        {
          struct stat st;
          if (fstat (cfd, &st) == 0 && (st.st_mode & (S_IWGRP | S_ISGID)) != (S_IWGRP | S_ISGID))
            (void) fchmod (cfd, (st.st_mode & 07777) | S_IRWXG | S_ISGID);
          group_writable_walk (cfd, depth + 1);
        }
      else
        close (cfd);
    }
  closedir (dir);
}

void
_fs_tree_make_group_writable_at (int dirfd, const char *name)
{
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;

  if (fd < 0)
    return;
  if (fstat (fd, &st) == 0 && (st.st_mode & (S_IWGRP | S_ISGID)) != (S_IWGRP | S_ISGID))
    (void) fchmod (fd, (st.st_mode & 07777) | S_IRWXG | S_ISGID);
  group_writable_walk (fd, 0);
}

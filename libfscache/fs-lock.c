/* fs-lock.c: open-file-description locks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "fs-lock-private.h"
#include "fs-util-private.h"

static int
lock_once (int fd, short type, int cmd)
{
  struct flock fl = {
    .l_type = type,
    .l_whence = SEEK_SET,
    .l_start = 0,
    .l_len = 0,
  };
  int r;

  do
    r = fcntl (fd, cmd, &fl);
  while (r < 0 && errno == EINTR && cmd == F_OFD_SETLK);
  if (r < 0 && errno == EACCES)
    errno = EAGAIN;
  return r;
}

static short
lock_type (FsLockFlags flags)
{
  return (flags & FS_LOCK_EXCLUSIVE) ? F_WRLCK : F_RDLCK;
}

int
_fs_lock_fd (int fd, FsLockFlags flags, GCancellable *cancellable)
{
  short type = lock_type (flags);
  gulong pause_us = 1000;

  if (!(flags & FS_LOCK_WAIT))
    return lock_once (fd, type, F_OFD_SETLK);

  if (cancellable == NULL)
    {
      int r;
      do
        r = lock_once (fd, type, F_OFD_SETLKW);
      while (r < 0 && errno == EINTR);
      return r;
    }

  for (;;)
    {
      if (g_cancellable_is_cancelled (cancellable))
        {
          errno = ECANCELED;
          return -1;
        }
      if (lock_once (fd, type, F_OFD_SETLK) == 0)
        return 0;
      if (errno != EAGAIN)
        return -1;
      g_usleep (pause_us);
      pause_us = MIN (pause_us * 2, 50000);
    }
}

void
_fs_unlock_fd (int fd)
{
  if (fd >= 0)
    {
      int errsv = errno;
      lock_once (fd, F_UNLCK, F_OFD_SETLK);
      errno = errsv;
    }
}

int
_fs_lock_test (int fd, FsLockFlags flags)
{
  struct flock fl = {
    .l_type = lock_type (flags),
    .l_whence = SEEK_SET,
    .l_start = 0,
    .l_len = 0,
  };

  if (fcntl (fd, F_OFD_GETLK, &fl) < 0)
    return -1;
  return fl.l_type != F_UNLCK ? 1 : 0;
}

int
_fs_lock_at (int dirfd, const char *path, FsLockFlags flags, GCancellable *cancellable, FsLock *out)
{
  int oflags = O_NOCTTY;

  if (flags & (FS_LOCK_EXCLUSIVE | FS_LOCK_WRITABLE))
    oflags |= O_RDWR;
  else
    oflags |= O_RDONLY;
  if (flags & FS_LOCK_CREATE_NEW)
    oflags |= O_CREAT | O_EXCL;
  else if (flags & FS_LOCK_CREATE)
    oflags |= O_CREAT;

  for (;;)
    {
      fs_autofd fd = -1;
      struct stat st_path;

      fd = _fs_openat (dirfd, path, oflags, 0666);
      if (fd < 0)
        return -1;
      if (_fs_lock_fd (fd, flags, cancellable) < 0)
        return -1;
      if (fstat (fd, &out->st) < 0)
        return -1;
      if (fstatat (dirfd, path, &st_path, AT_SYMLINK_NOFOLLOW) < 0)
        {
          if (errno == ENOENT || errno == ESTALE)
            continue; /* unlinked under us: try again */
          return -1;
        }
      if (out->st.st_dev != st_path.st_dev || out->st.st_ino != st_path.st_ino)
        continue; /* replaced under us: try again */
      out->fd = _fs_steal_fd (&fd);
      return 0;
    }
}

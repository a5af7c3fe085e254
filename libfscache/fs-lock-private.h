/* fs-lock-private.h: open-file-description locks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <fcntl.h>
#include <gio/gio.h>
#include <sys/stat.h>

#include "fs-util-private.h"

G_BEGIN_DECLS

/* Every lock of the cache is an OFD lock on a whole file: it belongs to the
 * open file description, not to the process, so two threads (or two entries
 * of one thread) holding descriptors of the same file are independent, and
 * closing an unrelated descriptor of the file never drops a lock.
 *
 * Like the other leaves of the library, these functions speak errno: 0, or
 * -1 with errno set — EAGAIN when the lock is held elsewhere and the call
 * does not wait, ECANCELED when the cancellable fired while waiting. A wait
 * with a cancellable is a loop of non-blocking attempts with growing pauses
 * (1 ms to 50 ms) that checks it; without one it is F_OFD_SETLKW. */

typedef enum {
  FS_LOCK_SHARED = 0,          /* a read lock (the default) */
  FS_LOCK_EXCLUSIVE = 1 << 0,  /* a write lock; the file is opened for writing */
  FS_LOCK_WAIT = 1 << 1,       /* wait for the lock instead of failing with EAGAIN */
  FS_LOCK_CREATE = 1 << 2,     /* create the file if it is missing (mode 0666 & ~umask) */
  FS_LOCK_CREATE_NEW = 1 << 3, /* create the file, which must not exist (O_EXCL) */
  FS_LOCK_WRITABLE = 1 << 4,   /* open a shared lock's file for writing too */
} FsLockFlags;

/* A locked file. Clearing it closes the descriptor, which drops the lock. */
typedef struct {
  int fd;
  struct stat st; /* of the file when it was locked */
} FsLock;

#define FS_LOCK_INIT \
  {                  \
    .fd = -1         \
  }

/* Opens @path below @dirfd (never through a symlink), locks it, then
 * compares the inode of the descriptor with the inode at the path: a file
 * replaced or unlinked between the open and the lock is closed and opened
 * again. On success *@out holds the lock. */
int _fs_lock_at (int dirfd,
                 const char *path,
                 FsLockFlags flags,
                 GCancellable *cancellable,
                 FsLock *out);

/* Locks (or converts the lock of, atomically) an open descriptor. Only
 * FS_LOCK_EXCLUSIVE and FS_LOCK_WAIT of @flags count. */
int _fs_lock_fd (int fd, FsLockFlags flags, GCancellable *cancellable);
void _fs_unlock_fd (int fd);

/* Whether an open file description other than @fd's holds a lock on the
 * file that conflicts with one of @flags' kind (F_OFD_GETLK): 1 if one
 * does, 0 if none does, -1 with errno. Unlike taking the lock, it needs no
 * write access for an exclusive lock: a read-only descriptor can ask. */
int _fs_lock_test (int fd, FsLockFlags flags);

static inline void
_fs_lock_clear (FsLock *lock)
{
  _fs_clear_fd (&lock->fd);
}

static inline int
_fs_lock_steal_fd (FsLock *lock)
{
  return _fs_steal_fd (&lock->fd);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FsLock, _fs_lock_clear)

G_END_DECLS

/* fs-lock-private.h: open-file-description locks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <fcntl.h>
#include <gio/gio.h>
#include <sys/stat.h>

G_BEGIN_DECLS

/* Every lock of the cache is an OFD lock on a whole file: it belongs to the
 * open file description, not to the process, so two threads (or two entries
 * of one thread) holding descriptors of the same file are independent, and
 * closing an unrelated descriptor of the file never drops a lock.
 *
 * _fs_lock_fd() returns 0, or -1 with errno EAGAIN when the lock is held
 * elsewhere and @wait is FALSE, or ECANCELED when @cancellable fired while
 * waiting. A wait with a cancellable is a loop of non-blocking attempts with
 * growing pauses (1 ms to 50 ms) that checks the cancellable; without one it
 * is F_OFD_SETLKW. Converting a held lock (write to read) is atomic. */
int _fs_lock_fd (int fd, short type, gboolean wait, GCancellable *cancellable);
void _fs_unlock_fd (int fd);

/* Whether an open file description other than @fd's holds a lock on the
 * file that conflicts with a lock of @type (F_OFD_GETLK): 1 if one does,
 * 0 if none does, -1 with errno. Unlike taking the lock, it needs no write
 * access for F_WRLCK: a read-only descriptor can ask. */
int _fs_lock_test (int fd, short type);

/* Open @path below @dirfd, lock it, then compare the inode of the
 * descriptor with the inode at the path: a file replaced or unlinked between
 * the open and the lock is closed and opened again. Returns the locked
 * descriptor, or -1 with errno (ENOENT, EAGAIN, ECANCELED, ...). @out_st, if
 * given, receives the fstat() of the descriptor taken before the compare. */
int _fs_lock_open_at (int dirfd,
                      const char *path,
                      int oflags,
                      mode_t mode,
                      short type,
                      gboolean wait,
                      GCancellable *cancellable,
                      struct stat *out_st);

G_END_DECLS

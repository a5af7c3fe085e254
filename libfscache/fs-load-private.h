/* fs-load-private.h: the lock protocol of a committed entry
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-store-private.h"

G_BEGIN_DECLS

/* Locks the committed entry @name (its object.lock) without waiting —
 * FS_LOCK_SHARED in @flags for a reader, FS_LOCK_EXCLUSIVE for a writer
 * that removes it — then reads its object.info under the lock, filling
 * @out, *@out_size and *@out_tree_digest (NULL when the entry has no
 * manifest; @out_tree_digest may be NULL).
 *
 * Only "not there" (absent, no valid object.info) and "taken" are
 * FS_CACHE_ERROR_MISS — for a writer, a taken lock is FS_CACHE_ERROR_BUSY.
 * Anything the system can't tell (no descriptor or memory left, an I/O
 * error, a file we may not read) is a G_IO_ERROR naming the file: a miss
 * would make the caller rebuild an entry that exists. */
gboolean _fs_load_lock (FsStore *store,
                        const char *name,
                        FsLockFlags flags,
                        FsHandle *out,
                        guint64 *out_size,
                        char **out_tree_digest,
                        GError **error);

/* A load: _fs_load_lock() shared, and the entry marked as used now (the
 * atime of its object.lock). */
gboolean _fs_load (FsStore *store,
                   const char *name,
                   FsHandle *out,
                   guint64 *out_size,
                   char **out_tree_digest,
                   GError **error);

G_END_DECLS

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

/* What _fs_load_describe() finds out about a committed entry. */
typedef struct {
  guint64 size;
  char *boot_id;         /* NULL when not recorded */
  char *tree_digest;     /* "fscache-tree-digest" of object.info, NULL when none */
  gint64 created_usec;   /* mtime of object.info (real time) */
  gint64 last_used_usec; /* atime of object.lock */
  gboolean in_use;       /* another open file description holds object.lock */
  gboolean has_manifest; /* object.manifest is there */
} FsEntryDetails;

void _fs_entry_details_clear (FsEntryDetails *details);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FsEntryDetails, _fs_entry_details_clear)

/* Describes the committed entry @name without taking its lock: its
 * object.info (FS_CACHE_ERROR_MISS when absent or invalid, a G_IO_ERROR
 * when it can't be read), its last use, whether it has a manifest, and
 * whether somebody holds its lock, asked with F_OFD_GETLK (which needs
 * no write access and takes nothing). A snapshot: the entry may change
 * right after. */
gboolean _fs_load_describe (FsStore *store, const char *name, FsEntryDetails *out, GError **error);

G_END_DECLS

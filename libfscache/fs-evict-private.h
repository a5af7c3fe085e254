/* fs-evict-private.h: removal and eviction
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-store-private.h"

G_BEGIN_DECLS

typedef struct {
  char *name;
  guint64 size;
  gint64 last_used_usec;
  char *boot_id;
  char *tree_digest; /* NULL when the entry has no manifest */
} FsEntryStat;

/* The committed entries (valid object.info), FsEntryStat elements. */
GPtrArray *_fs_evict_scan (FsStore *store, GCancellable *cancellable, GError **error);

/* Removes committed entry @name: MISS when absent, BUSY when locked. */
gboolean _fs_evict_remove (FsStore *store,
                           const char *name,
                           guint64 *out_size,
                           GCancellable *cancellable,
                           GError **error);

/* Evicts least recently used entries, skipping the ones in use, until the
 * counter is at most @target_used and the file system has @need_free bytes
 * free (0: no need). Takes the evictor lock, waiting for it. */
gboolean _fs_evict_lru (FsStore *store,
                        guint64 target_used,
                        guint64 need_free,
                        gboolean dry_run,
                        guint *out_entries,
                        guint64 *out_bytes,
                        GCancellable *cancellable,
                        GError **error);

/* Evicts least recently used entries, skipping the ones in use, until the
 * entries left hold at most @target_used by the sizes in their object.info,
 * whatever the counter says. Takes the evictor lock, waiting for it. A
 * counter found to disagree is recounted at once when nobody else has the
 * cache open. */
gboolean _fs_evict_prune (FsStore *store,
                          guint64 target_used,
                          gboolean dry_run,
                          guint *out_entries,
                          guint64 *out_bytes,
                          GCancellable *cancellable,
                          GError **error);

/* Makes room for a commit of @size bytes under @max: see fs-evict.c.
 * *@out_fits tells whether the accounting was done. */
gboolean _fs_evict_account_for_commit (FsStore *store,
                                       guint64 size,
                                       guint64 max,
                                       int record_fd,
                                       const char *record_name,
                                       gboolean *out_fits,
                                       GCancellable *cancellable,
                                       GError **error);

/* The free space of the cache's file system and the floor to keep. */
gboolean _fs_evict_free_space (FsStore *store, guint64 *out_free, guint64 *out_floor);

G_END_DECLS

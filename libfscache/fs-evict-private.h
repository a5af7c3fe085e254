/* fs-evict-private.h: eviction, removal and garbage collection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-cache-private.h"

G_BEGIN_DECLS

typedef struct {
  char *name;
  guint64 size;
  gint64 last_used_usec;
  char *boot_id;
} FsEntryStat;

/* The committed entries (valid object.info), FsEntryStat elements. */
GPtrArray *_fs_evict_scan (FsCache *cache, GCancellable *cancellable, GError **error);

/* Removes committed entry @name: MISS when absent, BUSY when locked. */
gboolean _fs_evict_remove (FsCache *cache,
                           const char *name,
                           guint64 *out_size,
                           GCancellable *cancellable,
                           GError **error);

/* Evicts least recently used entries, skipping the ones in use, until the
 * counter is at most @target_used and the file system has @need_free bytes
 * free (0: no need). Takes the evictor lock, waiting for it. */
gboolean _fs_evict_lru (FsCache *cache,
                        guint64 target_used,
                        guint64 need_free,
                        gboolean dry_run,
                        guint *out_entries,
                        guint64 *out_bytes,
                        GCancellable *cancellable,
                        GError **error);

/* Evicts least recently used entries, skipping the ones in use, until the
 * entries left hold at most @target_used by the sizes in their object.info,
 * whatever the counter says; *@out_drift tells whether the counter
 * disagreed with them. Takes the evictor lock, waiting for it. */
gboolean _fs_evict_prune (FsCache *cache,
                          guint64 target_used,
                          gboolean dry_run,
                          guint *out_entries,
                          guint64 *out_bytes,
                          gboolean *out_drift,
                          GCancellable *cancellable,
                          GError **error);

/* Makes room for a commit of @size bytes under @max: see fs-evict.c.
 * *@out_fits tells whether the accounting was done. */
gboolean _fs_evict_account_for_commit (FsCache *cache,
                                       guint64 size,
                                       guint64 max,
                                       int record_fd,
                                       const char *record_name,
                                       gboolean *out_fits,
                                       GCancellable *cancellable,
                                       GError **error);

gboolean _fs_evict_collect_garbage (FsCache *cache,
                                    gboolean dry_run,
                                    gboolean idle,
                                    guint *out_removed,
                                    guint64 *out_reclaimed,
                                    gint64 *out_correction,
                                    GCancellable *cancellable,
                                    GError **error);

/* The free space of the cache's file system and the floor to keep. */
gboolean _fs_evict_free_space (FsCache *cache, guint64 *out_free, guint64 *out_floor);

G_END_DECLS

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
  char *tree_digest;           /* NULL when the entry has no manifest */
  FsCachePruneOutcome outcome; /* in the report of a prune */
} FsEntryStat;

void _fs_entry_stat_free (gpointer entry_stat);

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

/* What a prune removes: every entry not pinned nor in use while one of the
 * criteria asks for more — the entries left hold more than @target_used
 * (FS_CACHE_SIZE_UNLIMITED: no such criterion), there are more than
 * @max_entries of them (-1: none), or the least recently used was last
 * used before @used_before_usec (real time; 0: none). */
typedef struct {
  guint64 target_used;
  gint64 max_entries;
  gint64 used_before_usec;
} FsPruneCriteria;

/* _fs_evict_prune() with all the criteria; @report, when not NULL, gets an
 * FsEntryStat (free with _fs_entry_stat_free()) for every entry removed
 * (or, with @dry_run, that would be) and every one skipped because it is
 * pinned or in use, their outcome set, least recently used first. */
gboolean _fs_evict_prune_full (FsStore *store,
                               const FsPruneCriteria *criteria,
                               gboolean dry_run,
                               GPtrArray *report,
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

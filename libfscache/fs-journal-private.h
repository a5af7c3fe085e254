/* fs-journal-private.h: crash-consistent accounting
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-store-private.h"

G_BEGIN_DECLS

/* Adds @delta to cache.size under its write lock, unless @delta is positive
 * and the result would exceed @limit (then *@out_applied is FALSE and
 * nothing changes). The accounted flag of each of the @n_records journal
 * records is set to @after in the same transaction, through the intent file
 * (and, for several records, a batch file listing them), so a kill at any
 * point leaves a state the next user of the counter resolves exactly. */
typedef struct {
  int fd;
  const char *name;
} FsTxnRecord;

gboolean _fs_journal_size_txn (FsStore *store,
                               gint64 delta,
                               guint64 limit,
                               const FsTxnRecord *records,
                               guint n_records,
                               gboolean after,
                               gboolean *out_applied,
                               GCancellable *cancellable,
                               GError **error);

/* The value of cache.size (repairing it first if it is corrupt). */
gboolean _fs_journal_get_size (FsStore *store,
                               guint64 *out_size,
                               GCancellable *cancellable,
                               GError **error);

/* Finishes or undoes the operations of dead owners found in journal/, and
 * when @idle (the caller holds cache.lock for writing) also sweeps stale
 * staging entries and runs a full recount if one was asked for. */
/* What a recovery or sweep removed. */
typedef struct {
  guint removed;
  guint64 bytes;
} FsSweepStats;

gboolean _fs_journal_recover (FsStore *store,
                              gboolean idle,
                              FsSweepStats *stats,
                              GCancellable *cancellable,
                              GError **error);

/* Sets cache.size to the sum of the committed entries, under its lock; exact
 * only when the caller has the cache to itself (cache.lock for writing). */
gboolean _fs_journal_recount (FsStore *store,
                              guint64 *out_before,
                              guint64 *out_after,
                              GCancellable *cancellable,
                              GError **error);

/* The value of cache.size (0 when missing or corrupt) and the sum of the
 * committed entries, changing nothing: the dry run of _fs_journal_recount().
 * Their difference is the counter's drift when the caller has the cache to
 * itself. */
gboolean _fs_journal_measure (FsStore *store,
                              guint64 *out_before,
                              guint64 *out_after,
                              GCancellable *cancellable,
                              GError **error);

/* Sum of the sizes in object.info of the committed entries. */
gboolean _fs_journal_count_committed (FsStore *store,
                                      guint64 *out_size,
                                      guint *out_entries,
                                      GCancellable *cancellable,
                                      GError **error);

G_END_DECLS

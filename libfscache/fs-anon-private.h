/* fs-anon-private.h: anonymous entries — creation, discard and sweeping
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-cache-private.h"

G_BEGIN_DECLS

/* Creates and write-locks an anonymous entry AREA/uuid-X/ with its
 * object.lock and an empty data/. With @with_record, a journal record
 * journal/uuid-X (a hard link of the lock file) is made first. Returns the
 * lock descriptor and fills @out_name. */
int _fs_anon_create (FsCache *cache,
                     int area_fd,
                     const char *area,
                     gboolean with_record,
                     char out_name[38],
                     gboolean *out_has_record,
                     GError **error);

/* Removes an anonymous entry we hold the write lock of, then its record. */
void _fs_anon_discard (FsCache *cache,
                       int area_fd,
                       const char *name,
                       int lock_fd,
                       gboolean has_record);

/* Judges the top-level uuid-* @name of stage/ or objects/ (@area_fd) and
 * removes it when stale: the one sweeper of anonymous entries, for every
 * collector. @journal_fd: the journal, for objects/ (whose entries with a
 * record belong to record recovery), or -1. Returns TRUE when it was (or,
 * with @dry_run, would be) removed, adding the space it took to
 * *@out_bytes. */
gboolean _fs_anon_sweep (int area_fd,
                         int journal_fd,
                         const char *name,
                         gboolean dry_run,
                         guint64 *out_bytes);

/* Removes a top-level object of @dirfd whose lock we hold: renamed to a
 * fresh name first, then deleted. 0 when removed; -1 with errno otherwise
 * (ENOENT: it was gone). */
int _fs_anon_remove_stale_at (int dirfd, const char *name);

G_END_DECLS

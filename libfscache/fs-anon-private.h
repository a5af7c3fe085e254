/* fs-anon-private.h: anonymous entries — creation, discard and sweeping
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-store-private.h"

G_BEGIN_DECLS

/* Creates and write-locks an anonymous entry AREA/uuid-X/ with its
 * object.lock and an empty data/, filling @out. With @with_record, a
 * journal record journal/uuid-X (a hard link of the lock file) is made
 * first. */
gboolean _fs_anon_create (FsStore *store,
                          FsArea area,
                          gboolean with_record,
                          FsHandle *out,
                          GError **error);

/* Removes an anonymous entry we hold the write lock of, then its record,
 * and clears @handle's lock. */
void _fs_anon_discard (FsStore *store, FsHandle *handle);

/* Judges the top-level uuid-* @name of @area and removes it when stale:
 * the one sweeper of anonymous entries, for every collector (entries of
 * objects/ with a journal record belong to record recovery). Returns TRUE
 * when it was (or, with @dry_run, would be) removed, adding the space it
 * took to *@out_bytes. */
gboolean _fs_anon_sweep (FsStore *store,
                         FsArea area,
                         const char *name,
                         gboolean dry_run,
                         guint64 *out_bytes);

/* Judges the named entry @name of objects/: one without a valid
 * object.info is never served (an interrupted removal — osbuild's starts by
 * unlinking it — or a corrupt entry) and is removed when nobody holds it.
 * Its accounting is unknown: the idle recount fixes it. Returns TRUE when
 * it was (or, with @dry_run, would be) removed. */
gboolean _fs_anon_sweep_invalid (FsStore *store,
                                 const char *name,
                                 gboolean dry_run,
                                 guint64 *out_bytes);

/* Removes a top-level object of @dirfd whose lock we hold: renamed to a
 * fresh name first, then deleted. 0 when removed; -1 with errno otherwise
 * (ENOENT: it was gone). */
int _fs_anon_remove_stale_at (int dirfd, const char *name);

G_END_DECLS

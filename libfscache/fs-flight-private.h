/* fs-flight-private.h: single flight — one builder per missing name
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-store-private.h"

G_BEGIN_DECLS

/* The folder of the flight locks, in journal/ (osbuild ignores journal/,
 * and journal recovery looks only at its uuid-* and bat-* files). */
#define FS_DIR_FLIGHT "flight"

/* The flight of a name a builder holds: the write lock of its flight file
 * journal/flight/<SHA-256 of the name, in hex>. */
typedef struct {
  FsLock lock; /* -1 when not flying */
  char file[65];
} FsFlight;

#define FS_FLIGHT_INIT   \
  {                      \
    .lock = FS_LOCK_INIT \
  }

/* Finds the committed entry @name, or becomes its builder, waiting while
 * another process builds it (see fs-flight.c):
 *
 *   - *@out_loaded TRUE: @out is the loaded entry (read-locked, marked as
 *     used), *@out_size its size;
 *   - *@out_loaded FALSE: @out is a new anonymous entry to fill and commit
 *     as @name (write-locked, with its journal record), and @out_flight
 *     holds the flight, to land with _fs_flight_land() once the entry is
 *     committed or given up.
 *
 * @deadline: monotonic time to give up waiting at (G_IO_ERROR_TIMED_OUT),
 * -1 to wait until @cancellable is cancelled. *@out_waited tells whether
 * it had to wait for another builder. The store must be compatible. */
gboolean _fs_flight_load_or_lead (FsStore *store,
                                  const char *name,
                                  gint64 deadline,
                                  FsHandle *out,
                                  guint64 *out_size,
                                  char **out_tree_digest,
                                  gboolean *out_loaded,
                                  FsFlight *out_flight,
                                  gboolean *out_waited,
                                  GCancellable *cancellable,
                                  GError **error);

/* Ends the flight: removes its file, then gives the lock up (the next
 * waiter then finds the entry, or leads). Idempotent. */
void _fs_flight_land (FsStore *store, FsFlight *flight);

/* Removes the flight files nobody holds (left by builders that died);
 * *@out_removed counts them (with @dry_run: would remove). */
gboolean _fs_flight_sweep (FsStore *store, gboolean dry_run, guint *out_removed, GError **error);

G_END_DECLS

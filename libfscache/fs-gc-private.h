/* fs-gc-private.h: garbage collection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-store-private.h"

G_BEGIN_DECLS

typedef struct {
  guint removed;            /* leftovers removed (or, dry, that would be) */
  guint64 reclaimed;        /* the space they took */
  gint64 correction;        /* of the size counter: positive when it counted too little */
  gboolean counter_checked; /* FALSE when others had the cache open */
} FsGcResult;

/* Collects garbage (see fs-gc.c). @wait_idle_msec: how long to wait for
 * nobody else to have the cache open before collecting, so the counter can
 * be checked (0: not at all, -1: until cancelled). */
gboolean _fs_gc_run (FsStore *store,
                     gboolean dry_run,
                     int wait_idle_msec,
                     FsGcResult *out_result,
                     GCancellable *cancellable,
                     GError **error);

G_END_DECLS

/* fs-pin-private.h: entries pinned against eviction
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-store-private.h"

G_BEGIN_DECLS

/* The folder of the pins, at the top of the cache (osbuild ignores it). */
#define FS_DIR_PINS "pins"

/* Pins (@pinned) the committed entry @name — FS_CACHE_ERROR_MISS when
 * there is none — or unpins it (not an error when it was not pinned, nor
 * when the entry is gone). */
gboolean _fs_pin_set (FsStore *store, const char *name, gboolean pinned, GError **error);

/* Whether @name is pinned (one fstatat). */
gboolean _fs_pin_is_pinned (FsStore *store, const char *name);

/* The pinned names, read once (one listing instead of a look-up per
 * entry): a set of strings, empty when nothing is pinned. NULL with
 * @error when pins/ exists but can't be read: eviction must then not
 * choose at all, or it could take a pinned entry. */
GHashTable *_fs_pin_read_all (FsStore *store, GError **error);

/* Drops the pin of @name, if any: after the entry was removed by name. */
void _fs_pin_forget (FsStore *store, const char *name);

/* Removes the pins whose entry is gone (osbuild evicted it, or it was
 * removed while pinned by a process that died before dropping the pin);
 * *@out_removed counts them (with @dry_run: would remove). */
gboolean _fs_pin_sweep (FsStore *store, gboolean dry_run, guint *out_removed, GError **error);

G_END_DECLS

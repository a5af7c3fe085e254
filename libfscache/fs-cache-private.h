/* fs-cache-private.h: what the public faces share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FsCache, FsCacheEntry and their async wrappers (fs-cache-async.c) are the
 * top floor of the library (docs/architecture.md): thin faces over FsStore
 * and the protocols. FsCache makes entries through the constructor below;
 * an entry refers to the store, never to the FsCache that made it.
 */

#pragma once

#include "fscache.h"
#include "fs-flight-private.h"
#include "fs-import-private.h"
#include "fs-store-private.h"

G_BEGIN_DECLS

/* fs-cache.c */
FsStore *_fs_cache_get_store (FsCache *self);
/* The store of an open cache, or FS_CACHE_ERROR_CLOSED. */
FsStore *_fs_cache_open_store (FsCache *self, GError **error);

/* fs-cache-entry.c: an entry holding @handle (its lock is taken over; the
 * handle is left without one). @name: the entry's name (loaded) or the
 * name it will be committed as (storing); NULL for a staged entry. */
FsCacheEntry *_fs_cache_entry_new (FsStore *store,
                                   FsCacheEntryKind kind,
                                   FsHandle *handle,
                                   const char *name,
                                   guint64 size,
                                   const char *tree_digest);
void _fs_cache_entry_set_incompatible (FsCacheEntry *self, const char *target_name);
/* A storing entry of fs_cache_load_or_store() holds the flight of its name
 * (taken over) until it is committed or released. */
void _fs_cache_entry_set_flight (FsCacheEntry *self, FsFlight *flight);
/* Fills a storing entry from @source (fs-import.c); a tree moved in goes
 * back there if the entry is not stored. */
gboolean _fs_cache_entry_import (FsCacheEntry *self,
                                 const char *source,
                                 FsCacheStoreFlags flags,
                                 GFileProgressCallback progress,
                                 gpointer progress_data,
                                 FsImportResult *out_result,
                                 GCancellable *cancellable,
                                 GError **error);

G_END_DECLS

/* fs-cache-item.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(FS_CACHE_INSIDE) && !defined(FS_CACHE_COMPILATION)
#error "Only <fscache.h> can be included directly."
#endif

#include <glib-object.h>

#include "fs-cache-version.h"

G_BEGIN_DECLS

#define FS_TYPE_CACHE_ITEM (fs_cache_item_get_type ())

/**
 * FsCachePruneOutcome:
 * @FS_CACHE_PRUNE_OUTCOME_NONE: the item does not come from a prune
 * @FS_CACHE_PRUNE_OUTCOME_REMOVED: the prune removed the entry (a dry
 *   run: would remove it)
 * @FS_CACHE_PRUNE_OUTCOME_SKIPPED_PINNED: the prune would have removed the
 *   entry, but it is pinned (see fs_cache_pin())
 * @FS_CACHE_PRUNE_OUTCOME_SKIPPED_IN_USE: the prune would have removed the
 *   entry, but a process had it loaded (or was removing it)
 *
 * What fs_cache_prune_full() did with an entry: see
 * [property@FsCache.CacheItem:prune-outcome].
 *
 * Since: 1.1
 */
typedef enum {
  FS_CACHE_PRUNE_OUTCOME_NONE,
  FS_CACHE_PRUNE_OUTCOME_REMOVED,
  FS_CACHE_PRUNE_OUTCOME_SKIPPED_PINNED,
  FS_CACHE_PRUNE_OUTCOME_SKIPPED_IN_USE,
} FsCachePruneOutcome;

FS_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (FsCacheItem, fs_cache_item, FS, CACHE_ITEM, GObject)

FS_AVAILABLE_IN_1_0
const char *fs_cache_item_get_name (FsCacheItem *self);
FS_AVAILABLE_IN_1_0
guint64 fs_cache_item_get_size (FsCacheItem *self);
FS_AVAILABLE_IN_1_0
GDateTime *fs_cache_item_get_last_used (FsCacheItem *self);
FS_AVAILABLE_IN_1_0
const char *fs_cache_item_get_creation_boot_id (FsCacheItem *self);
FS_AVAILABLE_IN_1_1
gboolean fs_cache_item_get_pinned (FsCacheItem *self);
FS_AVAILABLE_IN_1_1
gboolean fs_cache_item_get_in_use (FsCacheItem *self);
FS_AVAILABLE_IN_1_1
GDateTime *fs_cache_item_get_created (FsCacheItem *self);
FS_AVAILABLE_IN_1_1
gboolean fs_cache_item_get_has_manifest (FsCacheItem *self);
FS_AVAILABLE_IN_1_1
const char *fs_cache_item_get_tree_digest (FsCacheItem *self);
FS_AVAILABLE_IN_1_1
FsCachePruneOutcome fs_cache_item_get_prune_outcome (FsCacheItem *self);

G_END_DECLS

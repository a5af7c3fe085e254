/* fs-cache-item-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fscache.h"

G_BEGIN_DECLS

FsCacheItem *_fs_cache_item_new (const char *name,
                                 guint64 size,
                                 gint64 last_used_usec,
                                 const char *boot_id);
void _fs_cache_item_set_pinned (FsCacheItem *self, gboolean pinned);
/* What only fs_cache_describe() finds out. @created_usec: 0 when unknown;
 * @tree_digest: NULL when none. */
void _fs_cache_item_set_details (FsCacheItem *self,
                                 gboolean in_use,
                                 gint64 created_usec,
                                 gboolean has_manifest,
                                 const char *tree_digest);
/* The tree digest object.info names (NULL: no manifest). */
void _fs_cache_item_set_tree_digest (FsCacheItem *self, const char *tree_digest);
void _fs_cache_item_set_prune_outcome (FsCacheItem *self, FsCachePruneOutcome outcome);

G_END_DECLS

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

void _fs_cache_item_set_tree_digest (FsCacheItem *self, const char *tree_digest);

G_END_DECLS

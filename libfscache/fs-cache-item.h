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
const char *fs_cache_item_get_tree_digest (FsCacheItem *self);

G_END_DECLS

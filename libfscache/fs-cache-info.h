/* fs-cache-info.h
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

/**
 * FS_CACHE_SIZE_UNLIMITED:
 *
 * The maximum size of a cache without a size limit (`"unlimited"` in
 * `cache.info`).
 *
 * Since: 1.0
 */
#define FS_CACHE_SIZE_UNLIMITED (G_GUINT64_CONSTANT (0xffffffffffffffff))

/**
 * FS_CACHE_FORMAT_VERSION:
 *
 * The version of the on-disk format this library reads and writes.
 *
 * Since: 1.0
 */
#define FS_CACHE_FORMAT_VERSION (1)

/**
 * FS_CACHE_DEFAULT_LOW_WATERMARK:
 *
 * The default low watermark, in percent of the maximum size: an eviction
 * frees space down to it, so the next stores fit without evicting again.
 *
 * Since: 1.0
 */
#define FS_CACHE_DEFAULT_LOW_WATERMARK (80)

#define FS_TYPE_CACHE_INFO (fs_cache_info_get_type ())

/**
 * FsCacheInfo:
 *
 * The configuration of a cache, as kept in its `cache.info` file.
 *
 * Every field may be unset: fs_cache_dup_info() returns the fields found on
 * disk, and fs_cache_set_info() writes only the fields that are set, keeping
 * the others (and keys this library does not know) as they are.
 *
 * Since: 1.0
 */
typedef struct _FsCacheInfo FsCacheInfo;

FS_AVAILABLE_IN_1_0
GType fs_cache_info_get_type (void) G_GNUC_CONST;

FS_AVAILABLE_IN_1_0
FsCacheInfo *fs_cache_info_new (void);
FS_AVAILABLE_IN_1_0
FsCacheInfo *fs_cache_info_copy (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
FsCacheInfo *fs_cache_info_ref (FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
void fs_cache_info_unref (FsCacheInfo *self);

FS_AVAILABLE_IN_1_0
gboolean fs_cache_info_has_maximum_size (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
guint64 fs_cache_info_get_maximum_size (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
void fs_cache_info_set_maximum_size (FsCacheInfo *self, guint64 maximum_size);
FS_AVAILABLE_IN_1_0
void fs_cache_info_unset_maximum_size (FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_info_is_unlimited (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
void fs_cache_info_set_unlimited (FsCacheInfo *self);

FS_AVAILABLE_IN_1_0
gboolean fs_cache_info_has_version (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
gint64 fs_cache_info_get_version (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
void fs_cache_info_set_version (FsCacheInfo *self, gint64 version);

FS_AVAILABLE_IN_1_0
const char *fs_cache_info_get_creation_boot_id (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
void fs_cache_info_set_creation_boot_id (FsCacheInfo *self, const char *boot_id);

FS_AVAILABLE_IN_1_0
gboolean fs_cache_info_has_low_watermark (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
guint fs_cache_info_get_low_watermark (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
void fs_cache_info_set_low_watermark (FsCacheInfo *self, guint percent);

FS_AVAILABLE_IN_1_0
gboolean fs_cache_info_has_min_free_space (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
guint64 fs_cache_info_get_min_free_space (const FsCacheInfo *self, gboolean *out_is_percent);
FS_AVAILABLE_IN_1_0
void fs_cache_info_set_min_free_space (FsCacheInfo *self, guint64 value, gboolean is_percent);

FS_AVAILABLE_IN_1_0
gboolean fs_cache_info_has_volatile (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_info_get_volatile (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
void fs_cache_info_set_volatile (FsCacheInfo *self, gboolean is_volatile);

FS_AVAILABLE_IN_1_0
gboolean fs_cache_info_has_shared (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_info_get_shared (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_0
void fs_cache_info_set_shared (FsCacheInfo *self, gboolean shared);

FS_AVAILABLE_IN_1_0
char *fs_cache_info_to_string (const FsCacheInfo *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FsCacheInfo, fs_cache_info_unref)

G_END_DECLS

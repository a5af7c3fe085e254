/* fs-cache-stats.h
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

#define FS_TYPE_CACHE_STATS (fs_cache_stats_get_type ())

FS_AVAILABLE_IN_1_1
G_DECLARE_FINAL_TYPE (FsCacheStats, fs_cache_stats, FS, CACHE_STATS, GObject)

FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_hits (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_misses (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
double fs_cache_stats_get_hit_ratio (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_stored (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_exists (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_too_large (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_no_space (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_incompatible (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_evicted (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_evicted_bytes (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_removed (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_remote_hits (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_remote_misses (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_remote_errors (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_remote_bytes_up (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_stats_get_remote_bytes_down (FsCacheStats *self);
FS_AVAILABLE_IN_1_1
GDateTime *fs_cache_stats_get_since (FsCacheStats *self);

G_END_DECLS

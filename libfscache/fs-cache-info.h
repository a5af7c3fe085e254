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

/**
 * FS_CACHE_REMOTE_DEFAULT_TIMEOUT:
 *
 * The default timeout of the remote, in seconds: see
 * fs_cache_info_get_remote_timeout().
 *
 * Since: 1.1
 */
#define FS_CACHE_REMOTE_DEFAULT_TIMEOUT (30)

/**
 * FS_CACHE_REMOTE_DEFAULT_CONNECTIONS:
 *
 * The default number of connections to the remote: see
 * fs_cache_info_get_remote_connections().
 *
 * Since: 1.1
 */
#define FS_CACHE_REMOTE_DEFAULT_CONNECTIONS (8)

/**
 * FS_CACHE_REMOTE_MAX_CONNECTIONS:
 *
 * The most connections to the remote a cache may be configured with.
 *
 * Since: 1.1
 */
#define FS_CACHE_REMOTE_MAX_CONNECTIONS (64)

/**
 * FsCacheRemoteMode:
 * @FS_CACHE_REMOTE_MODE_READ_WRITE: entries are pulled from the remote and
 *   pushed to it (the default)
 * @FS_CACHE_REMOTE_MODE_READ_ONLY: entries are pulled from the remote, never
 *   pushed: nothing is ever sent to it
 *
 * What a cache may do with its remote: see
 * fs_cache_info_get_remote_mode().
 *
 * Since: 1.1
 */
typedef enum {
  FS_CACHE_REMOTE_MODE_READ_WRITE, /*< nick=read-write >*/
  FS_CACHE_REMOTE_MODE_READ_ONLY,  /*< nick=read-only >*/
} FsCacheRemoteMode;

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

FS_AVAILABLE_IN_1_1
gboolean fs_cache_info_has_remote_url (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_1
const char *fs_cache_info_get_remote_url (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_1
void fs_cache_info_set_remote_url (FsCacheInfo *self, const char *url);
FS_AVAILABLE_IN_1_1
void fs_cache_info_unset_remote_url (FsCacheInfo *self);

FS_AVAILABLE_IN_1_1
gboolean fs_cache_info_has_remote_mode (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_1
FsCacheRemoteMode fs_cache_info_get_remote_mode (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_1
void fs_cache_info_set_remote_mode (FsCacheInfo *self, FsCacheRemoteMode mode);
FS_AVAILABLE_IN_1_1
void fs_cache_info_unset_remote_mode (FsCacheInfo *self);

FS_AVAILABLE_IN_1_1
gboolean fs_cache_info_has_remote_namespace (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_1
const char *fs_cache_info_get_remote_namespace (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_1
void fs_cache_info_set_remote_namespace (FsCacheInfo *self, const char *namespace_);
FS_AVAILABLE_IN_1_1
void fs_cache_info_unset_remote_namespace (FsCacheInfo *self);

FS_AVAILABLE_IN_1_1
gboolean fs_cache_info_has_remote_timeout (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_1
guint fs_cache_info_get_remote_timeout (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_1
void fs_cache_info_set_remote_timeout (FsCacheInfo *self, guint seconds);
FS_AVAILABLE_IN_1_1
void fs_cache_info_unset_remote_timeout (FsCacheInfo *self);

FS_AVAILABLE_IN_1_1
gboolean fs_cache_info_has_remote_connections (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_1
guint fs_cache_info_get_remote_connections (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_1
void fs_cache_info_set_remote_connections (FsCacheInfo *self, guint connections);
FS_AVAILABLE_IN_1_1
void fs_cache_info_unset_remote_connections (FsCacheInfo *self);

FS_AVAILABLE_IN_1_1
gboolean fs_cache_info_has_remote_credentials_file (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_1
const char *fs_cache_info_get_remote_credentials_file (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_1
void fs_cache_info_set_remote_credentials_file (FsCacheInfo *self, const char *path);
FS_AVAILABLE_IN_1_1
void fs_cache_info_unset_remote_credentials_file (FsCacheInfo *self);

FS_AVAILABLE_IN_1_1
gboolean fs_cache_info_has_remote_zstd (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_1
gboolean fs_cache_info_get_remote_zstd (const FsCacheInfo *self);
FS_AVAILABLE_IN_1_1
void fs_cache_info_set_remote_zstd (FsCacheInfo *self, gboolean zstd);
FS_AVAILABLE_IN_1_1
void fs_cache_info_unset_remote_zstd (FsCacheInfo *self);

FS_AVAILABLE_IN_1_0
char *fs_cache_info_to_string (const FsCacheInfo *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FsCacheInfo, fs_cache_info_unref)

G_END_DECLS

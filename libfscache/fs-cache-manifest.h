/* fs-cache-manifest.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(FS_CACHE_INSIDE) && !defined(FS_CACHE_COMPILATION)
#error "Only <fscache.h> can be included directly."
#endif

#include <gio/gio.h>

#include "fs-cache-version.h"

G_BEGIN_DECLS

/**
 * FsCacheNodeType:
 * @FS_CACHE_NODE_TYPE_REGULAR: a regular file
 * @FS_CACHE_NODE_TYPE_DIRECTORY: a directory
 * @FS_CACHE_NODE_TYPE_SYMLINK: a symbolic link
 * @FS_CACHE_NODE_TYPE_FIFO: a named pipe
 * @FS_CACHE_NODE_TYPE_SOCKET: a Unix domain socket
 * @FS_CACHE_NODE_TYPE_CHAR_DEVICE: a character device node
 * @FS_CACHE_NODE_TYPE_BLOCK_DEVICE: a block device node
 *
 * The type of a node of an [class@FsCache.CacheManifest].
 *
 * Since: 1.1
 */
typedef enum {
  FS_CACHE_NODE_TYPE_REGULAR,
  FS_CACHE_NODE_TYPE_DIRECTORY,
  FS_CACHE_NODE_TYPE_SYMLINK,
  FS_CACHE_NODE_TYPE_FIFO,
  FS_CACHE_NODE_TYPE_SOCKET,
  FS_CACHE_NODE_TYPE_CHAR_DEVICE,
  FS_CACHE_NODE_TYPE_BLOCK_DEVICE,
} FsCacheNodeType;

/**
 * FS_CACHE_MANIFEST_FORMAT_VERSION:
 *
 * The version of the manifest format this library writes (and the highest
 * it reads): see `docs/format.md`, section "object.manifest".
 *
 * Since: 1.1
 */
#define FS_CACHE_MANIFEST_FORMAT_VERSION 1

#define FS_TYPE_CACHE_MANIFEST (fs_cache_manifest_get_type ())

FS_AVAILABLE_IN_1_1
G_DECLARE_FINAL_TYPE (FsCacheManifest, fs_cache_manifest, FS, CACHE_MANIFEST, GObject)

typedef struct _FsCacheManifestNode FsCacheManifestNode;

FS_AVAILABLE_IN_1_1
FsCacheManifest *fs_cache_manifest_new_from_bytes (GBytes *bytes, GError **error);
FS_AVAILABLE_IN_1_1
GBytes *fs_cache_manifest_get_bytes (FsCacheManifest *self);
FS_AVAILABLE_IN_1_1
const char *fs_cache_manifest_get_digest (FsCacheManifest *self);
FS_AVAILABLE_IN_1_1
guint fs_cache_manifest_get_n_nodes (FsCacheManifest *self);
FS_AVAILABLE_IN_1_1
FsCacheManifestNode *fs_cache_manifest_get_node (FsCacheManifest *self, guint position);
FS_AVAILABLE_IN_1_1
FsCacheManifestNode *fs_cache_manifest_lookup (FsCacheManifest *self, const char *path);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_manifest_get_total_size (FsCacheManifest *self);
FS_AVAILABLE_IN_1_1
char *fs_cache_manifest_to_json (FsCacheManifest *self, gboolean pretty);

G_END_DECLS

/* fs-cache-manifest-node.h
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

#define FS_TYPE_CACHE_MANIFEST_NODE (fs_cache_manifest_node_get_type ())

FS_AVAILABLE_IN_1_1
G_DECLARE_FINAL_TYPE (FsCacheManifestNode, fs_cache_manifest_node, FS, CACHE_MANIFEST_NODE, GObject)

FS_AVAILABLE_IN_1_1
guint fs_cache_manifest_node_get_position (FsCacheManifestNode *self);
FS_AVAILABLE_IN_1_1
const char *fs_cache_manifest_node_get_path (FsCacheManifestNode *self);
FS_AVAILABLE_IN_1_1
FsCacheNodeType fs_cache_manifest_node_get_node_type (FsCacheManifestNode *self);
FS_AVAILABLE_IN_1_1
guint fs_cache_manifest_node_get_mode (FsCacheManifestNode *self);
FS_AVAILABLE_IN_1_1
guint fs_cache_manifest_node_get_uid (FsCacheManifestNode *self);
FS_AVAILABLE_IN_1_1
guint fs_cache_manifest_node_get_gid (FsCacheManifestNode *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_manifest_node_get_size (FsCacheManifestNode *self);
FS_AVAILABLE_IN_1_1
const char *fs_cache_manifest_node_get_symlink_target (FsCacheManifestNode *self);
FS_AVAILABLE_IN_1_1
const char *fs_cache_manifest_node_get_sha256 (FsCacheManifestNode *self);
FS_AVAILABLE_IN_1_1
guint fs_cache_manifest_node_get_link_group (FsCacheManifestNode *self);
FS_AVAILABLE_IN_1_1
guint fs_cache_manifest_node_get_device_major (FsCacheManifestNode *self);
FS_AVAILABLE_IN_1_1
guint fs_cache_manifest_node_get_device_minor (FsCacheManifestNode *self);
FS_AVAILABLE_IN_1_1
GStrv fs_cache_manifest_node_dup_xattr_names (FsCacheManifestNode *self);
FS_AVAILABLE_IN_1_1
GBytes *fs_cache_manifest_node_dup_xattr (FsCacheManifestNode *self, const char *name);

G_END_DECLS

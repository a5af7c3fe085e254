/* fs-cache-manifest.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(FS_CACHE_INSIDE) && !defined(FS_CACHE_COMPILATION)
#error "Only <fscache.h> can be included directly."
#endif

#include <gio/gio.h>

#include "fs-cache-manifest-node.h"
#include "fs-cache-version.h"

G_BEGIN_DECLS

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

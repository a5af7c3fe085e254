/* fs-cache-manifest-private.h: what FsCacheManifest gives the builder
 * (fs-manifest.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fscache.h"
#include "fs-manifest-format-private.h"

G_BEGIN_DECLS

/* The manifest of bytes from _fs_manifest_serialize(): parsed and checked
 * like any other, but without GLib's (slow) normal-form check. */
FsCacheManifest *_fs_cache_manifest_new_serialized (GBytes *bytes, GError **error);

/* The space (st_blocks * 512, a file with several links once) of the tree
 * a builder just described, as its stats found it: what a commit accounts
 * without walking the tree again. G_MAXUINT64 for a manifest read from
 * bytes. */
void _fs_cache_manifest_set_disk_usage (FsCacheManifest *self, guint64 disk_usage);
guint64 _fs_cache_manifest_get_disk_usage (FsCacheManifest *self);

/* A manifest's node @position (< n_nodes). */
const FsManifestNode *_fs_cache_manifest_peek_node (FsCacheManifest *self, guint position);

/* The index of @path, or -1. */
gint64 _fs_cache_manifest_find (FsCacheManifest *self, const char *path);

G_END_DECLS

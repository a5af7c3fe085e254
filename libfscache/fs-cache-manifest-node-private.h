/* fs-cache-manifest-node-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-manifest-format-private.h"

G_BEGIN_DECLS

/* A node object for @node, the node @position of a manifest: @owner (the
 * manifest) holds what @node points into, and is kept alive by the node. */
FsCacheManifestNode *_fs_cache_manifest_node_new (GObject *owner,
                                                  guint position,
                                                  const FsManifestNode *node);

G_END_DECLS

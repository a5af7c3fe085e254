/* fs-cache-transfer.h
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

#define FS_TYPE_CACHE_TRANSFER (fs_cache_transfer_get_type ())

FS_AVAILABLE_IN_1_1
G_DECLARE_FINAL_TYPE (FsCacheTransfer, fs_cache_transfer, FS, CACHE_TRANSFER, GObject)

FS_AVAILABLE_IN_1_1
const char *fs_cache_transfer_get_name (FsCacheTransfer *self);
FS_AVAILABLE_IN_1_1
const char *fs_cache_transfer_get_remote_url (FsCacheTransfer *self);
FS_AVAILABLE_IN_1_1
const char *fs_cache_transfer_get_tree_digest (FsCacheTransfer *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_transfer_get_bytes_sent (FsCacheTransfer *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_transfer_get_bytes_received (FsCacheTransfer *self);
FS_AVAILABLE_IN_1_1
guint64 fs_cache_transfer_get_bytes_copied (FsCacheTransfer *self);
FS_AVAILABLE_IN_1_1
guint fs_cache_transfer_get_blobs_sent (FsCacheTransfer *self);
FS_AVAILABLE_IN_1_1
guint fs_cache_transfer_get_blobs_skipped (FsCacheTransfer *self);
FS_AVAILABLE_IN_1_1
guint fs_cache_transfer_get_blobs_received (FsCacheTransfer *self);
FS_AVAILABLE_IN_1_1
guint fs_cache_transfer_get_blobs_copied (FsCacheTransfer *self);
FS_AVAILABLE_IN_1_1
guint fs_cache_transfer_get_requests (FsCacheTransfer *self);

G_END_DECLS

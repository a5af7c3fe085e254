/* fs-cache-difference.h
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
 * FsCacheDifferenceKind:
 * @FS_CACHE_DIFFERENCE_CONTENT: a regular file's content differs (its
 *   SHA-256 or its size)
 * @FS_CACHE_DIFFERENCE_TYPE: the node is of another type (nothing else is
 *   reported for it)
 * @FS_CACHE_DIFFERENCE_MODE: the permission bits differ (setuid, setgid and
 *   sticky included)
 * @FS_CACHE_DIFFERENCE_OWNER: the owner or the group differs
 * @FS_CACHE_DIFFERENCE_SYMLINK_TARGET: a symbolic link points elsewhere
 * @FS_CACHE_DIFFERENCE_XATTRS: the extended attributes differ
 * @FS_CACHE_DIFFERENCE_DEVICE: a device node has other device numbers
 * @FS_CACHE_DIFFERENCE_HARD_LINKS: the node is no longer a hard link of the
 *   same files as recorded, or has become one
 * @FS_CACHE_DIFFERENCE_MISSING: the node is in the manifest but not in the
 *   tree
 * @FS_CACHE_DIFFERENCE_EXTRA: the node is in the tree but not in the
 *   manifest
 * @FS_CACHE_DIFFERENCE_UNREADABLE: the node could not be read (the detail
 *   says why), so whether it differs is unknown
 *
 * How a node of a tree differs from its manifest: the kind of an
 * [class@FsCache.CacheDifference].
 *
 * Since: 1.1
 */
typedef enum {
  FS_CACHE_DIFFERENCE_CONTENT,
  FS_CACHE_DIFFERENCE_TYPE,
  FS_CACHE_DIFFERENCE_MODE,
  FS_CACHE_DIFFERENCE_OWNER,
  FS_CACHE_DIFFERENCE_SYMLINK_TARGET,
  FS_CACHE_DIFFERENCE_XATTRS,
  FS_CACHE_DIFFERENCE_DEVICE,
  FS_CACHE_DIFFERENCE_HARD_LINKS,
  FS_CACHE_DIFFERENCE_MISSING,
  FS_CACHE_DIFFERENCE_EXTRA,
  FS_CACHE_DIFFERENCE_UNREADABLE,
} FsCacheDifferenceKind;

#define FS_TYPE_CACHE_DIFFERENCE (fs_cache_difference_get_type ())

FS_AVAILABLE_IN_1_1
G_DECLARE_FINAL_TYPE (FsCacheDifference, fs_cache_difference, FS, CACHE_DIFFERENCE, GObject)

FS_AVAILABLE_IN_1_1
const char *fs_cache_difference_get_path (FsCacheDifference *self);
FS_AVAILABLE_IN_1_1
FsCacheDifferenceKind fs_cache_difference_get_kind (FsCacheDifference *self);
FS_AVAILABLE_IN_1_1
const char *fs_cache_difference_get_detail (FsCacheDifference *self);
FS_AVAILABLE_IN_1_1
char *fs_cache_difference_to_string (FsCacheDifference *self);

FS_AVAILABLE_IN_1_1
const char *fs_cache_difference_kind_to_string (FsCacheDifferenceKind kind);

G_END_DECLS

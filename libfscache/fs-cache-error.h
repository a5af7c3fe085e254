/* fs-cache-error.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(FS_CACHE_INSIDE) && !defined(FS_CACHE_COMPILATION)
#error "Only <fscache.h> can be included directly."
#endif

#include <glib.h>

#include "fs-cache-version.h"

G_BEGIN_DECLS

/**
 * FS_CACHE_ERROR:
 *
 * The error domain of libfscache, for errors that carry a meaning for the
 * caller (a miss, an invalid name, …). Failures of system calls are reported
 * in the `G_IO_ERROR` domain instead.
 *
 * Since: 1.0
 */
#define FS_CACHE_ERROR (fs_cache_error_quark ())

/**
 * FsCacheError:
 * @FS_CACHE_ERROR_MISS: no committed entry of that name could be read-locked
 * @FS_CACHE_ERROR_INVALID_NAME: the entry name is not valid
 * @FS_CACHE_ERROR_INCOMPATIBLE: the cache has an on-disk version this library
 *   does not support
 * @FS_CACHE_ERROR_CORRUPT: metadata of the cache could not be parsed, or an
 *   entry differs from its manifest
 * @FS_CACHE_ERROR_CLOSED: the cache was closed with fs_cache_close()
 * @FS_CACHE_ERROR_BUSY: the operation needs a lock that another user holds
 * @FS_CACHE_ERROR_NO_MANIFEST: the entry has no manifest to verify it
 *   against (it was made by osbuild or by libfscache 1.0); since 1.1
 * @FS_CACHE_ERROR_NO_REMOTE: the cache has no remote (no URL is set), or a
 *   push was asked of a read-only one; since 1.1
 *
 * Error codes of the %FS_CACHE_ERROR domain.
 *
 * Since: 1.0
 */
typedef enum {
  FS_CACHE_ERROR_MISS,
  FS_CACHE_ERROR_INVALID_NAME,
  FS_CACHE_ERROR_INCOMPATIBLE,
  FS_CACHE_ERROR_CORRUPT,
  FS_CACHE_ERROR_CLOSED,
  FS_CACHE_ERROR_BUSY,
  FS_CACHE_ERROR_NO_MANIFEST,
  FS_CACHE_ERROR_NO_REMOTE,
} FsCacheError;

FS_AVAILABLE_IN_1_0
GQuark fs_cache_error_quark (void);

G_END_DECLS

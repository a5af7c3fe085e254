/* fs-cache-error.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "fs-cache-error.h"
#include "fs-util-private.h"

/**
 * fs_cache_error_quark:
 *
 * The error domain of libfscache: see [error@FsCache.CacheError].
 *
 * Returns: the quark of %FS_CACHE_ERROR
 *
 * Since: 1.0
 */
/* clang-format off */
G_DEFINE_QUARK (fs-cache-error-quark, fs_cache_error)
/* clang-format on */

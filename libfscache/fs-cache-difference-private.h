/* fs-cache-difference-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fscache.h"

G_BEGIN_DECLS

FsCacheDifference *_fs_cache_difference_new (const char *path,
                                             FsCacheDifferenceKind kind,
                                             const char *detail);

/* For g_ptr_array_sort(): by path in the manifest's order, then by kind. */
int _fs_cache_difference_compare (gconstpointer a, gconstpointer b);

G_END_DECLS

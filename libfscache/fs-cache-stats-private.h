/* fs-cache-stats-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fscache.h"
#include "fs-stats-private.h"

G_BEGIN_DECLS

/* @since: unix seconds, 0 when unknown. */
FsCacheStats *_fs_cache_stats_new (const guint64 values[FS_STAT_N], gint64 since);

G_END_DECLS

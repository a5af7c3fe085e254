/* fs-open-private.h: opening a cache directory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-store-private.h"

G_BEGIN_DECLS

/* The opening protocol: creates the scaffolding if needed (when @create),
 * takes the shared lock on cache.lock, reads cache.info, and repairs what
 * crashed users left when nobody else has the cache open. @create: create
 * the cache if @path holds none, else fail with G_IO_ERROR_NOT_FOUND. */
FsStore *_fs_store_open (const char *app_id,
                         const char *path,
                         gboolean create,
                         GCancellable *cancellable,
                         GError **error);

G_END_DECLS

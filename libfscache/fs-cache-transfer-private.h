/* fs-cache-transfer-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-remote-private.h"

G_BEGIN_DECLS

/* The report of a push or pull of @name through @url. */
FsCacheTransfer *_fs_cache_transfer_new (const char *name,
                                         const char *url,
                                         const FsRemoteStats *stats);

G_END_DECLS

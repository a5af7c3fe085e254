/* fs-cache-info-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "fs-cache-info.h"

G_BEGIN_DECLS

/* The known fields of a cache.info object (unknown keys are ignored). */
FsCacheInfo *_fs_cache_info_new_from_json (JsonObject *object);
/* Writes the set fields of @self into @object, keeping everything else. */
void _fs_cache_info_merge_into_json (const FsCacheInfo *self, JsonObject *object);

G_END_DECLS

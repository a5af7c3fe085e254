/* fs-cache-info-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "fs-cache-info.h"

G_BEGIN_DECLS

/* The settings of the remote tier (keys fscache-remote-*): a part of
 * FsCacheInfo, whose public accessors are in fs-cache-info-remote.c. */
typedef struct {
  guint has_url : 1;
  guint has_mode : 1;
  guint has_namespace : 1;
  guint has_timeout : 1;
  guint has_connections : 1;
  guint has_credentials_file : 1;
  guint has_zstd : 1;
  guint zstd : 1;

  char *url;
  FsCacheRemoteMode mode;
  char *namespace_;
  guint timeout;     /* seconds, >= 1 */
  guint connections; /* 1 to FS_CACHE_REMOTE_MAX_CONNECTIONS */
  char *credentials_file;
} FsCacheInfoRemote;

/* The remote settings of @self (fs-cache-info.c). */
FsCacheInfoRemote *_fs_cache_info_get_remote (FsCacheInfo *self);

/* The known fields of a cache.info object (unknown keys are ignored). */
FsCacheInfo *_fs_cache_info_new_from_json (JsonObject *object);
/* Writes the set fields of @self into @object, keeping everything else. */
void _fs_cache_info_merge_into_json (const FsCacheInfo *self, JsonObject *object);

G_END_DECLS

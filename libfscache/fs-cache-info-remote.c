/* fs-cache-info-remote.c: the remote settings of FsCacheInfo
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The accessors of the keys `fscache-remote-*` of cache.info (DESIGN §9),
 * which osbuild ignores and keeps. They are FsCacheInfo's, declared in
 * fs-cache-info.h; fs-cache-info.c holds the struct, copies it and reads
 * and writes the keys.
 */

#include "config.h"

#include "fs-cache-info-private.h"

/* The remote settings of @self, which these accessors never change through
 * a const pointer. */
#define REMOTE(self) (_fs_cache_info_get_remote ((FsCacheInfo *) (self)))

/**
 * fs_cache_info_has_remote_url:
 * @self: an #FsCacheInfo
 *
 * Whether the URL of the remote is set (key `fscache-remote-url`), even to
 * the empty string.
 *
 * Returns: %TRUE if it is set
 *
 * Since: 1.1
 */
gboolean
fs_cache_info_has_remote_url (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return REMOTE (self)->has_url;
}

/**
 * fs_cache_info_get_remote_url:
 * @self: an #FsCacheInfo
 *
 * The base URL of the HTTP cache server the cache shares its entries
 * through (`http://` or `https://`, without credentials): see
 * fs_cache_push(), fs_cache_pull() and %FS_CACHE_LOAD_REMOTE. %NULL when
 * unset or empty: the cache has no remote.
 *
 * Returns: (nullable): the URL, or %NULL
 *
 * Since: 1.1
 */
const char *
fs_cache_info_get_remote_url (const FsCacheInfo *self)
{
  const FsCacheInfoRemote *remote;

  g_return_val_if_fail (self != NULL, NULL);
  remote = REMOTE (self);
  return remote->has_url && remote->url[0] != '\0' ? remote->url : NULL;
}

/**
 * fs_cache_info_set_remote_url:
 * @self: an #FsCacheInfo
 * @url: the base URL, or `""` for no remote
 *
 * Sets the URL of the remote. `cache.info` is readable by every user of
 * the cache: the URL must not hold a user name or password (a cache
 * refuses to use one that does); credentials come from the environment or
 * from a file (fs_cache_info_set_remote_credentials_file()). Since
 * fs_cache_set_info() never removes a key, the empty string is how a
 * remote is turned off.
 *
 * Since: 1.1
 */
void
fs_cache_info_set_remote_url (FsCacheInfo *self, const char *url)
{
  FsCacheInfoRemote *remote;

  g_return_if_fail (self != NULL);
  g_return_if_fail (url != NULL && g_utf8_validate (url, -1, NULL));
  remote = REMOTE (self);
  g_free (remote->url);
  remote->url = g_strdup (url);
  remote->has_url = TRUE;
}

/**
 * fs_cache_info_unset_remote_url:
 * @self: an #FsCacheInfo
 *
 * Unsets the URL of the remote, so that fs_cache_set_info() keeps the one
 * on disk.
 *
 * Since: 1.1
 */
void
fs_cache_info_unset_remote_url (FsCacheInfo *self)
{
  FsCacheInfoRemote *remote;

  g_return_if_fail (self != NULL);
  remote = REMOTE (self);
  g_clear_pointer (&remote->url, g_free);
  remote->has_url = FALSE;
}

/**
 * fs_cache_info_has_remote_mode:
 * @self: an #FsCacheInfo
 *
 * Whether the mode of the remote is set (key `fscache-remote-mode`).
 *
 * Returns: %TRUE if it is set
 *
 * Since: 1.1
 */
gboolean
fs_cache_info_has_remote_mode (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return REMOTE (self)->has_mode;
}

/**
 * fs_cache_info_get_remote_mode:
 * @self: an #FsCacheInfo
 *
 * What the cache may do with its remote: pull and push
 * (%FS_CACHE_REMOTE_MODE_READ_WRITE, the default when unset), or only pull
 * (%FS_CACHE_REMOTE_MODE_READ_ONLY: no request that changes the server is ever
 * sent, and fs_cache_push() fails).
 *
 * Returns: the mode
 *
 * Since: 1.1
 */
FsCacheRemoteMode
fs_cache_info_get_remote_mode (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FS_CACHE_REMOTE_MODE_READ_WRITE);
  return REMOTE (self)->has_mode ? REMOTE (self)->mode : FS_CACHE_REMOTE_MODE_READ_WRITE;
}

/**
 * fs_cache_info_set_remote_mode:
 * @self: an #FsCacheInfo
 * @mode: the mode
 *
 * Sets the mode of the remote.
 *
 * Since: 1.1
 */
void
fs_cache_info_set_remote_mode (FsCacheInfo *self, FsCacheRemoteMode mode)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (mode == FS_CACHE_REMOTE_MODE_READ_WRITE ||
                    mode == FS_CACHE_REMOTE_MODE_READ_ONLY);
  REMOTE (self)->mode = mode;
  REMOTE (self)->has_mode = TRUE;
}

/**
 * fs_cache_info_unset_remote_mode:
 * @self: an #FsCacheInfo
 *
 * Unsets the mode of the remote.
 *
 * Since: 1.1
 */
void
fs_cache_info_unset_remote_mode (FsCacheInfo *self)
{
  g_return_if_fail (self != NULL);
  REMOTE (self)->mode = FS_CACHE_REMOTE_MODE_READ_WRITE;
  REMOTE (self)->has_mode = FALSE;
}

/**
 * fs_cache_info_has_remote_namespace:
 * @self: an #FsCacheInfo
 *
 * Whether the namespace on the remote is set (key
 * `fscache-remote-namespace`).
 *
 * Returns: %TRUE if it is set
 *
 * Since: 1.1
 */
gboolean
fs_cache_info_has_remote_namespace (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return REMOTE (self)->has_namespace;
}

/**
 * fs_cache_info_get_remote_namespace:
 * @self: an #FsCacheInfo
 *
 * The namespace of the cache's entry names on the remote: caches with the
 * same namespace (and URL) share their entries by name, caches with
 * different ones never see each other's names (their file contents are
 * still stored once). The empty string when unset.
 *
 * Returns: the namespace
 *
 * Since: 1.1
 */
const char *
fs_cache_info_get_remote_namespace (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, "");
  return REMOTE (self)->has_namespace ? REMOTE (self)->namespace_ : "";
}

/**
 * fs_cache_info_set_remote_namespace:
 * @self: an #FsCacheInfo
 * @namespace_: a namespace (UTF-8; may be empty)
 *
 * Sets the namespace on the remote.
 *
 * Since: 1.1
 */
void
fs_cache_info_set_remote_namespace (FsCacheInfo *self, const char *namespace_)
{
  FsCacheInfoRemote *remote;

  g_return_if_fail (self != NULL);
  g_return_if_fail (namespace_ != NULL && g_utf8_validate (namespace_, -1, NULL));
  remote = REMOTE (self);
  g_free (remote->namespace_);
  remote->namespace_ = g_strdup (namespace_);
  remote->has_namespace = TRUE;
}

/**
 * fs_cache_info_unset_remote_namespace:
 * @self: an #FsCacheInfo
 *
 * Unsets the namespace on the remote.
 *
 * Since: 1.1
 */
void
fs_cache_info_unset_remote_namespace (FsCacheInfo *self)
{
  FsCacheInfoRemote *remote;

  g_return_if_fail (self != NULL);
  remote = REMOTE (self);
  g_clear_pointer (&remote->namespace_, g_free);
  remote->has_namespace = FALSE;
}

/**
 * fs_cache_info_has_remote_timeout:
 * @self: an #FsCacheInfo
 *
 * Whether the timeout of the remote is set (key `fscache-remote-timeout`).
 *
 * Returns: %TRUE if it is set
 *
 * Since: 1.1
 */
gboolean
fs_cache_info_has_remote_timeout (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return REMOTE (self)->has_timeout;
}

/**
 * fs_cache_info_get_remote_timeout:
 * @self: an #FsCacheInfo
 *
 * How long, in seconds, a transfer waits to connect to the remote or for
 * its next bytes; a transfer that moves less than 10 KiB per second over
 * that long fails too. %FS_CACHE_REMOTE_DEFAULT_TIMEOUT when unset.
 *
 * Returns: the timeout in seconds
 *
 * Since: 1.1
 */
guint
fs_cache_info_get_remote_timeout (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FS_CACHE_REMOTE_DEFAULT_TIMEOUT);
  return REMOTE (self)->has_timeout ? REMOTE (self)->timeout : FS_CACHE_REMOTE_DEFAULT_TIMEOUT;
}

/**
 * fs_cache_info_set_remote_timeout:
 * @self: an #FsCacheInfo
 * @seconds: 1 or more
 *
 * Sets the timeout of the remote.
 *
 * Since: 1.1
 */
void
fs_cache_info_set_remote_timeout (FsCacheInfo *self, guint seconds)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (seconds >= 1 && seconds <= G_MAXINT / 1000);
  REMOTE (self)->timeout = seconds;
  REMOTE (self)->has_timeout = TRUE;
}

/**
 * fs_cache_info_unset_remote_timeout:
 * @self: an #FsCacheInfo
 *
 * Unsets the timeout of the remote.
 *
 * Since: 1.1
 */
void
fs_cache_info_unset_remote_timeout (FsCacheInfo *self)
{
  g_return_if_fail (self != NULL);
  REMOTE (self)->timeout = 0;
  REMOTE (self)->has_timeout = FALSE;
}

/**
 * fs_cache_info_has_remote_connections:
 * @self: an #FsCacheInfo
 *
 * Whether the number of connections to the remote is set (key
 * `fscache-remote-connections`).
 *
 * Returns: %TRUE if it is set
 *
 * Since: 1.1
 */
gboolean
fs_cache_info_has_remote_connections (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return REMOTE (self)->has_connections;
}

/**
 * fs_cache_info_get_remote_connections:
 * @self: an #FsCacheInfo
 *
 * How many connections a cache opens to its remote at most, and how many
 * files it transfers at once. %FS_CACHE_REMOTE_DEFAULT_CONNECTIONS when
 * unset.
 *
 * Returns: 1 to %FS_CACHE_REMOTE_MAX_CONNECTIONS
 *
 * Since: 1.1
 */
guint
fs_cache_info_get_remote_connections (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FS_CACHE_REMOTE_DEFAULT_CONNECTIONS);
  return REMOTE (self)->has_connections ? REMOTE (self)->connections
                                        : FS_CACHE_REMOTE_DEFAULT_CONNECTIONS;
}

/**
 * fs_cache_info_set_remote_connections:
 * @self: an #FsCacheInfo
 * @connections: 1 to %FS_CACHE_REMOTE_MAX_CONNECTIONS
 *
 * Sets the number of connections to the remote.
 *
 * Since: 1.1
 */
void
fs_cache_info_set_remote_connections (FsCacheInfo *self, guint connections)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (connections >= 1 && connections <= FS_CACHE_REMOTE_MAX_CONNECTIONS);
  REMOTE (self)->connections = connections;
  REMOTE (self)->has_connections = TRUE;
}

/**
 * fs_cache_info_unset_remote_connections:
 * @self: an #FsCacheInfo
 *
 * Unsets the number of connections to the remote.
 *
 * Since: 1.1
 */
void
fs_cache_info_unset_remote_connections (FsCacheInfo *self)
{
  g_return_if_fail (self != NULL);
  REMOTE (self)->connections = 0;
  REMOTE (self)->has_connections = FALSE;
}

/**
 * fs_cache_info_has_remote_credentials_file:
 * @self: an #FsCacheInfo
 *
 * Whether a credentials file is named (key
 * `fscache-remote-credentials-file`).
 *
 * Returns: %TRUE if it is set
 *
 * Since: 1.1
 */
gboolean
fs_cache_info_has_remote_credentials_file (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return REMOTE (self)->has_credentials_file;
}

/**
 * fs_cache_info_get_remote_credentials_file:
 * @self: an #FsCacheInfo
 *
 * The file the credentials of the remote are read from when the
 * environment gives none (`FSCACHE_REMOTE_TOKEN`, or `FSCACHE_REMOTE_USER`
 * and `FSCACHE_REMOTE_PASSWORD`): its first line that is neither empty nor
 * a comment is `bearer TOKEN`, `basic USER:PASSWORD` or a bare token. Only
 * the path is in `cache.info`, never the credentials.
 *
 * Returns: (nullable) (type filename): the path, or %NULL when unset
 *
 * Since: 1.1
 */
const char *
fs_cache_info_get_remote_credentials_file (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return REMOTE (self)->has_credentials_file ? REMOTE (self)->credentials_file : NULL;
}

/**
 * fs_cache_info_set_remote_credentials_file:
 * @self: an #FsCacheInfo
 * @path: (type filename): an absolute path
 *
 * Names the credentials file of the remote.
 *
 * Since: 1.1
 */
void
fs_cache_info_set_remote_credentials_file (FsCacheInfo *self, const char *path)
{
  FsCacheInfoRemote *remote;

  g_return_if_fail (self != NULL);
  g_return_if_fail (path != NULL && *path != '\0' && g_utf8_validate (path, -1, NULL));
  remote = REMOTE (self);
  g_free (remote->credentials_file);
  remote->credentials_file = g_strdup (path);
  remote->has_credentials_file = TRUE;
}

/**
 * fs_cache_info_unset_remote_credentials_file:
 * @self: an #FsCacheInfo
 *
 * Unsets the credentials file of the remote.
 *
 * Since: 1.1
 */
void
fs_cache_info_unset_remote_credentials_file (FsCacheInfo *self)
{
  FsCacheInfoRemote *remote;

  g_return_if_fail (self != NULL);
  remote = REMOTE (self);
  g_clear_pointer (&remote->credentials_file, g_free);
  remote->has_credentials_file = FALSE;
}

/**
 * fs_cache_info_has_remote_zstd:
 * @self: an #FsCacheInfo
 *
 * Whether the zstd setting of the remote is set (key
 * `fscache-remote-zstd`).
 *
 * Returns: %TRUE if it is set
 *
 * Since: 1.1
 */
gboolean
fs_cache_info_has_remote_zstd (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return REMOTE (self)->has_zstd;
}

/**
 * fs_cache_info_get_remote_zstd:
 * @self: an #FsCacheInfo
 *
 * Whether pushes compress file contents with zstd (under `cas.zst/` on
 * the server instead of `cas/`). Off by default: over a fast network the
 * compression costs more time than it saves (bench/README.md has the
 * numbers); it pays on slow links and servers billed per byte. Pulls read
 * whichever the entry was pushed with.
 *
 * Returns: %TRUE to compress
 *
 * Since: 1.1
 */
gboolean
fs_cache_info_get_remote_zstd (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return REMOTE (self)->has_zstd && REMOTE (self)->zstd;
}

/**
 * fs_cache_info_set_remote_zstd:
 * @self: an #FsCacheInfo
 * @zstd: whether to compress
 *
 * Sets the zstd setting of the remote.
 *
 * Since: 1.1
 */
void
fs_cache_info_set_remote_zstd (FsCacheInfo *self, gboolean zstd)
{
  g_return_if_fail (self != NULL);
  REMOTE (self)->zstd = !!zstd;
  REMOTE (self)->has_zstd = TRUE;
}

/**
 * fs_cache_info_unset_remote_zstd:
 * @self: an #FsCacheInfo
 *
 * Unsets the zstd setting of the remote.
 *
 * Since: 1.1
 */
void
fs_cache_info_unset_remote_zstd (FsCacheInfo *self)
{
  g_return_if_fail (self != NULL);
  REMOTE (self)->zstd = FALSE;
  REMOTE (self)->has_zstd = FALSE;
}

/* fs-remote.c: the remote of a cache — settings and HTTP client
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A cache's remote (DESIGN §9) is configured in its cache.info (keys
 * fscache-remote-*, FsCacheInfo) and reached through one HTTP client per
 * open cache, which the store keeps (fs-store.c): made on the first
 * transfer, made again when the settings change, freed when the cache is
 * closed and its last transfer ends. Opening the remote reads cache.info
 * (re-read only when another process changed it) and sends nothing.
 * Credentials come from the environment or the credentials file the
 * settings name, never from cache.info (fs-http.c).
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fs-remote-private.h"

G_STATIC_ASSERT (FS_CACHE_REMOTE_DEFAULT_TIMEOUT == FS_HTTP_DEFAULT_TIMEOUT);
G_STATIC_ASSERT (FS_CACHE_REMOTE_DEFAULT_CONNECTIONS == FS_HTTP_DEFAULT_CONNECTIONS);
G_STATIC_ASSERT (FS_CACHE_REMOTE_MAX_CONNECTIONS == FS_HTTP_MAX_CONNECTIONS);

char *
_fs_remote_dup_url (FsStore *store, FsCacheRemoteMode *out_mode)
{
  g_autoptr (FsCacheInfo) info = _fs_store_dup_info (store);

  if (out_mode != NULL)
    *out_mode = fs_cache_info_get_remote_mode (info);
  return g_strdup (fs_cache_info_get_remote_url (info));
}

gboolean
_fs_remote_open (FsStore *store, FsRemote *out, GError **error)
{
  g_autoptr (FsCacheInfo) info = NULL;
  g_autofree char *key = NULL;
  FsHttpOptions options;
  const char *url;

  memset (out, 0, sizeof *out);
  info = _fs_store_read_info (store, error);
  if (info == NULL)
    return FALSE;
  url = fs_cache_info_get_remote_url (info);
  if (url == NULL)
    {
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_NO_REMOTE,
                   _ ("The cache %s has no remote (set one with “fscache config set remote "
                      "URL”)"),
                   store->path);
      return FALSE;
    }

  _fs_http_options_init (&options);
  options.url = url;
  options.connections = fs_cache_info_get_remote_connections (info);
  options.timeout = fs_cache_info_get_remote_timeout (info);
  options.credentials_file = fs_cache_info_get_remote_credentials_file (info);
  options.upload_encoding =
    fs_cache_info_get_remote_zstd (info) ? FS_HTTP_ENCODING_ZSTD : FS_HTTP_ENCODING_PLAIN;
  /* Everything the client is made from: a change makes a new one. */
  key = g_strdup_printf ("%s\n%u\n%u\n%s\n%d", url, options.connections, options.timeout,
                         options.credentials_file != NULL ? options.credentials_file : "",
                         (int) options.upload_encoding);
  out->http = _fs_store_dup_http (store, key, &options, error);
  if (out->http == NULL)
    return FALSE;
  out->url = _fs_http_get_url (out->http);
  out->namespace_ = g_strdup (fs_cache_info_get_remote_namespace (info));
  out->mode = fs_cache_info_get_remote_mode (info);
  out->encoding = options.upload_encoding;
  return TRUE;
}

void
_fs_remote_clear (FsRemote *remote)
{
  g_clear_pointer (&remote->http, _fs_http_unref);
  g_clear_pointer (&remote->namespace_, g_free);
  remote->url = NULL;
}

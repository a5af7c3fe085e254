/* fs-cache-transfer.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "fs-cache-transfer-private.h"

/**
 * FsCacheTransfer:
 *
 * What a push or a pull moved between a cache and its remote: the report
 * of [method@FsCache.Cache.push], [method@FsCache.Cache.pull] and
 * [method@FsCache.CacheEntry.push]. A file content is a *blob* on the
 * server, stored once however many files and entries have it; an entry's
 * manifest is a blob too.
 *
 * Since: 1.1
 */

struct _FsCacheTransfer {
  GObject parent_instance;

  char *name;
  char *remote_url;
  char *tree_digest;
  guint64 bytes_sent;
  guint64 bytes_received;
  guint64 bytes_copied;
  guint blobs_sent;
  guint blobs_skipped;
  guint blobs_received;
  guint blobs_copied;
  guint requests;
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_REMOTE_URL,
  PROP_TREE_DIGEST,
  PROP_BYTES_SENT,
  PROP_BYTES_RECEIVED,
  PROP_BYTES_COPIED,
  PROP_BLOBS_SENT,
  PROP_BLOBS_SKIPPED,
  PROP_BLOBS_RECEIVED,
  PROP_BLOBS_COPIED,
  PROP_REQUESTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FsCacheTransfer, fs_cache_transfer, G_TYPE_OBJECT)

static void
fs_cache_transfer_finalize (GObject *object)
{
  FsCacheTransfer *self = FS_CACHE_TRANSFER (object);

  g_free (self->name);
  g_free (self->remote_url);
  g_free (self->tree_digest);

  G_OBJECT_CLASS (fs_cache_transfer_parent_class)->finalize (object);
}

static void
fs_cache_transfer_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FsCacheTransfer *self = FS_CACHE_TRANSFER (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_REMOTE_URL:
      g_value_set_string (value, self->remote_url);
      break;
    case PROP_TREE_DIGEST:
      g_value_set_string (value, self->tree_digest);
      break;
    case PROP_BYTES_SENT:
      g_value_set_uint64 (value, self->bytes_sent);
      break;
    case PROP_BYTES_RECEIVED:
      g_value_set_uint64 (value, self->bytes_received);
      break;
    case PROP_BYTES_COPIED:
      g_value_set_uint64 (value, self->bytes_copied);
      break;
    case PROP_BLOBS_SENT:
      g_value_set_uint (value, self->blobs_sent);
      break;
    case PROP_BLOBS_SKIPPED:
      g_value_set_uint (value, self->blobs_skipped);
      break;
    case PROP_BLOBS_RECEIVED:
      g_value_set_uint (value, self->blobs_received);
      break;
    case PROP_BLOBS_COPIED:
      g_value_set_uint (value, self->blobs_copied);
      break;
    case PROP_REQUESTS:
      g_value_set_uint (value, self->requests);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fs_cache_transfer_class_init (FsCacheTransferClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fs_cache_transfer_finalize;
  object_class->get_property = fs_cache_transfer_get_property;

  /**
   * FsCacheTransfer:name:
   *
   * The name of the entry.
   *
   * Since: 1.1
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheTransfer:remote-url:
   *
   * The base URL of the remote, ending in `/`.
   *
   * Since: 1.1
   */
  properties[PROP_REMOTE_URL] =
    g_param_spec_string ("remote-url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheTransfer:tree-digest:
   *
   * The tree digest of the entry in the local cache (the SHA-256 of its
   * manifest); %NULL when a pull kept nothing.
   *
   * Since: 1.1
   */
  properties[PROP_TREE_DIGEST] =
    g_param_spec_string ("tree-digest", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheTransfer:bytes-sent:
   *
   * Body bytes sent: of the file contents and the manifest uploaded
   * (compressed ones with zstd) and of the `ac` document.
   *
   * Since: 1.1
   */
  properties[PROP_BYTES_SENT] =
    g_param_spec_uint64 ("bytes-sent", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheTransfer:bytes-received:
   *
   * Body bytes received: of the `ac` document, the manifest and the
   * file contents downloaded (compressed ones with zstd).
   *
   * Since: 1.1
   */
  properties[PROP_BYTES_RECEIVED] =
    g_param_spec_uint64 ("bytes-received", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheTransfer:bytes-copied:
   *
   * Bytes of file contents a pull copied from the local cache (other
   * entries holding the same content, or files of the entry with the
   * same content as one downloaded) instead of downloading them.
   *
   * Since: 1.1
   */
  properties[PROP_BYTES_COPIED] =
    g_param_spec_uint64 ("bytes-copied", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheTransfer:blobs-sent:
   *
   * Blobs (distinct file contents, and the manifest) a push uploaded.
   *
   * Since: 1.1
   */
  properties[PROP_BLOBS_SENT] =
    g_param_spec_uint ("blobs-sent", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheTransfer:blobs-skipped:
   *
   * Blobs a push did not upload because the server had them.
   *
   * Since: 1.1
   */
  properties[PROP_BLOBS_SKIPPED] =
    g_param_spec_uint ("blobs-skipped", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheTransfer:blobs-received:
   *
   * Blobs (file contents, and the manifest) a pull downloaded.
   *
   * Since: 1.1
   */
  properties[PROP_BLOBS_RECEIVED] =
    g_param_spec_uint ("blobs-received", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheTransfer:blobs-copied:
   *
   * Files a pull copied locally instead of downloading them: see
   * [property@FsCache.CacheTransfer:bytes-copied].
   *
   * Since: 1.1
   */
  properties[PROP_BLOBS_COPIED] =
    g_param_spec_uint ("blobs-copied", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheTransfer:requests:
   *
   * HTTP requests made.
   *
   * Since: 1.1
   */
  properties[PROP_REQUESTS] =
    g_param_spec_uint ("requests", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fs_cache_transfer_init (FsCacheTransfer *self)
{
}

FsCacheTransfer *
_fs_cache_transfer_new (const char *name, const char *url, const FsRemoteStats *stats)
{
  FsCacheTransfer *self = g_object_new (FS_TYPE_CACHE_TRANSFER, NULL);

  self->name = g_strdup (name);
  self->remote_url = g_strdup (url);
  self->tree_digest = stats->tree_digest[0] != '\0' ? g_strdup (stats->tree_digest) : NULL;
  self->bytes_sent = stats->bytes_sent;
  self->bytes_received = stats->bytes_received;
  self->bytes_copied = stats->bytes_copied;
  self->blobs_sent = stats->blobs_sent;
  self->blobs_skipped = stats->blobs_skipped;
  self->blobs_received = stats->blobs_received;
  self->blobs_copied = stats->blobs_copied;
  self->requests = stats->requests;
  return self;
}

/**
 * fs_cache_transfer_get_name:
 * @self: an #FsCacheTransfer
 *
 * The value of [property@FsCache.CacheTransfer:name].
 *
 * Returns: the name
 *
 * Since: 1.1
 */
const char *
fs_cache_transfer_get_name (FsCacheTransfer *self)
{
  g_return_val_if_fail (FS_IS_CACHE_TRANSFER (self), NULL);
  return self->name;
}

/**
 * fs_cache_transfer_get_remote_url:
 * @self: an #FsCacheTransfer
 *
 * The value of [property@FsCache.CacheTransfer:remote-url].
 *
 * Returns: the URL
 *
 * Since: 1.1
 */
const char *
fs_cache_transfer_get_remote_url (FsCacheTransfer *self)
{
  g_return_val_if_fail (FS_IS_CACHE_TRANSFER (self), NULL);
  return self->remote_url;
}

/**
 * fs_cache_transfer_get_tree_digest:
 * @self: an #FsCacheTransfer
 *
 * The value of [property@FsCache.CacheTransfer:tree-digest].
 *
 * Returns: (nullable): 64 lowercase hex digits, or %NULL
 *
 * Since: 1.1
 */
const char *
fs_cache_transfer_get_tree_digest (FsCacheTransfer *self)
{
  g_return_val_if_fail (FS_IS_CACHE_TRANSFER (self), NULL);
  return self->tree_digest;
}

/**
 * fs_cache_transfer_get_bytes_sent:
 * @self: an #FsCacheTransfer
 *
 * The value of [property@FsCache.CacheTransfer:bytes-sent].
 *
 * Returns: the number
 *
 * Since: 1.1
 */
guint64
fs_cache_transfer_get_bytes_sent (FsCacheTransfer *self)
{
  g_return_val_if_fail (FS_IS_CACHE_TRANSFER (self), 0);
  return self->bytes_sent;
}

/**
 * fs_cache_transfer_get_bytes_received:
 * @self: an #FsCacheTransfer
 *
 * The value of [property@FsCache.CacheTransfer:bytes-received].
 *
 * Returns: the number
 *
 * Since: 1.1
 */
guint64
fs_cache_transfer_get_bytes_received (FsCacheTransfer *self)
{
  g_return_val_if_fail (FS_IS_CACHE_TRANSFER (self), 0);
  return self->bytes_received;
}

/**
 * fs_cache_transfer_get_bytes_copied:
 * @self: an #FsCacheTransfer
 *
 * The value of [property@FsCache.CacheTransfer:bytes-copied].
 *
 * Returns: the number
 *
 * Since: 1.1
 */
guint64
fs_cache_transfer_get_bytes_copied (FsCacheTransfer *self)
{
  g_return_val_if_fail (FS_IS_CACHE_TRANSFER (self), 0);
  return self->bytes_copied;
}

/**
 * fs_cache_transfer_get_blobs_sent:
 * @self: an #FsCacheTransfer
 *
 * The value of [property@FsCache.CacheTransfer:blobs-sent].
 *
 * Returns: the number
 *
 * Since: 1.1
 */
guint
fs_cache_transfer_get_blobs_sent (FsCacheTransfer *self)
{
  g_return_val_if_fail (FS_IS_CACHE_TRANSFER (self), 0);
  return self->blobs_sent;
}

/**
 * fs_cache_transfer_get_blobs_skipped:
 * @self: an #FsCacheTransfer
 *
 * The value of [property@FsCache.CacheTransfer:blobs-skipped].
 *
 * Returns: the number
 *
 * Since: 1.1
 */
guint
fs_cache_transfer_get_blobs_skipped (FsCacheTransfer *self)
{
  g_return_val_if_fail (FS_IS_CACHE_TRANSFER (self), 0);
  return self->blobs_skipped;
}

/**
 * fs_cache_transfer_get_blobs_received:
 * @self: an #FsCacheTransfer
 *
 * The value of [property@FsCache.CacheTransfer:blobs-received].
 *
 * Returns: the number
 *
 * Since: 1.1
 */
guint
fs_cache_transfer_get_blobs_received (FsCacheTransfer *self)
{
  g_return_val_if_fail (FS_IS_CACHE_TRANSFER (self), 0);
  return self->blobs_received;
}

/**
 * fs_cache_transfer_get_blobs_copied:
 * @self: an #FsCacheTransfer
 *
 * The value of [property@FsCache.CacheTransfer:blobs-copied].
 *
 * Returns: the number
 *
 * Since: 1.1
 */
guint
fs_cache_transfer_get_blobs_copied (FsCacheTransfer *self)
{
  g_return_val_if_fail (FS_IS_CACHE_TRANSFER (self), 0);
  return self->blobs_copied;
}

/**
 * fs_cache_transfer_get_requests:
 * @self: an #FsCacheTransfer
 *
 * The value of [property@FsCache.CacheTransfer:requests].
 *
 * Returns: the number
 *
 * Since: 1.1
 */
guint
fs_cache_transfer_get_requests (FsCacheTransfer *self)
{
  g_return_val_if_fail (FS_IS_CACHE_TRANSFER (self), 0);
  return self->requests;
}

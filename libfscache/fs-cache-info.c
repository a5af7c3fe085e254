/* fs-cache-info.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "fs-cache-info-private.h"

struct _FsCacheInfo {
  gatomicrefcount ref_count;

  guint has_maximum_size : 1;
  guint has_version : 1;
  guint has_low_watermark : 1;
  guint has_min_free_space : 1;
  guint min_free_is_percent : 1;
  guint has_volatile : 1;
  guint is_volatile : 1;
  guint has_shared : 1;
  guint is_shared : 1;

  guint64 maximum_size;
  gint64 version;
  char *creation_boot_id;
  guint low_watermark;
  guint64 min_free_space;
  FsCacheInfoRemote remote; /* fs-cache-info-remote.c */
};

G_DEFINE_BOXED_TYPE (FsCacheInfo, fs_cache_info, fs_cache_info_ref, fs_cache_info_unref)

/**
 * fs_cache_info_new:
 *
 * Creates an [struct@FsCache.CacheInfo] with no field set, to fill and pass to
 * fs_cache_set_info().
 *
 * Returns: (transfer full): a new #FsCacheInfo
 *
 * Since: 1.0
 */
FsCacheInfo *
fs_cache_info_new (void)
{
  FsCacheInfo *self = g_new0 (FsCacheInfo, 1);

  g_atomic_ref_count_init (&self->ref_count);
  return self;
}

/**
 * fs_cache_info_copy:
 * @self: an #FsCacheInfo
 *
 * Makes a deep copy of @self.
 *
 * Returns: (transfer full): a new #FsCacheInfo with the same fields
 *
 * Since: 1.0
 */
FsCacheInfo *
fs_cache_info_copy (const FsCacheInfo *self)
{
  FsCacheInfo *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = fs_cache_info_new ();
  copy->has_maximum_size = self->has_maximum_size;
  copy->has_version = self->has_version;
  copy->maximum_size = self->maximum_size;
  copy->version = self->version;
  copy->creation_boot_id = g_strdup (self->creation_boot_id);
  copy->has_low_watermark = self->has_low_watermark;
  copy->low_watermark = self->low_watermark;
  copy->has_min_free_space = self->has_min_free_space;
  copy->min_free_is_percent = self->min_free_is_percent;
  copy->min_free_space = self->min_free_space;
  copy->has_volatile = self->has_volatile;
  copy->is_volatile = self->is_volatile;
  copy->has_shared = self->has_shared;
  copy->is_shared = self->is_shared;
  copy->remote = self->remote;
  copy->remote.url = g_strdup (self->remote.url);
  copy->remote.namespace_ = g_strdup (self->remote.namespace_);
  copy->remote.credentials_file = g_strdup (self->remote.credentials_file);
  return copy;
}

/**
 * fs_cache_info_ref:
 * @self: an #FsCacheInfo
 *
 * Takes a reference on @self.
 *
 * Returns: (transfer full): @self
 *
 * Since: 1.0
 */
FsCacheInfo *
fs_cache_info_ref (FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * fs_cache_info_unref:
 * @self: (transfer full): an #FsCacheInfo
 *
 * Drops a reference on @self, freeing it when it was the last.
 *
 * Since: 1.0
 */
void
fs_cache_info_unref (FsCacheInfo *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_free (self->creation_boot_id);
      g_free (self->remote.url);
      g_free (self->remote.namespace_);
      g_free (self->remote.credentials_file);
      g_free (self);
    }
}

/**
 * fs_cache_info_has_maximum_size:
 * @self: an #FsCacheInfo
 *
 * Whether the maximum size is set. A cache without one keeps nothing
 * (osbuild reads it as a maximum size of 0).
 *
 * Returns: %TRUE if the maximum size is set
 *
 * Since: 1.0
 */
gboolean
fs_cache_info_has_maximum_size (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->has_maximum_size;
}

/**
 * fs_cache_info_get_maximum_size:
 * @self: an #FsCacheInfo
 *
 * The maximum size of the cache in bytes of space used, or
 * %FS_CACHE_SIZE_UNLIMITED. When unset, 0.
 *
 * Returns: the maximum size
 *
 * Since: 1.0
 */
guint64
fs_cache_info_get_maximum_size (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->has_maximum_size ? self->maximum_size : 0;
}

/**
 * fs_cache_info_set_maximum_size:
 * @self: an #FsCacheInfo
 * @maximum_size: bytes (at most %G_MAXINT64, what JSON readers take), or
 *   %FS_CACHE_SIZE_UNLIMITED
 *
 * Sets the maximum size.
 *
 * Since: 1.0
 */
void
fs_cache_info_set_maximum_size (FsCacheInfo *self, guint64 maximum_size)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (maximum_size <= G_MAXINT64 || maximum_size == FS_CACHE_SIZE_UNLIMITED);
  self->has_maximum_size = TRUE;
  self->maximum_size = maximum_size;
}

/**
 * fs_cache_info_unset_maximum_size:
 * @self: an #FsCacheInfo
 *
 * Unsets the maximum size, so that fs_cache_set_info() keeps the one on disk.
 *
 * Since: 1.0
 */
void
fs_cache_info_unset_maximum_size (FsCacheInfo *self)
{
  g_return_if_fail (self != NULL);
  self->has_maximum_size = FALSE;
  self->maximum_size = 0;
}

/**
 * fs_cache_info_is_unlimited:
 * @self: an #FsCacheInfo
 *
 * Whether the maximum size is `"unlimited"`. For languages that can't hold
 * %FS_CACHE_SIZE_UNLIMITED in a number (JavaScript).
 *
 * Returns: %TRUE if the cache has no size limit
 *
 * Since: 1.0
 */
gboolean
fs_cache_info_is_unlimited (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->has_maximum_size && self->maximum_size == FS_CACHE_SIZE_UNLIMITED;
}

/**
 * fs_cache_info_set_unlimited:
 * @self: an #FsCacheInfo
 *
 * Sets the maximum size to `"unlimited"`, like
 * fs_cache_info_set_maximum_size() with %FS_CACHE_SIZE_UNLIMITED.
 *
 * Since: 1.0
 */
void
fs_cache_info_set_unlimited (FsCacheInfo *self)
{
  fs_cache_info_set_maximum_size (self, FS_CACHE_SIZE_UNLIMITED);
}

/**
 * fs_cache_info_has_version:
 * @self: an #FsCacheInfo
 *
 * Whether the on-disk format version is set.
 *
 * Returns: %TRUE if the version is set
 *
 * Since: 1.0
 */
gboolean
fs_cache_info_has_version (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->has_version;
}

/**
 * fs_cache_info_get_version:
 * @self: an #FsCacheInfo
 *
 * The version of the on-disk format of the cache; this library supports
 * %FS_CACHE_FORMAT_VERSION. When unset, 0.
 *
 * Returns: the version
 *
 * Since: 1.0
 */
gint64
fs_cache_info_get_version (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->has_version ? self->version : 0;
}

/**
 * fs_cache_info_set_version:
 * @self: an #FsCacheInfo
 * @version: a format version
 *
 * Sets the format version. Only useful to tests and tools: a cache refuses
 * to change the version of an incompatible cache.
 *
 * Since: 1.0
 */
void
fs_cache_info_set_version (FsCacheInfo *self, gint64 version)
{
  g_return_if_fail (self != NULL);
  self->has_version = TRUE;
  self->version = version;
}

/**
 * fs_cache_info_get_creation_boot_id:
 * @self: an #FsCacheInfo
 *
 * The boot id (see fs_cache_compute_boot_id()) recorded when the cache was
 * created, if any.
 *
 * Returns: (nullable): 32 lowercase hex digits, or %NULL
 *
 * Since: 1.0
 */
const char *
fs_cache_info_get_creation_boot_id (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->creation_boot_id;
}

static gboolean
is_boot_id (const char *s)
{
  if (s == NULL || strlen (s) != 32)
    return FALSE;
  for (int i = 0; i < 32; i++)
    if (!g_ascii_isxdigit (s[i]))
      return FALSE;
  return TRUE;
}

/**
 * fs_cache_info_set_creation_boot_id:
 * @self: an #FsCacheInfo
 * @boot_id: (nullable): 32 hex digits, or %NULL to unset
 *
 * Sets the creation boot id.
 *
 * Since: 1.0
 */
void
fs_cache_info_set_creation_boot_id (FsCacheInfo *self, const char *boot_id)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (boot_id == NULL || is_boot_id (boot_id));

  g_free (self->creation_boot_id);
  self->creation_boot_id = g_ascii_strdown (boot_id, -1);
}

/**
 * fs_cache_info_has_low_watermark:
 * @self: an #FsCacheInfo
 *
 * Whether the low watermark is set (key `fscache-low-watermark` of
 * `cache.info`, which osbuild ignores and keeps).
 *
 * Returns: %TRUE if the low watermark is set
 *
 * Since: 1.0
 */
gboolean
fs_cache_info_has_low_watermark (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->has_low_watermark;
}

/**
 * fs_cache_info_get_low_watermark:
 * @self: an #FsCacheInfo
 *
 * The low watermark in percent of the maximum size: when a commit does not
 * fit, least recently used entries are evicted until the cache, with the new
 * entry, uses at most this much, so the next stores fit without evicting
 * again. %FS_CACHE_DEFAULT_LOW_WATERMARK when unset.
 *
 * Returns: the low watermark, 1 to 100
 *
 * Since: 1.0
 */
guint
fs_cache_info_get_low_watermark (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FS_CACHE_DEFAULT_LOW_WATERMARK);
  return self->has_low_watermark ? self->low_watermark : FS_CACHE_DEFAULT_LOW_WATERMARK;
}

/**
 * fs_cache_info_set_low_watermark:
 * @self: an #FsCacheInfo
 * @percent: 1 to 100
 *
 * Sets the low watermark.
 *
 * Since: 1.0
 */
void
fs_cache_info_set_low_watermark (FsCacheInfo *self, guint percent)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (percent >= 1 && percent <= 100);
  self->has_low_watermark = TRUE;
  self->low_watermark = percent;
}

/**
 * fs_cache_info_has_min_free_space:
 * @self: an #FsCacheInfo
 *
 * Whether a minimum of free space is set (key `fscache-min-free-space`).
 *
 * Returns: %TRUE if it is set
 *
 * Since: 1.0
 */
gboolean
fs_cache_info_has_min_free_space (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->has_min_free_space;
}

/**
 * fs_cache_info_get_min_free_space:
 * @self: an #FsCacheInfo
 * @out_is_percent: (out) (optional): whether the value is a percentage of
 *   the file system's size rather than bytes
 *
 * The space a commit leaves free on the cache's file system: below it, least
 * recently used entries are evicted, and an entry that can't be kept without
 * going below it is refused with %FS_CACHE_COMMIT_NO_SPACE. 0 when unset.
 *
 * Returns: bytes, or percent when *@out_is_percent
 *
 * Since: 1.0
 */
guint64
fs_cache_info_get_min_free_space (const FsCacheInfo *self, gboolean *out_is_percent)
{
  g_return_val_if_fail (self != NULL, 0);
  if (out_is_percent != NULL)
    *out_is_percent = self->has_min_free_space && self->min_free_is_percent;
  return self->has_min_free_space ? self->min_free_space : 0;
}

/**
 * fs_cache_info_set_min_free_space:
 * @self: an #FsCacheInfo
 * @value: bytes, or a percentage (0 to 100) when @is_percent
 * @is_percent: whether @value is a percentage of the file system's size
 *
 * Sets the minimum of free space.
 *
 * Since: 1.0
 */
void
fs_cache_info_set_min_free_space (FsCacheInfo *self, guint64 value, gboolean is_percent)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (!is_percent || value <= 100);
  self->has_min_free_space = TRUE;
  self->min_free_is_percent = is_percent;
  self->min_free_space = value;
}

/**
 * fs_cache_info_has_volatile:
 * @self: an #FsCacheInfo
 *
 * Whether the volatile setting is set (key `fscache-volatile`).
 *
 * Returns: %TRUE if it is set
 *
 * Since: 1.0
 */
gboolean
fs_cache_info_has_volatile (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->has_volatile;
}

/**
 * fs_cache_info_get_volatile:
 * @self: an #FsCacheInfo
 *
 * Whether the cache is volatile: commits skip the syncs that make an entry
 * survive a power cut. Right for a cache on tmpfs or in CI; by default a
 * cache is durable.
 *
 * Returns: %TRUE for a volatile cache
 *
 * Since: 1.0
 */
gboolean
fs_cache_info_get_volatile (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->has_volatile && self->is_volatile;
}

/**
 * fs_cache_info_set_volatile:
 * @self: an #FsCacheInfo
 * @is_volatile: whether commits may skip their syncs
 *
 * Sets the volatile setting.
 *
 * Since: 1.0
 */
void
fs_cache_info_set_volatile (FsCacheInfo *self, gboolean is_volatile)
{
  g_return_if_fail (self != NULL);
  self->has_volatile = TRUE;
  self->is_volatile = !!is_volatile;
}

/**
 * fs_cache_info_has_shared:
 * @self: an #FsCacheInfo
 *
 * Whether the shared setting is set (key `fscache-shared`).
 *
 * Returns: %TRUE if it is set
 *
 * Since: 1.0
 */
gboolean
fs_cache_info_has_shared (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->has_shared;
}

/**
 * fs_cache_info_get_shared:
 * @self: an #FsCacheInfo
 *
 * Whether the cache is shared by the users of a group: new files and
 * directories get the cache directory's group and group-writable modes,
 * whatever the umask. When unset, a cache is shared if its directory is
 * group-writable.
 *
 * Returns: %TRUE if the setting says shared
 *
 * Since: 1.0
 */
gboolean
fs_cache_info_get_shared (const FsCacheInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->has_shared && self->is_shared;
}

/**
 * fs_cache_info_set_shared:
 * @self: an #FsCacheInfo
 * @shared: whether the cache is shared by a group
 *
 * Sets the shared setting.
 *
 * Since: 1.0
 */
void
fs_cache_info_set_shared (FsCacheInfo *self, gboolean shared)
{
  g_return_if_fail (self != NULL);
  self->has_shared = TRUE;
  self->is_shared = !!shared;
}

/**
 * fs_cache_info_to_string:
 * @self: an #FsCacheInfo
 *
 * The set fields of @self as a JSON object, the way `cache.info` holds them.
 *
 * Returns: (transfer full): a JSON text
 *
 * Since: 1.0
 */
char *
fs_cache_info_to_string (const FsCacheInfo *self)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonGenerator) gen = json_generator_new ();

  g_return_val_if_fail (self != NULL, NULL);

  _fs_cache_info_merge_into_json (self, object);
  json_node_set_object (node, object);
  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

FsCacheInfoRemote *
_fs_cache_info_get_remote (FsCacheInfo *self)
{
  return &self->remote;
}

/* The JSON member @key when it is a string, else NULL. */
static const char *
string_member (JsonObject *object, const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* The JSON member @key when it is an integer from @min to @max. */
static gboolean
uint_member (JsonObject *object, const char *key, guint min, guint max, guint *out)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < min ||
      json_node_get_int (node) > max)
    return FALSE;
  *out = (guint) json_node_get_int (node);
  return TRUE;
}

/* The keys fscache-remote-*: a value that is not valid is left unset. */
static void
remote_from_json (FsCacheInfoRemote *remote, JsonObject *object)
{
  JsonNode *node;
  const char *s;

  if ((s = string_member (object, "fscache-remote-url")) != NULL && g_utf8_validate (s, -1, NULL))
    {
      remote->has_url = TRUE;
      remote->url = g_strdup (s);
    }
  if ((s = string_member (object, "fscache-remote-mode")) != NULL &&
      (g_str_equal (s, "read-write") || g_str_equal (s, "read-only")))
    {
      remote->has_mode = TRUE;
      remote->mode = g_str_equal (s, "read-only") ? FS_CACHE_REMOTE_MODE_READ_ONLY
                                                  : FS_CACHE_REMOTE_MODE_READ_WRITE;
    }
  if ((s = string_member (object, "fscache-remote-namespace")) != NULL &&
      g_utf8_validate (s, -1, NULL))
    {
      remote->has_namespace = TRUE;
      remote->namespace_ = g_strdup (s);
    }
  remote->has_timeout =
    uint_member (object, "fscache-remote-timeout", 1, G_MAXINT / 1000, &remote->timeout);
  remote->has_connections = uint_member (object, "fscache-remote-connections", 1,
                                         FS_CACHE_REMOTE_MAX_CONNECTIONS, &remote->connections);
  if ((s = string_member (object, "fscache-remote-credentials-file")) != NULL && *s != '\0')
    {
      remote->has_credentials_file = TRUE;
      remote->credentials_file = g_strdup (s);
    }
  node = json_object_get_member (object, "fscache-remote-zstd");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    {
      remote->has_zstd = TRUE;
      remote->zstd = json_node_get_boolean (node);
    }
}

static void
remote_merge_into_json (const FsCacheInfoRemote *remote, JsonObject *object)
{
  if (remote->has_url)
    json_object_set_string_member (object, "fscache-remote-url", remote->url);
  if (remote->has_mode)
    json_object_set_string_member (object, "fscache-remote-mode",
                                   remote->mode == FS_CACHE_REMOTE_MODE_READ_ONLY ? "read-only"
                                                                                  : "read-write");
  if (remote->has_namespace)
    json_object_set_string_member (object, "fscache-remote-namespace", remote->namespace_);
  if (remote->has_timeout)
    json_object_set_int_member (object, "fscache-remote-timeout", remote->timeout);
  if (remote->has_connections)
    json_object_set_int_member (object, "fscache-remote-connections", remote->connections);
  if (remote->has_credentials_file)
    json_object_set_string_member (object, "fscache-remote-credentials-file",
                                   remote->credentials_file);
  if (remote->has_zstd)
    json_object_set_boolean_member (object, "fscache-remote-zstd", remote->zstd);
}

FsCacheInfo *
_fs_cache_info_new_from_json (JsonObject *object)
{
  FsCacheInfo *self = fs_cache_info_new ();
  JsonNode *node;

  node = json_object_get_member (object, "version");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_INT64)
    fs_cache_info_set_version (self, json_node_get_int (node));

  node = json_object_get_member (object, "maximum-size");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
    {
      if (json_node_get_value_type (node) == G_TYPE_INT64)
        {
          /* osbuild reads a negative size as "nothing kept"; so do we. */
          gint64 v = json_node_get_int (node);
          fs_cache_info_set_maximum_size (self, v < 0 ? 0 : (guint64) v);
        }
      else if (json_node_get_value_type (node) == G_TYPE_STRING &&
               g_strcmp0 (json_node_get_string (node), "unlimited") == 0)
        fs_cache_info_set_maximum_size (self, FS_CACHE_SIZE_UNLIMITED);
    }

  node = json_object_get_member (object, "creation-boot-id");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING && is_boot_id (json_node_get_string (node)))
    fs_cache_info_set_creation_boot_id (self, json_node_get_string (node));

  node = json_object_get_member (object, "fscache-low-watermark");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_INT64 && json_node_get_int (node) >= 1 &&
      json_node_get_int (node) <= 100)
    fs_cache_info_set_low_watermark (self, (guint) json_node_get_int (node));

  node = json_object_get_member (object, "fscache-min-free-space");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
    {
      if (json_node_get_value_type (node) == G_TYPE_INT64 && json_node_get_int (node) >= 0)
        fs_cache_info_set_min_free_space (self, (guint64) json_node_get_int (node), FALSE);
      else if (json_node_get_value_type (node) == G_TYPE_STRING)
        {
          const char *s = json_node_get_string (node);
          char *end = NULL;
          guint64 v = g_ascii_strtoull (s, &end, 10);
          if (end != s && g_str_equal (end, "%") && v <= 100)
            fs_cache_info_set_min_free_space (self, v, TRUE);
        }
    }

  node = json_object_get_member (object, "fscache-volatile");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    fs_cache_info_set_volatile (self, json_node_get_boolean (node));

  node = json_object_get_member (object, "fscache-shared");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    fs_cache_info_set_shared (self, json_node_get_boolean (node));

  remote_from_json (&self->remote, object);
  return self;
}

void
_fs_cache_info_merge_into_json (const FsCacheInfo *self, JsonObject *object)
{
  if (self->has_version)
    json_object_set_int_member (object, "version", self->version);
  if (self->creation_boot_id != NULL)
    json_object_set_string_member (object, "creation-boot-id", self->creation_boot_id);
  if (self->has_maximum_size)
    {
      if (self->maximum_size == FS_CACHE_SIZE_UNLIMITED)
        json_object_set_string_member (object, "maximum-size", "unlimited");
      else if (self->maximum_size > G_MAXINT64)
        json_object_set_int_member (object, "maximum-size", G_MAXINT64);
      else
        json_object_set_int_member (object, "maximum-size", (gint64) self->maximum_size);
    }
  if (self->has_low_watermark)
    json_object_set_int_member (object, "fscache-low-watermark", self->low_watermark);
  if (self->has_min_free_space)
    {
      if (self->min_free_is_percent)
        {
          g_autofree char *s = g_strdup_printf ("%" G_GUINT64_FORMAT "%%", self->min_free_space);
          json_object_set_string_member (object, "fscache-min-free-space", s);
        }
      else
        json_object_set_int_member (object, "fscache-min-free-space",
                                    (gint64) MIN (self->min_free_space, (guint64) G_MAXINT64));
    }
  if (self->has_volatile)
    json_object_set_boolean_member (object, "fscache-volatile", self->is_volatile);
  if (self->has_shared)
    json_object_set_boolean_member (object, "fscache-shared", self->is_shared);
  remote_merge_into_json (&self->remote, object);
}

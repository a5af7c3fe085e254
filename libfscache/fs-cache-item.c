/* fs-cache-item.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "fs-cache-item-private.h"

/**
 * FsCacheItem:
 *
 * What [method@FsCache.Cache.list] reports of one committed entry: its name,
 * size, last use and creation boot id, as they were when listed. An item
 * holds no lock: the entry may be gone by the time it is read.
 *
 * Since: 1.0
 */

struct _FsCacheItem {
  GObject parent_instance;

  char *name;
  guint64 size;
  GDateTime *last_used;
  char *creation_boot_id;
  char *tree_digest;
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_SIZE,
  PROP_LAST_USED,
  PROP_CREATION_BOOT_ID,
  PROP_TREE_DIGEST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FsCacheItem, fs_cache_item, G_TYPE_OBJECT)

static void
fs_cache_item_finalize (GObject *object)
{
  FsCacheItem *self = FS_CACHE_ITEM (object);

  g_free (self->name);
  g_free (self->creation_boot_id);
  g_free (self->tree_digest);
  g_clear_pointer (&self->last_used, g_date_time_unref);

  G_OBJECT_CLASS (fs_cache_item_parent_class)->finalize (object);
}

static void
fs_cache_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FsCacheItem *self = FS_CACHE_ITEM (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_SIZE:
      g_value_set_uint64 (value, self->size);
      break;
    case PROP_LAST_USED:
      g_value_set_boxed (value, self->last_used);
      break;
    case PROP_CREATION_BOOT_ID:
      g_value_set_string (value, self->creation_boot_id);
      break;
    case PROP_TREE_DIGEST:
      g_value_set_string (value, self->tree_digest);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fs_cache_item_class_init (FsCacheItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fs_cache_item_finalize;
  object_class->get_property = fs_cache_item_get_property;

  /**
   * FsCacheItem:name:
   *
   * The name of the entry.
   *
   * Since: 1.0
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheItem:size:
   *
   * The space the entry uses, in bytes, as accounted.
   *
   * Since: 1.0
   */
  properties[PROP_SIZE] = g_param_spec_uint64 ("size", NULL, NULL, 0, G_MAXUINT64, 0,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheItem:last-used:
   *
   * When the entry was last loaded (or committed).
   *
   * Since: 1.0
   */
  properties[PROP_LAST_USED] = g_param_spec_boxed ("last-used", NULL, NULL, G_TYPE_DATE_TIME,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheItem:creation-boot-id:
   *
   * The boot id of the process that committed the entry, if recorded.
   *
   * Since: 1.0
   */
  properties[PROP_CREATION_BOOT_ID] =
    g_param_spec_string ("creation-boot-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheItem:tree-digest:
   *
   * The entry's tree digest (see [property@FsCache.CacheEntry:tree-digest]),
   * or %NULL when it has no manifest.
   *
   * Since: 1.1
   */
  properties[PROP_TREE_DIGEST] = g_param_spec_string ("tree-digest", NULL, NULL, NULL,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fs_cache_item_init (FsCacheItem *self)
{
}

FsCacheItem *
_fs_cache_item_new (const char *name, guint64 size, gint64 last_used_usec, const char *boot_id)
{
  FsCacheItem *self = g_object_new (FS_TYPE_CACHE_ITEM, NULL);
  g_autoptr (GDateTime) secs = g_date_time_new_from_unix_utc (last_used_usec / G_USEC_PER_SEC);

  self->name = g_strdup (name);
  self->size = size;
  self->last_used = g_date_time_add (secs, last_used_usec % G_USEC_PER_SEC);
  self->creation_boot_id = g_strdup (boot_id);
  return self;
}

/**
 * fs_cache_item_get_name:
 * @self: an #FsCacheItem
 *
 * The name of the entry.
 *
 * Returns: the name
 *
 * Since: 1.0
 */
const char *
fs_cache_item_get_name (FsCacheItem *self)
{
  g_return_val_if_fail (FS_IS_CACHE_ITEM (self), NULL);
  return self->name;
}

/**
 * fs_cache_item_get_size:
 * @self: an #FsCacheItem
 *
 * The space the entry uses, as accounted in the cache.
 *
 * Returns: the size in bytes
 *
 * Since: 1.0
 */
guint64
fs_cache_item_get_size (FsCacheItem *self)
{
  g_return_val_if_fail (FS_IS_CACHE_ITEM (self), 0);
  return self->size;
}

/**
 * fs_cache_item_get_last_used:
 * @self: an #FsCacheItem
 *
 * When the entry was last used: eviction removes the least recently used
 * entries first.
 *
 * Returns: (transfer none): the time of the last use
 *
 * Since: 1.0
 */
GDateTime *
fs_cache_item_get_last_used (FsCacheItem *self)
{
  g_return_val_if_fail (FS_IS_CACHE_ITEM (self), NULL);
  return self->last_used;
}

/**
 * fs_cache_item_get_creation_boot_id:
 * @self: an #FsCacheItem
 *
 * The boot id recorded in the entry's `object.info`.
 *
 * Returns: (nullable): 32 hex digits, or %NULL if none was recorded
 *
 * Since: 1.0
 */
const char *
fs_cache_item_get_creation_boot_id (FsCacheItem *self)
{
  g_return_val_if_fail (FS_IS_CACHE_ITEM (self), NULL);
  return self->creation_boot_id;
}

void
_fs_cache_item_set_tree_digest (FsCacheItem *self, const char *tree_digest)
{
  g_free (self->tree_digest);
  self->tree_digest = g_strdup (tree_digest);
}

/**
 * fs_cache_item_get_tree_digest:
 * @self: an #FsCacheItem
 *
 * The entry's tree digest: see [property@FsCache.CacheItem:tree-digest].
 *
 * Returns: (nullable): 64 lowercase hex digits, or %NULL
 *
 * Since: 1.1
 */
const char *
fs_cache_item_get_tree_digest (FsCacheItem *self)
{
  g_return_val_if_fail (FS_IS_CACHE_ITEM (self), NULL);
  return self->tree_digest;
}

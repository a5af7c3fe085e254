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
 * size, last use, creation boot id and pin, as they were when listed. An
 * item holds no lock: the entry may be gone by the time it is read.
 *
 * [method@FsCache.Cache.describe] reports more of one entry: whether it is
 * in use, when it was committed, whether it has a manifest and its tree
 * digest. [method@FsCache.Cache.prune_full] reports what it did with each
 * entry it considered in [property@FsCache.CacheItem:prune-outcome].
 *
 * Since: 1.0
 */

struct _FsCacheItem {
  GObject parent_instance;

  char *name;
  guint64 size;
  GDateTime *last_used;
  char *creation_boot_id;
  gboolean pinned;
  gboolean in_use;
  GDateTime *created;
  gboolean has_manifest;
  char *tree_digest;
  FsCachePruneOutcome prune_outcome;
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_SIZE,
  PROP_LAST_USED,
  PROP_CREATION_BOOT_ID,
  PROP_PINNED,
  PROP_IN_USE,
  PROP_CREATED,
  PROP_HAS_MANIFEST,
  PROP_TREE_DIGEST,
  PROP_PRUNE_OUTCOME,
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
  g_clear_pointer (&self->created, g_date_time_unref);

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
    case PROP_PINNED:
      g_value_set_boolean (value, self->pinned);
      break;
    case PROP_IN_USE:
      g_value_set_boolean (value, self->in_use);
      break;
    case PROP_CREATED:
      g_value_set_boxed (value, self->created);
      break;
    case PROP_HAS_MANIFEST:
      g_value_set_boolean (value, self->has_manifest);
      break;
    case PROP_TREE_DIGEST:
      g_value_set_string (value, self->tree_digest);
      break;
    case PROP_PRUNE_OUTCOME:
      g_value_set_enum (value, self->prune_outcome);
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
   * FsCacheItem:pinned:
   *
   * Whether the entry is pinned: eviction and prunes leave it alone (see
   * [method@FsCache.Cache.pin]).
   *
   * Since: 1.1
   */
  properties[PROP_PINNED] =
    g_param_spec_boolean ("pinned", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheItem:in-use:
   *
   * Whether a process held the entry's lock — had it loaded, or was
   * removing it — when it was described ([method@FsCache.Cache.describe]),
   * or when a prune skipped it. Lists do not ask (it would cost a look at
   * every entry's lock): %FALSE in the items of [method@FsCache.Cache.list].
   *
   * Since: 1.1
   */
  properties[PROP_IN_USE] =
    g_param_spec_boolean ("in-use", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheItem:created:
   *
   * When the entry was committed (the time its `object.info` was
   * written), as [method@FsCache.Cache.describe] finds it; %NULL in lists.
   *
   * Since: 1.1
   */
  properties[PROP_CREATED] = g_param_spec_boxed ("created", NULL, NULL, G_TYPE_DATE_TIME,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheItem:has-manifest:
   *
   * Whether the entry carries a manifest (`object.manifest`: its tree with
   * the digest of every file, named by the tree digest in its
   * `object.info`). Entries committed by osbuild have none.
   *
   * Since: 1.1
   */
  properties[PROP_HAS_MANIFEST] = g_param_spec_boolean ("has-manifest", NULL, NULL, FALSE,
                                                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheItem:tree-digest:
   *
   * The digest of the entry's tree (the SHA-256 of its manifest, 64 hex
   * digits; see [property@FsCache.CacheEntry:tree-digest]) when its
   * `object.info` records one; %NULL for an entry without a manifest.
   *
   * Since: 1.1
   */
  properties[PROP_TREE_DIGEST] = g_param_spec_string ("tree-digest", NULL, NULL, NULL,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheItem:prune-outcome:
   *
   * What [method@FsCache.Cache.prune_full] did with the entry;
   * %FS_CACHE_PRUNE_OUTCOME_NONE for items that come from elsewhere.
   *
   * Since: 1.1
   */
  properties[PROP_PRUNE_OUTCOME] =
    g_param_spec_enum ("prune-outcome", NULL, NULL, FS_TYPE_CACHE_PRUNE_OUTCOME,
                       FS_CACHE_PRUNE_OUTCOME_NONE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

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

void
_fs_cache_item_set_pinned (FsCacheItem *self, gboolean pinned)
{
  self->pinned = pinned;
}

void
_fs_cache_item_set_details (FsCacheItem *self,
                            gboolean in_use,
                            gint64 created_usec,
                            gboolean has_manifest,
                            const char *tree_digest)
{
  self->in_use = in_use;
  g_clear_pointer (&self->created, g_date_time_unref);
  if (created_usec > 0)
    {
      g_autoptr (GDateTime) secs = g_date_time_new_from_unix_utc (created_usec / G_USEC_PER_SEC);
      self->created = g_date_time_add (secs, created_usec % G_USEC_PER_SEC);
    }
  self->has_manifest = has_manifest;
  g_free (self->tree_digest);
  self->tree_digest = g_strdup (tree_digest);
}

void
_fs_cache_item_set_tree_digest (FsCacheItem *self, const char *tree_digest)
{
  g_free (self->tree_digest);
  self->tree_digest = g_strdup (tree_digest);
  self->has_manifest = tree_digest != NULL;
}

void
_fs_cache_item_set_prune_outcome (FsCacheItem *self, FsCachePruneOutcome outcome)
{
  self->prune_outcome = outcome;
  self->in_use = outcome == FS_CACHE_PRUNE_OUTCOME_SKIPPED_IN_USE;
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

/**
 * fs_cache_item_get_pinned:
 * @self: an #FsCacheItem
 *
 * Whether the entry is pinned: see [property@FsCache.CacheItem:pinned].
 *
 * Returns: %TRUE if it is pinned
 *
 * Since: 1.1
 */
gboolean
fs_cache_item_get_pinned (FsCacheItem *self)
{
  g_return_val_if_fail (FS_IS_CACHE_ITEM (self), FALSE);
  return self->pinned;
}

/**
 * fs_cache_item_get_in_use:
 * @self: an #FsCacheItem
 *
 * Whether the entry was in use: see [property@FsCache.CacheItem:in-use].
 *
 * Returns: %TRUE if a process held its lock
 *
 * Since: 1.1
 */
gboolean
fs_cache_item_get_in_use (FsCacheItem *self)
{
  g_return_val_if_fail (FS_IS_CACHE_ITEM (self), FALSE);
  return self->in_use;
}

/**
 * fs_cache_item_get_created:
 * @self: an #FsCacheItem
 *
 * When the entry was committed: see [property@FsCache.CacheItem:created].
 *
 * Returns: (transfer none) (nullable): the time, or %NULL when not known
 *
 * Since: 1.1
 */
GDateTime *
fs_cache_item_get_created (FsCacheItem *self)
{
  g_return_val_if_fail (FS_IS_CACHE_ITEM (self), NULL);
  return self->created;
}

/**
 * fs_cache_item_get_has_manifest:
 * @self: an #FsCacheItem
 *
 * Whether the entry has a manifest: see
 * [property@FsCache.CacheItem:has-manifest].
 *
 * Returns: %TRUE if it has one
 *
 * Since: 1.1
 */
gboolean
fs_cache_item_get_has_manifest (FsCacheItem *self)
{
  g_return_val_if_fail (FS_IS_CACHE_ITEM (self), FALSE);
  return self->has_manifest;
}

/**
 * fs_cache_item_get_tree_digest:
 * @self: an #FsCacheItem
 *
 * The digest of the entry's tree: see
 * [property@FsCache.CacheItem:tree-digest].
 *
 * Returns: (nullable): 64 hex digits, or %NULL
 *
 * Since: 1.1
 */
const char *
fs_cache_item_get_tree_digest (FsCacheItem *self)
{
  g_return_val_if_fail (FS_IS_CACHE_ITEM (self), NULL);
  return self->tree_digest;
}

/**
 * fs_cache_item_get_prune_outcome:
 * @self: an #FsCacheItem
 *
 * What a prune did with the entry: see
 * [property@FsCache.CacheItem:prune-outcome].
 *
 * Returns: the outcome
 *
 * Since: 1.1
 */
FsCachePruneOutcome
fs_cache_item_get_prune_outcome (FsCacheItem *self)
{
  g_return_val_if_fail (FS_IS_CACHE_ITEM (self), FS_CACHE_PRUNE_OUTCOME_NONE);
  return self->prune_outcome;
}

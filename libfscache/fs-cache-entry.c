/* fs-cache-entry.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "fs-anon-private.h"
#include "fs-cache-private.h"
#include "fs-cache-transfer-private.h"
#include "fs-commit-private.h"
#include "fs-copy-private.h"
#include "fs-integrity-private.h"
#include "fs-flight-private.h"
#include "fs-remote-push-private.h"
#include "fs-tree-private.h"

/**
 * FsCacheEntry:
 *
 * An entry of an [class@FsCache.Cache], holding a lock on it until
 * released: a committed entry read-locked by [method@FsCache.Cache.load], an
 * anonymous entry being filled after [method@FsCache.Cache.store], or a
 * scratch entry from [method@FsCache.Cache.stage].
 *
 * The caller's tree lives in the directory of [method@FsCache.CacheEntry.get_file].
 * [method@FsCache.CacheEntry.release] gives the lock up and discards what was not
 * committed; it also happens when the last reference is dropped. An entry
 * may be released from any thread.
 *
 * Since: 1.0
 */

struct _FsCacheEntry {
  GObject parent_instance;

  FsStore *store;

  GMutex mutex; /* protects everything below */
  FsCacheEntryKind kind;
  FsHandle handle;   /* the entry's folder and its lock */
  char *name;        /* NULL while anonymous */
  char *target_name; /* the name a storing entry will be committed as */
  char *path;        /* .../AREA/DIR/data */
  GFile *file;       /* created on demand */
  gboolean released;
  gboolean incompatible;
  guint64 size;
  char *tree_digest;         /* of a committed entry with a manifest */
  FsCacheManifest *manifest; /* made while filling a storing entry, for its commit */
  GDateTime *last_used;
  GPtrArray *retired;  /* values getters returned before a commit, kept until finalize */
  char *restore_child; /* below data/, or "" for data/ itself */
  char *restore_path;  /* where a moved-in tree goes back if not stored */
  FsFlight flight;     /* held by an entry of fs_cache_load_or_store() until committed */
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_KIND,
  PROP_FILE,
  PROP_PATH,
  PROP_SIZE,
  PROP_LAST_USED,
  PROP_TREE_DIGEST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FsCacheEntry, fs_cache_entry, G_TYPE_OBJECT)

static void free_retired (GPtrArray *retired);

static void
fs_cache_entry_dispose (GObject *object)
{
  FsCacheEntry *self = FS_CACHE_ENTRY (object);

  fs_cache_entry_release (self);

  G_OBJECT_CLASS (fs_cache_entry_parent_class)->dispose (object);
}

static void
fs_cache_entry_finalize (GObject *object)
{
  FsCacheEntry *self = FS_CACHE_ENTRY (object);

  g_clear_pointer (&self->store, _fs_store_unref);
  g_clear_object (&self->file);
  g_clear_pointer (&self->retired, free_retired);
  g_clear_pointer (&self->last_used, g_date_time_unref);
  g_free (self->name);
  g_free (self->target_name);
  g_free (self->tree_digest);
  g_clear_object (&self->manifest);
  g_free (self->path);
  g_free (self->restore_child);
  g_free (self->restore_path);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (fs_cache_entry_parent_class)->finalize (object);
}

static void
fs_cache_entry_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FsCacheEntry *self = FS_CACHE_ENTRY (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, fs_cache_entry_get_name (self));
      break;
    case PROP_KIND:
      g_value_set_enum (value, fs_cache_entry_get_kind (self));
      break;
    case PROP_FILE:
      g_value_set_object (value, fs_cache_entry_get_file (self));
      break;
    case PROP_PATH:
      g_value_set_string (value, fs_cache_entry_get_path (self));
      break;
    case PROP_SIZE:
      g_value_set_uint64 (value, fs_cache_entry_get_size (self));
      break;
    case PROP_LAST_USED:
      g_value_set_boxed (value, fs_cache_entry_get_last_used (self));
      break;
    case PROP_TREE_DIGEST:
      g_value_set_string (value, fs_cache_entry_get_tree_digest (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fs_cache_entry_class_init (FsCacheEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fs_cache_entry_dispose;
  object_class->finalize = fs_cache_entry_finalize;
  object_class->get_property = fs_cache_entry_get_property;

  /**
   * FsCacheEntry:name:
   *
   * The name of a committed entry; %NULL for an anonymous one (storing or
   * staged).
   *
   * Since: 1.0
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheEntry:kind:
   *
   * What the entry is: loaded, storing or staged.
   *
   * Since: 1.0
   */
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, FS_TYPE_CACHE_ENTRY_KIND, FS_CACHE_ENTRY_KIND_LOADED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheEntry:file:
   *
   * The directory holding the entry's tree (`data/`).
   *
   * Since: 1.0
   */
  properties[PROP_FILE] = g_param_spec_object ("file", NULL, NULL, G_TYPE_FILE,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheEntry:path:
   *
   * The path of [property@FsCache.CacheEntry:file].
   *
   * Since: 1.0
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheEntry:size:
   *
   * The space the entry's tree uses, in bytes, as accounted in the cache;
   * 0 for an entry not committed.
   *
   * Since: 1.0
   */
  properties[PROP_SIZE] = g_param_spec_uint64 ("size", NULL, NULL, 0, G_MAXUINT64, 0,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheEntry:last-used:
   *
   * For a loaded entry, when it was used before this load (the time its
   * eviction order was based on); %NULL for other entries.
   *
   * Since: 1.0
   */
  properties[PROP_LAST_USED] = g_param_spec_boxed ("last-used", NULL, NULL, G_TYPE_DATE_TIME,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheEntry:tree-digest:
   *
   * For a committed entry, the tree digest: the SHA-256 of its manifest
   * (`object.manifest`), which names the content of its tree (see
   * [class@FsCache.CacheManifest]), as 64 lowercase hex digits; %NULL for
   * an entry without a manifest (stored by osbuild or libfscache 1.0) and
   * for an entry not committed.
   *
   * Since: 1.1
   */
  properties[PROP_TREE_DIGEST] = g_param_spec_string ("tree-digest", NULL, NULL, NULL,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fs_cache_entry_init (FsCacheEntry *self)
{
  g_mutex_init (&self->mutex);
  self->handle.lock.fd = -1;
  self->flight.lock.fd = -1;
}

/* What a getter returned stays valid until the entry is finalized, even
 * when a commit (possibly in another thread) replaces it. */
static void
retire (FsCacheEntry *self, gpointer data, GDestroyNotify free_func)
{
  if (data == NULL)
    return;
  if (self->retired == NULL)
    self->retired = g_ptr_array_new ();
  g_ptr_array_add (self->retired, data);
  g_ptr_array_set_free_func (self->retired, NULL);
  /* Each retired value is freed with its own function at finalize. */
  g_ptr_array_add (self->retired, free_func);
}

static void
free_retired (GPtrArray *retired)
{
  for (guint i = 0; i + 1 < retired->len; i += 2)
    ((GDestroyNotify) retired->pdata[i + 1]) (retired->pdata[i]);
  g_ptr_array_free (retired, TRUE);
}

static void
set_path_locked (FsCacheEntry *self)
{
  retire (self, self->path, g_free);
  self->path = g_build_filename (self->store->path, _fs_area_name (self->handle.area),
                                 self->handle.dir_name, FS_DIR_DATA, NULL);
  retire (self, self->file, g_object_unref);
  self->file = NULL;
}

FsCacheEntry *
_fs_cache_entry_new (FsStore *store,
                     FsCacheEntryKind kind,
                     FsHandle *handle,
                     const char *name,
                     guint64 size,
                     const char *tree_digest)
{
  FsCacheEntry *self = g_object_new (FS_TYPE_CACHE_ENTRY, NULL);

  self->store = _fs_store_ref (store);
  self->kind = kind;
  self->handle = *handle;
  handle->lock.fd = -1; /* ours now */
  self->size = size;
  self->tree_digest = g_strdup (tree_digest);
  set_path_locked (self);
  if (kind == FS_CACHE_ENTRY_KIND_LOADED)
    {
      g_autoptr (GDateTime) secs =
        g_date_time_new_from_unix_utc (self->handle.lock.st.st_atim.tv_sec);

      self->name = g_strdup (name);
      self->last_used = g_date_time_add (secs, self->handle.lock.st.st_atim.tv_nsec / 1000);
    }
  else if (kind == FS_CACHE_ENTRY_KIND_STORING)
    self->target_name = g_strdup (name);
  return self;
}

void
_fs_cache_entry_set_flight (FsCacheEntry *self, FsFlight *flight)
{
  g_mutex_lock (&self->mutex);
  self->flight = *flight;
  flight->lock.fd = -1; /* ours now */
  g_mutex_unlock (&self->mutex);
}

void
_fs_cache_entry_set_incompatible (FsCacheEntry *self, const char *target_name)
{
  g_mutex_lock (&self->mutex);
  self->kind = FS_CACHE_ENTRY_KIND_STORING;
  self->incompatible = TRUE;
  g_free (self->target_name);
  self->target_name = g_strdup (target_name);
  g_mutex_unlock (&self->mutex);
}

gboolean
_fs_cache_entry_import (FsCacheEntry *self,
                        const char *source,
                        FsCacheStoreFlags flags,
                        GFileProgressCallback progress,
                        gpointer progress_data,
                        FsImportResult *out_result,
                        GCancellable *cancellable,
                        GError **error)
{
  gboolean ok;

  /* Not under the mutex: a copy takes long, and getters must answer
   * meanwhile. The handle of a storing entry changes only at its commit. */
  ok = _fs_import_tree (self->store, &self->handle, source, flags, progress, progress_data,
                        out_result, cancellable, error);
  if (ok && out_result->manifest != NULL)
    {
      g_mutex_lock (&self->mutex);
      g_set_object (&self->manifest, out_result->manifest);
      g_mutex_unlock (&self->mutex);
    }
  if (ok && out_result->moved_from != NULL)
    {
      g_mutex_lock (&self->mutex);
      g_free (self->restore_child);
      g_free (self->restore_path);
      self->restore_child = g_strdup (out_result->moved_child);
      self->restore_path = g_strdup (out_result->moved_from);
      g_mutex_unlock (&self->mutex);
    }
  return ok;
}

/**
 * fs_cache_entry_get_name:
 * @self: an #FsCacheEntry
 *
 * The name of a committed entry.
 *
 * Returns: (nullable): the name, or %NULL for an anonymous entry
 *
 * Since: 1.0
 */
const char *
fs_cache_entry_get_name (FsCacheEntry *self)
{
  const char *name;

  g_return_val_if_fail (FS_IS_CACHE_ENTRY (self), NULL);

  g_mutex_lock (&self->mutex);
  name = self->name;
  g_mutex_unlock (&self->mutex);
  return name;
}

/**
 * fs_cache_entry_get_kind:
 * @self: an #FsCacheEntry
 *
 * What the entry is.
 *
 * Returns: the kind of the entry
 *
 * Since: 1.0
 */
FsCacheEntryKind
fs_cache_entry_get_kind (FsCacheEntry *self)
{
  FsCacheEntryKind kind;

  g_return_val_if_fail (FS_IS_CACHE_ENTRY (self), FS_CACHE_ENTRY_KIND_LOADED);

  g_mutex_lock (&self->mutex);
  kind = self->kind;
  g_mutex_unlock (&self->mutex);
  return kind;
}

/**
 * fs_cache_entry_get_file:
 * @self: an #FsCacheEntry
 *
 * The directory holding the entry's tree. Fill it before the commit of a
 * storing entry; don't change it in a loaded entry.
 *
 * Returns: (transfer none): the data directory
 *
 * Since: 1.0
 */
GFile *
fs_cache_entry_get_file (FsCacheEntry *self)
{
  GFile *file;

  g_return_val_if_fail (FS_IS_CACHE_ENTRY (self), NULL);

  g_mutex_lock (&self->mutex);
  if (self->file == NULL)
    self->file = g_file_new_for_path (self->path);
  file = self->file;
  g_mutex_unlock (&self->mutex);
  return file;
}

/**
 * fs_cache_entry_get_path:
 * @self: an #FsCacheEntry
 *
 * The path of the directory holding the entry's tree.
 *
 * Returns: (type filename): the path of the data directory
 *
 * Since: 1.0
 */
const char *
fs_cache_entry_get_path (FsCacheEntry *self)
{
  const char *path;

  g_return_val_if_fail (FS_IS_CACHE_ENTRY (self), NULL);

  g_mutex_lock (&self->mutex);
  path = self->path;
  g_mutex_unlock (&self->mutex);
  return path;
}

/**
 * fs_cache_entry_get_size:
 * @self: an #FsCacheEntry
 *
 * The space used by a committed entry, as accounted by the cache.
 *
 * Returns: the size in bytes; 0 for an entry not committed
 *
 * Since: 1.0
 */
guint64
fs_cache_entry_get_size (FsCacheEntry *self)
{
  guint64 size;

  g_return_val_if_fail (FS_IS_CACHE_ENTRY (self), 0);

  g_mutex_lock (&self->mutex);
  size = self->size;
  g_mutex_unlock (&self->mutex);
  return size;
}

/**
 * fs_cache_entry_get_last_used:
 * @self: an #FsCacheEntry
 *
 * When a loaded entry was used before this load.
 *
 * Returns: (nullable) (transfer none): the time of the previous use, or
 *   %NULL for an entry that is not loaded
 *
 * Since: 1.0
 */
GDateTime *
fs_cache_entry_get_last_used (FsCacheEntry *self)
{
  GDateTime *dt;

  g_return_val_if_fail (FS_IS_CACHE_ENTRY (self), NULL);

  g_mutex_lock (&self->mutex);
  dt = self->last_used;
  g_mutex_unlock (&self->mutex);
  return dt;
}

/**
 * fs_cache_entry_get_tree_digest:
 * @self: an #FsCacheEntry
 *
 * The tree digest of a committed entry: see
 * [property@FsCache.CacheEntry:tree-digest].
 *
 * Returns: (nullable): 64 lowercase hex digits, or %NULL when the entry has
 *   no manifest or is not committed
 *
 * Since: 1.1
 */
const char *
fs_cache_entry_get_tree_digest (FsCacheEntry *self)
{
  const char *digest;

  g_return_val_if_fail (FS_IS_CACHE_ENTRY (self), NULL);

  g_mutex_lock (&self->mutex);
  digest = self->kind == FS_CACHE_ENTRY_KIND_LOADED ? self->tree_digest : NULL;
  g_mutex_unlock (&self->mutex);
  return digest;
}

/* The handle and digest of a loaded entry (which never change until it is
 * released: releasing it from another thread meanwhile is the caller's
 * bug, like closing a file that another thread reads). */
static gboolean
check_loaded (FsCacheEntry *self, FsHandle *out_handle, char **out_digest, GError **error)
{
  gboolean ok;

  g_mutex_lock (&self->mutex);
  ok = !self->released && self->kind == FS_CACHE_ENTRY_KIND_LOADED;
  if (ok)
    {
      *out_handle = self->handle;
      *out_digest = g_strdup (self->tree_digest);
    }
  g_mutex_unlock (&self->mutex);
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 _ ("The entry is not a loaded entry (released, or not committed)"));
  return ok;
}

/**
 * fs_cache_entry_read_manifest:
 * @self: a loaded #FsCacheEntry
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads the manifest of a committed entry (`object.manifest`), checked
 * against the entry's tree digest.
 *
 * Returns: (transfer full): the manifest, or %NULL with @error set:
 *   %FS_CACHE_ERROR_NO_MANIFEST for an entry stored without one (by osbuild
 *   or libfscache 1.0), %FS_CACHE_ERROR_CORRUPT for one that is missing,
 *   does not parse or is not the entry's
 *
 * Since: 1.1
 */
FsCacheManifest *
fs_cache_entry_read_manifest (FsCacheEntry *self, GCancellable *cancellable, GError **error)
{
  g_autofree char *digest = NULL;
  FsHandle handle;

  g_return_val_if_fail (FS_IS_CACHE_ENTRY (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (_fs_cancellable_set_error (cancellable, error) ||
      !check_loaded (self, &handle, &digest, error))
    return NULL;
  return _fs_integrity_read_manifest (self->store, &handle, digest, error);
}

/**
 * fs_cache_entry_verify:
 * @self: a loaded #FsCacheEntry
 * @out_differences: (out) (optional) (transfer full): every difference
 *   found, a list of [class@FsCache.CacheDifference] in the order of their
 *   paths (empty when the entry is intact)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Re-hashes the entry's tree against its manifest, on all cores, and
 * compares every node: content, type, mode, owner, symbolic link target,
 * extended attributes, device numbers, hard links, missing and extra
 * nodes. The entry stays read-locked meanwhile, so it can't change under
 * a check by this library or osbuild.
 *
 * In a binding, where a call that fails returns no out argument, the
 * differences of a corrupt entry are the result of
 * fs_cache_entry_list_differences().
 *
 * Returns: %TRUE when the entry is intact; %FALSE with @error set to
 *   %FS_CACHE_ERROR_CORRUPT naming the first difference (all of them in
 *   @out_differences), to %FS_CACHE_ERROR_NO_MANIFEST for an entry without
 *   a manifest, or to another error when the check could not be done
 *
 * Since: 1.1
 */
gboolean
fs_cache_entry_verify (FsCacheEntry *self,
                       GListModel **out_differences,
                       GCancellable *cancellable,
                       GError **error)
{
  g_autoptr (GPtrArray) differences = NULL;
  g_autofree char *digest = NULL;
  FsHandle handle;
  gboolean ok;

  g_return_val_if_fail (FS_IS_CACHE_ENTRY (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (out_differences != NULL)
    *out_differences = NULL;
  if (_fs_cancellable_set_error (cancellable, error) ||
      !check_loaded (self, &handle, &digest, error))
    return FALSE;
  ok = _fs_integrity_verify (self->store, &handle, digest, NULL, NULL, &differences, cancellable,
                             error);
  if (out_differences != NULL && differences != NULL)
    {
      GListStore *list = g_list_store_new (FS_TYPE_CACHE_DIFFERENCE);

      for (guint i = 0; i < differences->len; i++)
        g_list_store_append (list, differences->pdata[i]);
      *out_differences = G_LIST_MODEL (list);
    }
  return ok;
}

/**
 * fs_cache_entry_list_differences:
 * @self: a loaded #FsCacheEntry
 * @progress: (nullable) (scope call) (closure progress_data): called in this
 *   thread with the bytes re-hashed so far and the total (the bytes of the
 *   entry's regular files, as its manifest records them)
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Checks the entry's tree against its manifest as fs_cache_entry_verify()
 * does, and returns what differs instead of failing on it: a corrupt entry
 * is a result here, not an error. Bindings, where a call that fails gives
 * back no out argument, get the differences this way; tools get progress.
 *
 * Returns: (transfer full): every difference found, a list of
 *   [class@FsCache.CacheDifference] in the order of their paths (empty when
 *   the entry is intact); %NULL with @error set when the entry could not be
 *   checked: %FS_CACHE_ERROR_NO_MANIFEST for an entry without a manifest,
 *   %FS_CACHE_ERROR_CORRUPT for a manifest that is missing, does not parse
 *   or is not the entry's, %FS_CACHE_ERROR_INCOMPATIBLE for a manifest of
 *   a newer format, or another error (cancelled, out of file descriptors…).
 *   Nodes that could not be read are differences of kind
 *   %FS_CACHE_DIFFERENCE_UNREADABLE.
 *
 * Since: 1.1
 */
GListModel *
fs_cache_entry_list_differences (FsCacheEntry *self,
                                 GFileProgressCallback progress,
                                 gpointer progress_data,
                                 GCancellable *cancellable,
                                 GError **error)
{
  g_autoptr (GPtrArray) differences = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *digest = NULL;
  GListStore *list;
  FsHandle handle;

  g_return_val_if_fail (FS_IS_CACHE_ENTRY (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (_fs_cancellable_set_error (cancellable, error) ||
      !check_loaded (self, &handle, &digest, error))
    return NULL;
  if (!_fs_integrity_verify (self->store, &handle, digest, progress, progress_data, &differences,
                             cancellable, &local_error) &&
      differences == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  list = g_list_store_new (FS_TYPE_CACHE_DIFFERENCE);
  for (guint i = 0; i < differences->len; i++)
    g_list_store_append (list, differences->pdata[i]);
  return G_LIST_MODEL (list);
}

/**
 * fs_cache_entry_push:
 * @self: a loaded #FsCacheEntry
 * @progress: (nullable) (scope call) (closure progress_data): called with
 *   the bytes of file contents handled so far (sent, or found on the
 *   server) and their total
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Uploads the entry to the remote of its cache, while it stays read-locked
 * (so whole and unchanged): every file content the server does not have
 * yet (asked with a `HEAD` first; each content once, however many files
 * have it), then the entry's manifest, then the small `ac` document that
 * names the manifest under the entry's name — in that order, so that a
 * reader never finds a name whose contents are missing. An entry the
 * server has already costs a `HEAD` per content and sends nothing.
 *
 * This is the write-through of a store: after fs_cache_entry_commit()
 * returned %FS_CACHE_COMMIT_STORED the entry is a loaded entry and can be
 * pushed at once. A failure of the remote leaves the local cache as it is:
 * the entry stays stored.
 *
 * Only an entry with a manifest can be pushed (every entry committed by
 * libfscache 1.1 has one; give older ones one with
 * fs_cache_add_manifest()). This sends data over the network: see
 * [method@FsCache.Cache.push] for the configuration it reads.
 *
 * Returns: (transfer full): what was sent, or %NULL with @error set:
 *   %FS_CACHE_ERROR_NO_REMOTE when the cache has no remote or it is
 *   read-only, %FS_CACHE_ERROR_NO_MANIFEST, or the error of the transfer
 *   that failed (a %G_IO_ERROR naming the URL)
 *
 * Since: 1.1
 */
FsCacheTransfer *
fs_cache_entry_push (FsCacheEntry *self,
                     GFileProgressCallback progress,
                     gpointer progress_data,
                     GCancellable *cancellable,
                     GError **error)
{
  g_auto (FsRemote) remote = { NULL };
  g_autofree char *digest = NULL;
  FsRemoteStats stats;
  FsHandle handle;
  const char *name;

  g_return_val_if_fail (FS_IS_CACHE_ENTRY (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (_fs_cancellable_set_error (cancellable, error) ||
      !check_loaded (self, &handle, &digest, error) || !_fs_store_check_open (self->store, error) ||
      !_fs_remote_open (self->store, &remote, error))
    return NULL;
  name = fs_cache_entry_get_name (self);
  if (!_fs_remote_push (&remote, self->store, &handle, name, digest, progress, progress_data,
                        &stats, cancellable, error))
    return NULL;
  stats.status = FS_CACHE_COMMIT_STORED;
  return _fs_cache_transfer_new (name, remote.url, &stats);
}

/**
 * fs_cache_entry_is_released:
 * @self: an #FsCacheEntry
 *
 * Whether the entry was released, by fs_cache_entry_release() or by a
 * commit that did not store it.
 *
 * Returns: %TRUE if the entry holds no lock any more
 *
 * Since: 1.0
 */
gboolean
fs_cache_entry_is_released (FsCacheEntry *self)
{
  gboolean released;

  g_return_val_if_fail (FS_IS_CACHE_ENTRY (self), TRUE);

  g_mutex_lock (&self->mutex);
  released = self->released;
  g_mutex_unlock (&self->mutex);
  return released;
}

static void
release_locked (FsCacheEntry *self)
{
  if (self->released)
    return;
  self->released = TRUE;

  if (self->kind != FS_CACHE_ENTRY_KIND_LOADED && self->restore_path != NULL)
    {
      int area_fd = _fs_store_area_fd (self->store, self->handle.area);
      g_autofree char *from =
        g_build_filename (self->handle.dir_name, FS_DIR_DATA, self->restore_child, NULL);

      if (renameat (area_fd, from, AT_FDCWD, self->restore_path) < 0)
        g_warning (_ ("Could not move %s back to %s: %s"), from, self->restore_path,
                   g_strerror (errno));
    }
  if (self->kind != FS_CACHE_ENTRY_KIND_LOADED)
    _fs_anon_discard (self->store, &self->handle);
  _fs_lock_clear (&self->handle.lock);
  /* After the discard: the next builder starts from a clean slate. */
  _fs_flight_land (self->store, &self->flight);
}

/**
 * fs_cache_entry_release:
 * @self: an #FsCacheEntry
 *
 * Gives up the entry's lock. A storing entry that was not committed and a
 * staged entry are deleted. Releasing twice is harmless; dropping the last
 * reference releases.
 *
 * Since: 1.0
 */
void
fs_cache_entry_release (FsCacheEntry *self)
{
  g_return_if_fail (FS_IS_CACHE_ENTRY (self));

  g_mutex_lock (&self->mutex);
  release_locked (self);
  g_mutex_unlock (&self->mutex);
}

/* The counter of the statistics (fs-stats.c) a commit status adds to. */
static FsStat
commit_stat (FsCacheCommitStatus status)
{
  switch (status)
    {
    case FS_CACHE_COMMIT_STORED:
      return FS_STAT_STORED;
    case FS_CACHE_COMMIT_EXISTS:
      return FS_STAT_EXISTS;
    case FS_CACHE_COMMIT_TOO_LARGE:
      return FS_STAT_TOO_LARGE;
    case FS_CACHE_COMMIT_NO_SPACE:
      return FS_STAT_NO_SPACE;
    case FS_CACHE_COMMIT_INCOMPATIBLE:
    default:
      return FS_STAT_INCOMPATIBLE;
    }
}

static gboolean
commit_locked (FsCacheEntry *self,
               FsCacheCommitStatus *out_status,
               GCancellable *cancellable,
               GError **error)
{
  FsCacheCommitStatus status = FS_CACHE_COMMIT_INCOMPATIBLE;
  FsCommitResult result = { 0 };
  gboolean ok = TRUE;

  if (!self->incompatible)
    {
      if (!_fs_store_check_open (self->store, error) ||
          _fs_cancellable_set_error (cancellable, error))
        {
          release_locked (self);
          return FALSE;
        }
      ok = _fs_commit (self->store, &self->handle, self->target_name, self->manifest, &status,
                       &result, cancellable, error);
      g_clear_object (&self->manifest);
    }

  if (status == FS_CACHE_COMMIT_STORED)
    {
      /* A loaded entry now (even when syncing it failed: it is in the
       * cache, and the error says it may not survive a power cut). */
      self->kind = FS_CACHE_ENTRY_KIND_LOADED;
      self->size = result.size;
      self->tree_digest = g_strdup (result.tree_digest);
      g_clear_pointer (&self->restore_path, g_free);
      self->name = g_steal_pointer (&self->target_name);
      set_path_locked (self);
      retire (self, g_steal_pointer (&self->last_used), (GDestroyNotify) g_date_time_unref);
      self->last_used = g_date_time_new_now_utc ();
    }
  g_debug ("commit as %s: status %d", self->name != NULL ? self->name : self->target_name,
           (int) status);
  if (ok)
    _fs_stats_add (self->store->stats, commit_stat (status), 1);
  if (!ok || status != FS_CACHE_COMMIT_STORED)
    release_locked (self);
  /* Stored or not, the waiters may go on: they load the entry or build. */
  _fs_flight_land (self->store, &self->flight);
  if (ok && out_status != NULL)
    *out_status = status;
  return ok;
}

/**
 * fs_cache_entry_commit:
 * @self: an #FsCacheEntry from fs_cache_store()
 * @out_status: (out) (optional): what the commit did
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Publishes a storing entry under its name: its size is computed, its
 * metadata written and accounted, and the entry renamed in one atomic step.
 * Readers see the whole entry or nothing.
 *
 * The cache may decline to keep the entry, which is not an error: @out_status
 * tells. On %FS_CACHE_COMMIT_STORED the entry becomes a loaded entry, read-
 * locked until released; on any other status (and on error) it is released
 * and its data discarded.
 *
 * Returns: %TRUE with @out_status set, or %FALSE with @error set on a
 *   failure (the entry is then released)
 *
 * Since: 1.0
 */
gboolean
fs_cache_entry_commit (FsCacheEntry *self,
                       FsCacheCommitStatus *out_status,
                       GCancellable *cancellable,
                       GError **error)
{
  gboolean ok;

  g_return_val_if_fail (FS_IS_CACHE_ENTRY (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&self->mutex);
  if (self->kind != FS_CACHE_ENTRY_KIND_STORING || self->released)
    {
      g_mutex_unlock (&self->mutex);
      g_return_val_if_fail (self->kind == FS_CACHE_ENTRY_KIND_STORING, FALSE);
      g_return_val_if_fail (!self->released, FALSE);
      return FALSE;
    }
  ok = commit_locked (self, out_status, cancellable, error);
  g_mutex_unlock (&self->mutex);
  return ok;
}

/**
 * fs_cache_entry_export:
 * @self: an #FsCacheEntry
 * @destination: where the copy goes; it must not exist, its parent must
 * @flags: flags
 * @progress: (nullable) (scope call) (closure progress_data): called with the
 *   bytes copied so far and the total
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Copies the entry's tree out of the cache to the new directory
 * @destination, with the rules of fs_cache_store_tree(): each file
 * reflinked where the file system can, else copied with copy_file_range()
 * over its data extents, else read and written; types, modes, owners where
 * permitted, timestamps, extended attributes where supported and hard links
 * within the tree kept. @destination gets the mode, times and extended
 * attributes of the entry's data directory.
 *
 * The entry stays locked (and so whole) while it is copied. On failure or
 * cancellation nothing is left at @destination.
 *
 * Returns: %TRUE on success, %FALSE with @error set (%G_IO_ERROR_EXISTS
 *   when @destination exists)
 *
 * Since: 1.1
 */
gboolean
fs_cache_entry_export (FsCacheEntry *self,
                       GFile *destination,
                       FsCacheExportFlags flags,
                       GFileProgressCallback progress,
                       gpointer progress_data,
                       GCancellable *cancellable,
                       GError **error)
{
  g_autofree char *path = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *base = NULL;
  fs_autofd entry_fd = -1;
  fs_autofd parent_fd = -1;
  g_autofree char *tmp_name = NULL;
  FsCopyOptions copy = { 0 };
  FsUuidName tmp;
  gboolean released, ok;

  g_return_val_if_fail (FS_IS_CACHE_ENTRY (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (destination), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  path = g_file_get_path (destination);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (destination);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _ ("%s is not on the local file system"), uri);
      return FALSE;
    }
  if (_fs_cancellable_set_error (cancellable, error))
    return FALSE;

  g_mutex_lock (&self->mutex);
  released = self->released;
  if (!released)
    entry_fd = openat (_fs_store_area_fd (self->store, self->handle.area), self->handle.dir_name,
                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  g_mutex_unlock (&self->mutex);
  g_return_val_if_fail (!released, FALSE);
  if (entry_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening the entry at %s"),
                            fs_cache_entry_get_path (self));

  parent = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  parent_fd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Exporting to %s"), path);
  if (faccessat (parent_fd, base, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return _fs_throw_errno (error, EEXIST, _ ("Exporting to %s"), path);

  /* Copied under a temporary name beside it, then renamed without
   * replacing: @destination appears whole or not at all. */
  _fs_uuid_name_random (&tmp);
  tmp_name = g_strdup_printf (".%s.fscache-%s", base, tmp.str + 5);
  copy.cancellable = cancellable;
  copy.progress = progress;
  copy.progress_data = progress_data;
  if (progress != NULL)
    copy.total_bytes = _fs_copy_content_bytes (entry_fd, FS_DIR_DATA);
  ok = _fs_copy_tree (entry_fd, FS_DIR_DATA, parent_fd, tmp_name, &copy, error);
  if (ok && renameat2 (parent_fd, tmp_name, parent_fd, base, RENAME_NOREPLACE) < 0)
    ok = _fs_throw_errno (error, errno, _ ("Exporting to %s"), path);
  if (!ok && _fs_rm_rf_at (parent_fd, tmp_name) < 0)
    g_debug ("could not remove the partial copy %s/%s: %s", parent, tmp_name, g_strerror (errno));
  return ok;
}

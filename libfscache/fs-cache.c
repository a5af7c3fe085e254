/* fs-cache.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-anon-private.h"
#include "fs-cache-item-private.h"
#include "fs-cache-private.h"
#include "fs-evict-private.h"
#include "fs-import-private.h"
#include "fs-integrity-private.h"
#include "fs-journal-private.h"
#include "fs-load-private.h"
#include "fs-name-private.h"
#include "fs-open-private.h"
#include "fs-pin-private.h"
#include "fs-remote-pull-private.h"
#include "fs-tree-private.h"

/**
 * FsCache:
 *
 * A cache of directory trees in a directory of the local file system,
 * shared by any number of processes, threads and users at once.
 *
 * [ctor@FsCache.Cache.new] opens (and if needed creates) a cache and takes
 * its shared lock; [method@FsCache.Cache.load] gives a read-locked committed
 * entry or %FS_CACHE_ERROR_MISS; [method@FsCache.Cache.store] gives an
 * anonymous entry to fill and then commit with
 * [method@FsCache.CacheEntry.commit]; [method@FsCache.Cache.stage] gives a
 * scratch entry discarded when released.
 *
 * The on-disk format is the one of osbuild's `fscache` module, so both can
 * use one cache directory at the same time.
 *
 * All methods may be called from any thread. The descriptors of the cache's
 * directories are immutable once the cache is open; the configuration read
 * from `cache.info` and the closed state are protected by a mutex.
 *
 * Since: 1.0
 */

struct _FsCache {
  GObject parent_instance;

  char *app_id;
  GFile *directory;
  gboolean create; /* create the cache when the directory holds none */
  FsStore *store;  /* set once by the initialization, then immutable */
};

enum { PROP_0, PROP_APP_ID, PROP_DIRECTORY, PROP_CREATE, N_PROPS };

static GParamSpec *properties[N_PROPS];

static void fs_cache_initable_iface_init (GInitableIface *iface);

/* GAsyncInitable's default implementation runs GInitable's init in a
 * worker thread, which is exactly what an asynchronous open should do. */
G_DEFINE_FINAL_TYPE_WITH_CODE (FsCache,
                               fs_cache,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, fs_cache_initable_iface_init)
                                 G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE, NULL))

static void
fs_cache_finalize (GObject *object)
{
  FsCache *self = FS_CACHE (object);

  g_clear_pointer (&self->store, _fs_store_unref);
  g_clear_pointer (&self->app_id, g_free);
  g_clear_object (&self->directory);

  G_OBJECT_CLASS (fs_cache_parent_class)->finalize (object);
}

static void
fs_cache_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FsCache *self = FS_CACHE (object);

  switch (prop_id)
    {
    case PROP_APP_ID:
      g_value_set_string (value, self->app_id);
      break;
    case PROP_DIRECTORY:
      g_value_set_object (value, self->directory);
      break;
    case PROP_CREATE:
      g_value_set_boolean (value, self->create);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fs_cache_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  FsCache *self = FS_CACHE (object);

  switch (prop_id)
    {
    case PROP_APP_ID:
      self->app_id = g_value_dup_string (value);
      break;
    case PROP_DIRECTORY:
      self->directory = g_value_dup_object (value);
      break;
    case PROP_CREATE:
      self->create = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fs_cache_class_init (FsCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _fs_i18n_init ();

  object_class->finalize = fs_cache_finalize;
  object_class->get_property = fs_cache_get_property;
  object_class->set_property = fs_cache_set_property;

  /**
   * FsCache:app-id:
   *
   * The application id of the user of the cache. Entries are tagged with a
   * boot id derived from it (see fs_cache_compute_boot_id()).
   *
   * Since: 1.0
   */
  properties[PROP_APP_ID] =
    g_param_spec_string ("app-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * FsCache:directory:
   *
   * The directory of the cache, on the local file system.
   *
   * Since: 1.0
   */
  properties[PROP_DIRECTORY] =
    g_param_spec_object ("directory", NULL, NULL, G_TYPE_FILE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * FsCache:create:
   *
   * Whether opening the cache creates it when [property@FsCache.Cache:directory]
   * holds none (the default). When %FALSE, opening fails with
   * %G_IO_ERROR_NOT_FOUND, and creates nothing, if the directory does not
   * exist or is not a cache — it has neither the `cache.info` file nor the
   * `objects/` folder that libfscache and osbuild make first. A program
   * that only looks at a cache (lists it, loads from it) can so tell a
   * mistyped path from an empty cache instead of making a new one there.
   *
   * The constructors create; to open an existing cache only, set it with
   * g_initable_new() (or g_async_initable_new_async()):
   *
   * ```c
   * cache = g_initable_new (FS_TYPE_CACHE, cancellable, &error,
   *                         "app-id", "org.example.App",
   *                         "directory", directory,
   *                         "create", FALSE,
   *                         NULL);
   * ```
   *
   * or from Python
   * `FsCache.Cache(app_id="org.example.App", directory=directory, create=False)`
   * followed by `init(None)`.
   *
   * Since: 1.1
   */
  properties[PROP_CREATE] =
    g_param_spec_boolean ("create", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fs_cache_init (FsCache *self)
{
  self->create = TRUE;
}

/**
 * fs_cache_compute_boot_id:
 * @app_id: an application id
 * @kernel_boot_id: the kernel's boot id, as in
 *   `/proc/sys/kernel/random/boot_id` (white space around it is ignored)
 *
 * Computes the boot id libfscache and osbuild tag entries with: the
 * HMAC-SHA256 of @app_id keyed with @kernel_boot_id, cut to 16 bytes and
 * marked as a UUID version 4, as 32 lowercase hex digits.
 *
 * Returns: (transfer full): the boot id
 *
 * Since: 1.0
 */
char *
fs_cache_compute_boot_id (const char *app_id, const char *kernel_boot_id)
{
  char *out;

  g_return_val_if_fail (app_id != NULL, NULL);
  g_return_val_if_fail (kernel_boot_id != NULL, NULL);

  out = g_malloc (FS_BOOT_ID_LEN + 1);
  _fs_boot_id_compute (app_id, kernel_boot_id, out);
  return out;
}

static gboolean
fs_cache_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  FsCache *self = FS_CACHE (initable);
  g_autofree char *path = NULL;

  g_return_val_if_fail (self->app_id != NULL, FALSE);
  g_return_val_if_fail (G_IS_FILE (self->directory), FALSE);
  g_return_val_if_fail (self->store == NULL, FALSE);

  if (_fs_cancellable_set_error (cancellable, error))
    return FALSE;
  path = g_file_get_path (self->directory);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (self->directory);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _ ("The cache directory %s is not on the local file system"), uri);
      return FALSE;
    }
  self->store = _fs_store_open (self->app_id, path, self->create, cancellable, error);
  return self->store != NULL;
}

static void
fs_cache_initable_iface_init (GInitableIface *iface)
{
  iface->init = fs_cache_initable_init;
}

/**
 * fs_cache_new:
 * @app_id: the application id of the caller (any string, e.g. "org.example.Builder")
 * @directory: the cache directory; it and its parents are created if needed
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Opens the cache in @directory, creating it if needed, and takes its
 * shared lock. Any number of processes may open (and create) the same
 * cache at once. When the cache is found idle, what crashed users left is
 * recovered first.
 *
 * A new cache has no maximum size and so keeps nothing: set one with
 * fs_cache_set_maximum_size(). To open an existing cache only, failing
 * where there is none, see [property@FsCache.Cache:create].
 *
 * Returns: (transfer full): the open cache, or %NULL with @error set
 *
 * Since: 1.0
 */
FsCache *
fs_cache_new (const char *app_id, GFile *directory, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (app_id != NULL, NULL);
  g_return_val_if_fail (G_IS_FILE (directory), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (FS_TYPE_CACHE, cancellable, error, "app-id", app_id, "directory",
                         directory, NULL);
}

/**
 * fs_cache_new_for_path:
 * @app_id: the application id of the caller
 * @path: (type filename): the cache directory
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Like fs_cache_new(), with a path.
 *
 * Returns: (transfer full): the open cache, or %NULL with @error set
 *
 * Since: 1.0
 */
FsCache *
fs_cache_new_for_path (const char *app_id,
                       const char *path,
                       GCancellable *cancellable,
                       GError **error)
{
  g_autoptr (GFile) file = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  file = g_file_new_for_path (path);
  return fs_cache_new (app_id, file, cancellable, error);
}

/**
 * fs_cache_name_is_valid:
 * @name: an entry name
 * @error: return location for a #GError
 *
 * Checks that @name can name an entry: 1 to 255 bytes of valid UTF-8,
 * without `/`, not `.` or `..`, and not starting with `uuid-` (reserved for
 * anonymous entries). No valid name can reach outside the cache.
 *
 * Returns: %TRUE if @name is valid, else %FALSE with @error set to
 *   %FS_CACHE_ERROR_INVALID_NAME
 *
 * Since: 1.0
 */
gboolean
fs_cache_name_is_valid (const char *name, GError **error)
{
  g_return_val_if_fail (name != NULL, FALSE);

  _fs_i18n_init ();
  return _fs_name_check (name, error);
}

FsStore *
_fs_cache_get_store (FsCache *self)
{
  return self->store;
}

/* The store of an open cache, or CLOSED. */
static FsStore *
open_store (FsCache *self, GError **error)
{
  if (self->store == NULL)
    {
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CLOSED, _ ("The cache is not open"));
      return NULL;
    }
  if (!_fs_store_check_open (self->store, error))
    return NULL;
  return self->store;
}

FsStore *
_fs_cache_open_store (FsCache *self, GError **error)
{
  return open_store (self, error);
}

/**
 * fs_cache_close:
 * @self: an #FsCache
 *
 * Gives the shared lock of the cache back. Later calls on @self fail with
 * %FS_CACHE_ERROR_CLOSED; entries still held keep their own locks until
 * released. Closing twice is harmless; finalizing closes.
 *
 * Since: 1.0
 */
void
fs_cache_close (FsCache *self)
{
  g_return_if_fail (FS_IS_CACHE (self));

  if (self->store != NULL)
    _fs_store_close (self->store);
}

/**
 * fs_cache_is_closed:
 * @self: an #FsCache
 *
 * Whether fs_cache_close() was called.
 *
 * Returns: %TRUE if the cache is closed
 *
 * Since: 1.0
 */
gboolean
fs_cache_is_closed (FsCache *self)
{
  g_return_val_if_fail (FS_IS_CACHE (self), TRUE);

  return self->store == NULL || _fs_store_is_closed (self->store);
}

/**
 * fs_cache_get_app_id:
 * @self: an #FsCache
 *
 * The application id the cache was opened with.
 *
 * Returns: the application id
 *
 * Since: 1.0
 */
const char *
fs_cache_get_app_id (FsCache *self)
{
  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  return self->app_id;
}

/**
 * fs_cache_get_directory:
 * @self: an #FsCache
 *
 * The directory of the cache.
 *
 * Returns: (transfer none): the directory
 *
 * Since: 1.0
 */
GFile *
fs_cache_get_directory (FsCache *self)
{
  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  return self->directory;
}

/**
 * fs_cache_get_boot_id:
 * @self: an #FsCache
 *
 * The boot id entries committed by this cache are tagged with: see
 * fs_cache_compute_boot_id().
 *
 * Returns: 32 lowercase hex digits
 *
 * Since: 1.0
 */
const char *
fs_cache_get_boot_id (FsCache *self)
{
  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (self->store != NULL, NULL);
  return self->store->boot_id;
}

/**
 * fs_cache_load:
 * @self: an #FsCache
 * @name: the name of the entry
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Finds the committed entry @name and read-locks it, so it can't be
 * removed or evicted until released, and marks it as used now.
 *
 * The load never waits: an entry that is being written or removed, has no
 * valid `object.info`, or is absent, is a miss (%FS_CACHE_ERROR_MISS), and
 * so is every entry of a cache with an incompatible format version. When
 * the system can't tell (no descriptor or memory left, an I/O error, a
 * file the caller may not read) the load fails with a %G_IO_ERROR naming
 * the file, never with a miss.
 *
 * It never uses the network: to fall back on the cache's remote, use
 * fs_cache_load_full() with %FS_CACHE_LOAD_REMOTE.
 *
 * Returns: (transfer full): the loaded entry, or %NULL with @error set
 *
 * Since: 1.0
 */
FsCacheEntry *
fs_cache_load (FsCache *self, const char *name, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return fs_cache_load_full (self, name, FS_CACHE_LOAD_NONE, cancellable, error);
}

/**
 * fs_cache_load_full:
 * @self: an #FsCache
 * @name: the name of the entry
 * @flags: flags
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Loads an entry as fs_cache_load() does, and more as @flags say. With
 * %FS_CACHE_LOAD_VERIFY the entry is re-hashed against its manifest while
 * it is read-locked, before it is returned: one that differs fails with
 * %FS_CACHE_ERROR_CORRUPT naming the first difference, one without a
 * manifest with %FS_CACHE_ERROR_NO_MANIFEST.
 *
 * With %FS_CACHE_LOAD_REMOTE a local miss asks the cache's remote, if it
 * has one (see fs_cache_pull()): the entry is pulled, committed and
 * returned loaded. This is the only load that may use the network. A
 * remote that fails — down, too slow, an answer that is not what it should
 * be — never fails the load: it is a miss (%FS_CACHE_ERROR_MISS), and the
 * reason is reported once with g_message(), naming the remote. Only a
 * cancellation is an error then.
 *
 * Returns: (transfer full): the loaded entry, or %NULL with @error set
 *
 * Since: 1.1
 */
FsCacheEntry *
fs_cache_load_full (FsCache *self,
                    const char *name,
                    FsCacheLoadFlags flags,
                    GCancellable *cancellable,
                    GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GError) remote_error = NULL;
  g_autofree char *digest = NULL;
  FsHandle handle = FS_HANDLE_INIT;
  gboolean pulled = FALSE;
  FsStore *store;
  guint64 size;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((store = open_store (self, error)) == NULL || !fs_cache_name_is_valid (name, error) ||
      _fs_cancellable_set_error (cancellable, error))
    return NULL;
  if (!_fs_store_is_compatible (store))
    {
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS,
                   _ ("No entry “%s” in %s: the cache has an incompatible version"), name,
                   store->path);
      return NULL;
    }
  if (!_fs_load (store, name, &handle, &size, &digest, &local_error))
    {
      gboolean miss = g_error_matches (local_error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);

      /* A miss of this cache, whether the remote has the entry or not (the
       * pull counts a remote hit or miss). */
      if (miss)
        _fs_stats_add (store->stats, FS_STAT_MISS, 1);
      if (!(flags & FS_CACHE_LOAD_REMOTE) || !miss ||
          !_fs_remote_load (store, name, &handle, &size, &digest, cancellable, &remote_error))
        {
          g_propagate_error (error, remote_error != NULL ? g_steal_pointer (&remote_error)
                                                         : g_steal_pointer (&local_error));
          return NULL;
        }
      pulled = TRUE;
    }
  if ((flags & FS_CACHE_LOAD_VERIFY) &&
      !_fs_integrity_verify (store, &handle, digest, NULL, NULL, NULL, cancellable, error))
    {
      _fs_lock_clear (&handle.lock);
      return NULL;
    }
  if (!pulled)
    _fs_stats_add (store->stats, FS_STAT_HIT, 1);
  return _fs_cache_entry_new (store, FS_CACHE_ENTRY_KIND_LOADED, &handle, name, size, digest);
}

/**
 * fs_cache_add_manifest:
 * @self: an #FsCache
 * @name: the name of a committed entry
 * @out_tree_digest: (out) (optional) (transfer full): the entry's tree digest
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Gives an entry without a manifest (stored by osbuild or libfscache 1.0)
 * one, made from its tree as it is now, so that it can be verified from
 * then on. It takes the entry's write lock, so it fails with
 * %FS_CACHE_ERROR_BUSY while the entry is in use. An entry that has a
 * manifest keeps it.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.1
 */
gboolean
fs_cache_add_manifest (FsCache *self,
                       const char *name,
                       char **out_tree_digest,
                       GCancellable *cancellable,
                       GError **error)
{
  char digest[FS_DIGEST_HEX_SIZE];
  FsStore *store;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((store = open_store (self, error)) == NULL || !fs_cache_name_is_valid (name, error) ||
      !_fs_store_check_writable (store, error) || _fs_cancellable_set_error (cancellable, error))
    return FALSE;
  if (!_fs_integrity_add_manifest (store, name, digest, cancellable, error))
    return FALSE;
  if (out_tree_digest != NULL)
    *out_tree_digest = g_strdup (digest);
  return TRUE;
}

/**
 * fs_cache_store:
 * @self: an #FsCache
 * @name: the name to commit the entry under
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Creates an anonymous, write-locked entry to fill: write the tree into
 * the directory of [method@FsCache.CacheEntry.get_file], then publish it under
 * @name with [method@FsCache.CacheEntry.commit]. Releasing it without a commit
 * discards it.
 *
 * In a cache with an incompatible format version the entry is a staging
 * entry and its commit returns %FS_CACHE_COMMIT_INCOMPATIBLE.
 *
 * Returns: (transfer full): the new entry, or %NULL with @error set
 *
 * Since: 1.0
 */
FsCacheEntry *
fs_cache_store (FsCache *self, const char *name, GCancellable *cancellable, GError **error)
{
  FsHandle handle = FS_HANDLE_INIT;
  FsCacheEntry *entry;
  FsStore *store;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((store = open_store (self, error)) == NULL || !fs_cache_name_is_valid (name, error) ||
      _fs_cancellable_set_error (cancellable, error))
    return NULL;
  if (!_fs_store_is_compatible (store))
    {
      entry = fs_cache_stage (self, cancellable, error);
      if (entry != NULL)
        _fs_cache_entry_set_incompatible (entry, name);
      return entry;
    }
  if (!_fs_anon_create (store, FS_AREA_OBJECTS, TRUE, &handle, error))
    return NULL;
  return _fs_cache_entry_new (store, FS_CACHE_ENTRY_KIND_STORING, &handle, name, 0, NULL);
}

/**
 * fs_cache_stage:
 * @self: an #FsCache
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Creates a volatile scratch entry in the staging area of the cache,
 * discarded when released. If the process dies, the next user of the cache
 * that finds it unlocked removes it.
 *
 * Returns: (transfer full): the new entry, or %NULL with @error set
 *
 * Since: 1.0
 */
FsCacheEntry *
fs_cache_stage (FsCache *self, GCancellable *cancellable, GError **error)
{
  FsHandle handle = FS_HANDLE_INIT;
  FsStore *store;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((store = open_store (self, error)) == NULL || _fs_cancellable_set_error (cancellable, error))
    return NULL;
  if (!_fs_anon_create (store, FS_AREA_STAGE, FALSE, &handle, error))
    return NULL;
  return _fs_cache_entry_new (store, FS_CACHE_ENTRY_KIND_STAGED, &handle, NULL, 0, NULL);
}

/**
 * fs_cache_dup_info:
 * @self: an #FsCache
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The configuration of the cache, as read from `cache.info`: re-read when
 * another process changed it (a missing or corrupt file gives the
 * defaults). It reads from the disk: in a main loop, use
 * fs_cache_dup_info_async().
 *
 * Returns: (transfer full): a copy of the configuration, or %NULL with
 *   @error set when the cache is closed or `cache.info` can't be read
 *
 * Since: 1.1
 */
FsCacheInfo *
fs_cache_dup_info (FsCache *self, GCancellable *cancellable, GError **error)
{
  FsStore *store;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((store = open_store (self, error)) == NULL || _fs_cancellable_set_error (cancellable, error))
    return NULL;
  return _fs_store_read_info (store, error);
}

/**
 * fs_cache_get_info:
 * @self: an #FsCache
 *
 * The configuration of the cache, as read from `cache.info` (re-read when
 * another process changed it; if that fails, the configuration read
 * before).
 *
 * Returns: (transfer full): a copy of the configuration
 *
 * Since: 1.0
 *
 * Deprecated: 1.1: Use fs_cache_dup_info(): it gives a new copy (hence
 *   "dup"), reads from the disk, so takes a cancellable, and reports a
 *   file it can't read.
 */
FsCacheInfo *
fs_cache_get_info (FsCache *self)
{
  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (self->store != NULL, NULL);

  return _fs_store_dup_info (self->store);
}

/**
 * fs_cache_set_info:
 * @self: an #FsCache
 * @info: the fields to change
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Changes the configuration of the cache: under the write lock of
 * `cache.info`, the file is read, the fields set in @info replace the ones
 * on disk, every other field and every unknown key is kept, and the file is
 * replaced atomically.
 *
 * Fails with %FS_CACHE_ERROR_INCOMPATIBLE on a cache of another format
 * version, which is never changed.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_set_info (FsCache *self, FsCacheInfo *info, GCancellable *cancellable, GError **error)
{
  FsStore *store;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((store = open_store (self, error)) == NULL)
    return FALSE;
  return _fs_store_set_info (store, info, cancellable, error);
}

/**
 * fs_cache_set_maximum_size:
 * @self: an #FsCache
 * @maximum_size: bytes of space used, or %FS_CACHE_SIZE_UNLIMITED
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sets the maximum size of the cache, keeping the rest of its
 * configuration: see fs_cache_set_info(). When the cache uses more than the
 * new maximum, least recently used entries are evicted down to it (entries
 * in use are skipped).
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_set_maximum_size (FsCache *self,
                           guint64 maximum_size,
                           GCancellable *cancellable,
                           GError **error)
{
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
  FsStore *store;
  guint64 used;
  gboolean ok;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (maximum_size <= G_MAXINT64 || maximum_size == FS_CACHE_SIZE_UNLIMITED,
                        FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((store = open_store (self, error)) == NULL)
    return FALSE;
  fs_cache_info_set_maximum_size (info, maximum_size);
  if (!_fs_store_set_info (store, info, cancellable, error))
    return FALSE;

  /* A lower maximum trims the cache to it at once. */
  if (!_fs_journal_get_size (store, &used, cancellable, error))
    return FALSE;
  if (maximum_size == FS_CACHE_SIZE_UNLIMITED || used <= maximum_size)
    return TRUE;
  _fs_store_op_begin (store);
  ok = _fs_evict_lru (store, maximum_size, 0, FALSE, NULL, NULL, cancellable, error);
  _fs_store_op_end (store);
  return ok;
}

/**
 * fs_cache_get_usage:
 * @self: an #FsCache
 * @out_used: (out) (optional): the space used by the committed entries, in bytes
 * @out_maximum: (out) (optional): the maximum size, 0 when unset or
 *   %FS_CACHE_SIZE_UNLIMITED
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads how much of the cache is used, from its size counter.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_get_usage (FsCache *self,
                    guint64 *out_used,
                    guint64 *out_maximum,
                    GCancellable *cancellable,
                    GError **error)
{
  FsStore *store;
  guint64 used = 0;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((store = open_store (self, error)) == NULL)
    return FALSE;
  if (!_fs_journal_get_size (store, &used, cancellable, error))
    return FALSE;
  if (out_used != NULL)
    *out_used = used;
  if (out_maximum != NULL)
    *out_maximum = _fs_store_get_maximum (store);
  return TRUE;
}

/**
 * fs_cache_has_other_users:
 * @self: an #FsCache
 *
 * Whether another open cache (in this or another process) uses the same
 * cache directory right now, or another thread is in an operation on @self.
 * It asks without taking a lock, so it answers as well for a user who may
 * only read the cache.
 *
 * Returns: %TRUE if the cache is in use by others
 *
 * Since: 1.0
 */
gboolean
fs_cache_has_other_users (FsCache *self)
{
  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (self->store != NULL, FALSE);

  return _fs_store_has_other_users (self->store);
}

static int
compare_items (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return strcmp (fs_cache_item_get_name ((FsCacheItem *) a),
                 fs_cache_item_get_name ((FsCacheItem *) b));
}

/**
 * fs_cache_list:
 * @self: an #FsCache
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Lists the committed entries of the cache, sorted by name. The list is a
 * snapshot: entries may come and go while it is read.
 *
 * An entry whose `object.info` is absent or corrupt is not an entry and is
 * not listed. One that can't be read (no descriptor or memory left, an I/O
 * error, a file the caller may not read) is never left out: the list fails
 * with a %G_IO_ERROR naming the file.
 *
 * Returns: (transfer full): a list of [class@FsCache.CacheItem], or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
GListModel *
fs_cache_list (FsCache *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GListStore) list = NULL;
  g_autoptr (GHashTable) pins = NULL;
  FsStore *store;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((store = open_store (self, error)) == NULL || _fs_cancellable_set_error (cancellable, error))
    return NULL;
  list = g_list_store_new (FS_TYPE_CACHE_ITEM);
  if (!_fs_store_is_compatible (store))
    return G_LIST_MODEL (g_steal_pointer (&list));

  entries = _fs_evict_scan (store, cancellable, error);
  if (entries == NULL)
    return NULL;
  pins = _fs_pin_read_all (store, error);
  if (pins == NULL)
    return NULL;
  for (guint i = 0; i < entries->len; i++)
    {
      FsEntryStat *e = entries->pdata[i];
      g_autoptr (FsCacheItem) item =
        _fs_cache_item_new (e->name, e->size, e->last_used_usec, e->boot_id);

      _fs_cache_item_set_tree_digest (item, e->tree_digest);
      _fs_cache_item_set_pinned (item, g_hash_table_contains (pins, e->name));
      g_list_store_append (list, item);
    }
  g_list_store_sort (list, compare_items, NULL);
  return G_LIST_MODEL (g_steal_pointer (&list));
}

/**
 * fs_cache_remove:
 * @self: an #FsCache
 * @name: the name of a committed entry
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Removes a committed entry, its accounting included, and its pin if it
 * is pinned ([method@FsCache.Cache.pin]). Fails with
 * %FS_CACHE_ERROR_MISS when there is no such entry, with
 * %FS_CACHE_ERROR_BUSY when it is in use (loaded or being removed), and
 * with a %G_IO_ERROR naming the file when the system can't tell (as for
 * [method@FsCache.Cache.load]).
 *
 * Returns: %TRUE if the entry was removed
 *
 * Since: 1.0
 */
gboolean
fs_cache_remove (FsCache *self, const char *name, GCancellable *cancellable, GError **error)
{
  FsStore *store;
  gboolean ok;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((store = open_store (self, error)) == NULL || !fs_cache_name_is_valid (name, error) ||
      !_fs_store_check_writable (store, error) || _fs_cancellable_set_error (cancellable, error))
    return FALSE;

  _fs_store_op_begin (store);
  ok = _fs_evict_remove (store, name, NULL, cancellable, error);
  _fs_store_op_end (store);
  if (ok)
    _fs_pin_forget (store, name);
  return ok;
}

/**
 * fs_cache_store_tree:
 * @self: an #FsCache
 * @name: the name to store the tree under
 * @source: a directory, file or symlink on the local file system
 * @flags: flags
 * @progress: (nullable) (scope call) (closure progress_data): called with the
 *   bytes copied so far and the total
 * @progress_data: data for @progress
 * @out_status: (out) (optional): what the commit did
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Stores a copy of an existing tree under @name and commits it: a
 * directory's contents become the entry's tree (the directory's own mode,
 * owner, times and xattrs go to the entry's data directory); a file or
 * symlink is stored in it under its base name.
 *
 * Each file is reflinked where the file system can, else copied with
 * copy_file_range() over its data extents (holes stay holes), else read and
 * written. Kept: file types (regular, directory, symlink verbatim — never
 * followed —, fifo, socket, and device nodes when privileged), modes,
 * owners where permitted, timestamps to the nanosecond, extended attributes
 * where supported, and hard links within the tree (linked again, counted
 * once in the entry's size).
 *
 * With %FS_CACHE_STORE_MOVE the source is renamed into the entry when it is
 * on the cache's file system — the way to commit a staging entry without a
 * copy — and renamed back if the entry is not stored. Across file systems
 * it is copied, and the source removed only after the entry is stored;
 * %FS_CACHE_STORE_NO_COPY refuses that instead.
 *
 * Cancelling stops the copy and leaves nothing behind. Like
 * fs_cache_entry_commit(), a cache declining the entry is not an error:
 * see @out_status.
 *
 * Returns: %TRUE with @out_status set, or %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
fs_cache_store_tree (FsCache *self,
                     const char *name,
                     GFile *source,
                     FsCacheStoreFlags flags,
                     GFileProgressCallback progress,
                     gpointer progress_data,
                     FsCacheCommitStatus *out_status,
                     GCancellable *cancellable,
                     GError **error)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_auto (FsImportResult) imported = {
    NULL,
  };
  g_autofree char *path = NULL;
  FsCacheCommitStatus status;
  FsStore *store;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (G_IS_FILE (source), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  path = g_file_get_path (source);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (source);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _ ("%s is not on the local file system"), uri);
      return FALSE;
    }

  entry = fs_cache_store (self, name, cancellable, error);
  if (entry == NULL)
    return FALSE;
  store = self->store;
  if (!_fs_cache_entry_import (entry, path, flags, progress, progress_data, &imported, cancellable,
                               error))
    {
      fs_cache_entry_release (entry);
      return FALSE;
    }
  if (!fs_cache_entry_commit (entry, &status, cancellable, error))
    return FALSE;

  if (status == FS_CACHE_COMMIT_STORED && imported.copied_from != NULL)
    {
      g_autofree char *parent = g_path_get_dirname (imported.copied_from);
      g_autofree char *base = g_path_get_basename (imported.copied_from);
      fs_autofd pfd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (pfd < 0 || _fs_rm_rf_at (pfd, base) < 0)
        g_warning (_ ("Stored %s in %s, but could not remove the source %s: %s"), name, store->path,
                   imported.copied_from, g_strerror (errno));
    }
  if (out_status != NULL)
    *out_status = status;
  return TRUE;
}

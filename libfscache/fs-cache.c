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
#include "fs-cache-info-private.h"
#include "fs-cache-private.h"
#include "fs-cache-item-private.h"
#include "fs-evict-private.h"
#include "fs-journal-private.h"
#include "fs-lock-private.h"
#include "fs-meta-private.h"
#include "fs-tree-private.h"
#include "fs-util-private.h"

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
  char boot_id[33];
  char journal_boot_id[33];

  FsCacheDirs dirs;
  char *path;

  GRWLock op_lock; /* readers: operations changing accounting; writer: recount */

  GMutex mutex; /* protects everything below */
  int lock_fd;  /* cache.lock, read-locked while open */
  gboolean closed;
  FsCacheInfo *info;
  struct stat info_st; /* of cache.info when @info was read */
  mode_t umask;
  gboolean dir_group_writable;
  gboolean read_only_format; /* cache.info names another version */
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

static const char cachedir_tag[] =
  "Signature: 8a477f597d28d172789f06886806bc55\n"
  "# This is a cache directory tag created by libfscache (see https://bford.info/cachedir/)\n";

static void
fs_cache_finalize (GObject *object)
{
  FsCache *self = FS_CACHE (object);

  fs_cache_close (self);
  _fs_clear_fd (&self->dirs.dir_fd);
  _fs_clear_fd (&self->dirs.objects_fd);
  _fs_clear_fd (&self->dirs.stage_fd);
  _fs_clear_fd (&self->dirs.journal_fd);
  g_clear_pointer (&self->info, fs_cache_info_unref);
  g_clear_pointer (&self->app_id, g_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_object (&self->directory);
  g_mutex_clear (&self->mutex);
  g_rw_lock_clear (&self->op_lock);

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
  g_mutex_init (&self->mutex);
  g_rw_lock_init (&self->op_lock);
  self->dirs.dir_fd = -1;
  self->dirs.objects_fd = -1;
  self->dirs.stage_fd = -1;
  self->dirs.journal_fd = -1;
  self->lock_fd = -1;
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
  g_autofree char *key = NULL;
  g_autoptr (GHmac) hmac = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  char *out;

  g_return_val_if_fail (app_id != NULL, NULL);
  g_return_val_if_fail (kernel_boot_id != NULL, NULL);

  key = g_strstrip (g_strdup (kernel_boot_id));
  hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) key, strlen (key));
  g_hmac_update (hmac, (const guchar *) app_id, (gssize) strlen (app_id));
  g_hmac_get_digest (hmac, digest, &digest_len);

  /* As osbuild does it: byte 8 is derived from byte 6, not from itself. */
  digest[6] = (digest[6] & 0x0f) | 0x40;
  digest[8] = (digest[6] & 0x0f) | 0x80;

  out = g_malloc (33);
  for (int i = 0; i < 16; i++)
    g_snprintf (out + 2 * i, 3, "%02x", digest[i]);
  return out;
}

static gboolean
read_boot_id (FsCache *self, GError **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *id = NULL;
  g_autoptr (GError) local_error = NULL;

  if (!g_file_get_contents ("/proc/sys/kernel/random/boot_id", &contents, NULL, &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _ ("Reading the boot id of the kernel: "));
      return FALSE;
    }
  id = fs_cache_compute_boot_id (self->app_id, contents);
  memcpy (self->boot_id, id, 33);
  g_free (id);
  id = fs_cache_compute_boot_id ("org.libfscache.Journal", contents);
  memcpy (self->journal_boot_id, id, 33);
  return TRUE;
}

/* Link a new file with @contents at @name in @dirfd unless one exists: the
 * file appears whole or not at all, so any number of processes may race. */
static gboolean
create_file_once (FsCache *self, int dirfd, const char *name, const char *contents, GError **error)
{
  fs_autofd fd = -1;
  struct stat st;
  gsize len = strlen (contents);

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return TRUE;
  if (errno != ENOENT)
    return _fs_throw_errno (error, errno, _ ("Reading %s/%s"), self->path, name);

  fd = _fs_openat (dirfd, ".", O_TMPFILE | O_RDWR | O_NOCTTY, _fs_cache_get_file_mode (self));
  if (fd >= 0)
    {
      _fs_cache_fix_mode (self, fd, FALSE);
      if (!_fs_write_all (fd, contents, len, 0))
        return _fs_throw_errno (error, errno, _ ("Writing %s/%s"), self->path, name);
      if (!_fs_link_fd_at (fd, dirfd, name) && errno != EEXIST)
        return _fs_throw_errno (error, errno, _ ("Creating %s/%s"), self->path, name);
      return TRUE;
    }
  else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
    {
      char tmp[38];
      int errsv = 0;

      _fs_random_uuid_name (tmp);
      fd = _fs_openat (self->dirs.objects_fd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOCTTY,
                       _fs_cache_get_file_mode (self));
      if (fd < 0)
        return _fs_throw_errno (error, errno, _ ("Creating %s/%s/%s"), self->path, FS_DIR_OBJECTS,
                                tmp);
      if (!_fs_write_all (fd, contents, len, 0) ||
          (linkat (self->dirs.objects_fd, tmp, dirfd, name, 0) < 0 && errno != EEXIST))
        errsv = errno;
      unlinkat (self->dirs.objects_fd, tmp, 0);
      if (errsv != 0)
        return _fs_throw_errno (error, errsv, _ ("Creating %s/%s"), self->path, name);
      return TRUE;
    }
  return _fs_throw_errno (error, errno, _ ("Creating %s/%s"), self->path, name);
}

static int
open_subdir (FsCache *self, const char *name, gboolean follow, GError **error)
{
  int fd;

  if (self->read_only_format)
    ; /* an incompatible cache is never changed */
  else if (mkdirat (self->dirs.dir_fd, name, _fs_cache_get_dir_mode (self)) == 0)
    _fs_cache_fix_mode_at (self, self->dirs.dir_fd, name, TRUE);
  else if (errno != EEXIST && errno != EACCES && errno != EROFS && errno != EPERM)
    {
      _fs_throw_errno (error, errno, _ ("Creating %s/%s"), self->path, name);
      return -1;
    }
  fd = openat (self->dirs.dir_fd, name,
               O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY | (follow ? 0 : O_NOFOLLOW));
  if (fd < 0)
    _fs_throw_errno (error, errno, _ ("Opening %s/%s"), self->path, name);
  return fd;
}

/* Read cache.info into self->info (called with the mutex held or during
 * init). A file that is not a JSON object gives the defaults, and
 * *@out_corrupt tells the caller to rewrite it. */
static gboolean load_info_full (FsCache *self,
                                gboolean quiet,
                                gboolean *out_corrupt,
                                GError **error);

static gboolean
load_info_locked (FsCache *self, gboolean *out_corrupt, GError **error)
{
  return load_info_full (self, FALSE, out_corrupt, error);
}

static gboolean
load_info_full (FsCache *self, gboolean quiet, gboolean *out_corrupt, GError **error)
{
  g_autofree char *data = NULL;
  g_autoptr (JsonObject) object = NULL;
  fs_autofd fd = -1;
  struct stat st;
  gsize len = 0;
  int errsv = 0;

  memset (&st, 0, sizeof st);
  *out_corrupt = FALSE;
  /* O_NONBLOCK: a FIFO planted there must not hang the open. */
  fd = _fs_openat (self->dirs.dir_fd, FS_FILE_CACHE_INFO, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
  if (fd >= 0 && fstat (fd, &st) == 0 && _fs_read_small_fd (fd, &data, &len, &errsv))
    object = _fs_meta_parse_object (data, len);
  else if (fd < 0 && errno != ENOENT)
    return _fs_throw_errno (error, errno, _ ("Reading %s/%s"), self->path, FS_FILE_CACHE_INFO);
  else if (errsv != 0 && errsv != EFBIG)
    return _fs_throw_errno (error, errsv, _ ("Reading %s/%s"), self->path, FS_FILE_CACHE_INFO);

  g_clear_pointer (&self->info, fs_cache_info_unref);
  self->info_st = st;
  if (object == NULL)
    {
      if (!quiet)
        g_message (_ ("The configuration %s/%s is missing or corrupt; rewriting it from defaults"),
                   self->path, FS_FILE_CACHE_INFO);
      self->info = fs_cache_info_new ();
      fs_cache_info_set_version (self->info, FS_CACHE_FORMAT_VERSION);
      *out_corrupt = TRUE;
      return TRUE;
    }

  self->info = _fs_cache_info_new_from_json (object);
  return TRUE;
}

static gboolean
is_compatible_locked (FsCache *self)
{
  return fs_cache_info_has_version (self->info) &&
         fs_cache_info_get_version (self->info) == FS_CACHE_FORMAT_VERSION;
}

/* Whether the open directory is a cache: it has cache.info, or objects/,
 * which libfscache and osbuild both create before anything else (so a
 * cache another process is creating right now counts too). */
static gboolean
is_cache_dir (FsCache *self, GError **error)
{
  struct stat st;

  if (fstatat (self->dirs.dir_fd, FS_FILE_CACHE_INFO, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return TRUE;
  if (errno != ENOENT)
    return _fs_throw_errno (error, errno, _ ("Reading %s/%s"), self->path, FS_FILE_CACHE_INFO);
  if (fstatat (self->dirs.dir_fd, FS_DIR_OBJECTS, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (S_ISDIR (st.st_mode))
        return TRUE;
    }
  else if (errno != ENOENT)
    return _fs_throw_errno (error, errno, _ ("Reading %s/%s"), self->path, FS_DIR_OBJECTS);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               _ ("No cache at %s: the directory has no %s"), self->path, FS_FILE_CACHE_INFO);
  return FALSE;
}

static gboolean
fs_cache_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  FsCache *self = FS_CACHE (initable);
  fs_autofd lock_fd = -1;
  gboolean idle = FALSE;
  gboolean info_corrupt = FALSE;

  g_return_val_if_fail (self->app_id != NULL, FALSE);
  g_return_val_if_fail (G_IS_FILE (self->directory), FALSE);

  if (_fs_cancellable_set_error (cancellable, error))
    return FALSE;

  self->path = g_file_get_path (self->directory);
  if (self->path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (self->directory);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _ ("The cache directory %s is not on the local file system"), uri);
      return FALSE;
    }
  self->dirs.path = self->path;

  /* The process umask, read once without changing it for other threads. */
  {
    g_autofree char *status = NULL;
    const char *line;
    self->umask = 022;
    if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL) &&
        (line = strstr (status, "\nUmask:")) != NULL)
      self->umask = (mode_t) g_ascii_strtoull (line + 7, NULL, 8) & 0777;
  }

  if (!read_boot_id (self, error))
    return FALSE;

  if (self->create && g_mkdir_with_parents (self->path, 0777) < 0)
    return _fs_throw_errno (error, errno, _ ("Creating the cache directory %s"), self->path);
  self->dirs.dir_fd = open (self->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
  if (self->dirs.dir_fd < 0 && errno == ENOENT && !self->create)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _ ("No cache at %s"), self->path);
      return FALSE;
    }
  if (self->dirs.dir_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening the cache directory %s"), self->path);
  if (!self->create && !is_cache_dir (self, error))
    return FALSE;
  {
    struct stat st;
    if (fstat (self->dirs.dir_fd, &st) == 0)
      self->dir_group_writable = (st.st_mode & S_IWGRP) != 0;
  }
  /* The configuration decides the modes of the scaffolding: read it early
   * (again, under the cache lock, below). */
  {
    gboolean corrupt;
    g_mutex_lock (&self->mutex);
    if (!load_info_full (self, TRUE, &corrupt, NULL) && self->info == NULL)
      self->info = fs_cache_info_new ();
    self->read_only_format = !corrupt && !is_compatible_locked (self);
    g_mutex_unlock (&self->mutex);
  }

  /* The scaffolding: every piece is created whole or not at all, and an
   * existing piece is never touched, so concurrent openers can't collide. */
  self->dirs.objects_fd = open_subdir (self, FS_DIR_OBJECTS, FALSE, error);
  if (self->dirs.objects_fd < 0)
    return FALSE;
  /* stage/ may be a symlink to another file system (osbuild allows it). */
  self->dirs.stage_fd = open_subdir (self, FS_DIR_STAGE, TRUE, error);
  if (self->dirs.stage_fd < 0)
    return FALSE;
  if (!self->read_only_format &&
      (!create_file_once (self, self->dirs.dir_fd, FS_FILE_CACHE_TAG, cachedir_tag, error) ||
       !create_file_once (self, self->dirs.dir_fd, FS_FILE_CACHE_INFO, "{\"version\": 1}", error) ||
       !create_file_once (self, self->dirs.dir_fd, FS_FILE_CACHE_LOCK, "", error) ||
       !create_file_once (self, self->dirs.dir_fd, FS_FILE_CACHE_SIZE, "0", error)))
    return FALSE;

  /* Take the cache lock: first try for writing, which succeeds only when
   * nobody else has the cache open — then recovery may run — and convert
   * it to the shared read lock every open cache holds. */
  lock_fd = _fs_lock_open_at (self->dirs.dir_fd, FS_FILE_CACHE_LOCK, O_RDWR | O_NOCTTY, 0, F_WRLCK,
                              FALSE, NULL, NULL);
  if (lock_fd >= 0)
    idle = TRUE;
  else if (errno == EAGAIN || errno == EACCES || errno == EROFS)
    {
      /* Writable where we may write it: a write lock needs a writable
       * descriptor, and a cache opened while in use may have it to itself
       * later (for a recount: see _fs_cache_try_exclusive()). */
      int oflags = errno == EAGAIN ? O_RDWR : O_RDONLY;

      lock_fd = _fs_lock_open_at (self->dirs.dir_fd, FS_FILE_CACHE_LOCK, oflags | O_NOCTTY, 0,
                                  F_RDLCK, TRUE, cancellable, NULL);
      if (lock_fd < 0 && errno == ECANCELED)
        return !_fs_cancellable_set_error (cancellable, error);
    }
  if (lock_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Locking %s/%s"), self->path, FS_FILE_CACHE_LOCK);

  g_mutex_lock (&self->mutex);
  if (!load_info_locked (self, &info_corrupt, error))
    {
      g_mutex_unlock (&self->mutex);
      return FALSE;
    }
  g_mutex_unlock (&self->mutex);

  if (_fs_cache_is_compatible (self))
    {
      self->dirs.journal_fd = open_subdir (self, FS_DIR_JOURNAL, FALSE, NULL);
      if (self->dirs.journal_fd < 0)
        g_debug ("no journal in %s: %s", self->path, g_strerror (errno));
    }

  if (info_corrupt && self->dirs.journal_fd >= 0)
    {
      /* Rewritten under its lock, only if it is still unreadable then. */
      g_autoptr (GError) local_error = NULL;
      g_autoptr (FsCacheInfo) defaults = fs_cache_info_new ();
      fs_cache_info_set_version (defaults, FS_CACHE_FORMAT_VERSION);
      if (!fs_cache_set_info (self, defaults, cancellable, &local_error))
        g_debug ("could not rewrite cache.info: %s", local_error->message);
    }

  if (idle && self->dirs.journal_fd >= 0)
    {
      g_autoptr (GError) local_error = NULL;
      if (!_fs_journal_recover (self, TRUE, NULL, cancellable, &local_error))
        g_warning (_ ("Recovering the cache %s failed: %s"), self->path, local_error->message);
    }

  if (idle && _fs_lock_fd (lock_fd, F_RDLCK, FALSE, NULL) < 0)
    return _fs_throw_errno (error, errno, _ ("Locking %s/%s"), self->path, FS_FILE_CACHE_LOCK);

  g_mutex_lock (&self->mutex);
  self->lock_fd = _fs_steal_fd (&lock_fd);
  g_mutex_unlock (&self->mutex);

  g_debug ("opened cache %s (%s)", self->path, idle ? "idle" : "shared");
  return TRUE;
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

  g_mutex_lock (&self->mutex);
  self->closed = TRUE;
  _fs_clear_fd (&self->lock_fd);
  g_mutex_unlock (&self->mutex);
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
  gboolean closed;

  g_return_val_if_fail (FS_IS_CACHE (self), TRUE);

  g_mutex_lock (&self->mutex);
  closed = self->closed;
  g_mutex_unlock (&self->mutex);
  return closed;
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
  return self->boot_id;
}

const FsCacheDirs *
_fs_cache_get_dirs (FsCache *self)
{
  return &self->dirs;
}

gboolean
_fs_cache_check_open (FsCache *self, GError **error)
{
  gboolean closed = fs_cache_is_closed (self);

  if (closed)
    g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CLOSED, _ ("The cache %s is closed"),
                 self->path);
  return !closed;
}

gboolean
_fs_cache_is_compatible (FsCache *self)
{
  gboolean ok;

  g_mutex_lock (&self->mutex);
  ok = is_compatible_locked (self);
  g_mutex_unlock (&self->mutex);
  return ok;
}

const char *
_fs_cache_get_journal_boot_id (FsCache *self)
{
  return self->journal_boot_id;
}

gboolean
_fs_cache_is_shared (FsCache *self)
{
  gboolean shared;

  g_mutex_lock (&self->mutex);
  if (self->info != NULL && fs_cache_info_has_shared (self->info))
    shared = fs_cache_info_get_shared (self->info);
  else
    shared = self->dir_group_writable;
  g_mutex_unlock (&self->mutex);
  return shared;
}

gboolean
_fs_cache_is_volatile (FsCache *self)
{
  gboolean is_volatile;

  g_mutex_lock (&self->mutex);
  is_volatile = self->info != NULL && fs_cache_info_get_volatile (self->info);
  g_mutex_unlock (&self->mutex);
  return is_volatile;
}

mode_t
_fs_cache_get_file_mode (FsCache *self)
{
  return _fs_cache_is_shared (self) ? 0664 : 0666 & ~self->umask;
}

mode_t
_fs_cache_get_dir_mode (FsCache *self)
{
  return _fs_cache_is_shared (self) ? 02775 : 0777 & ~self->umask;
}

/* In a shared cache the umask must not take the group's write access away:
 * what we create gets its mode explicitly. */
void
_fs_cache_fix_mode (FsCache *self, int fd, gboolean is_dir)
{
  if (fd >= 0 && _fs_cache_is_shared (self))
    (void) fchmod (fd, is_dir ? 02775 : 0664);
}

void
_fs_cache_fix_mode_at (FsCache *self, int dirfd, const char *name, gboolean is_dir)
{
  if (_fs_cache_is_shared (self))
    (void) fchmodat (dirfd, name, is_dir ? 02775 : 0664, AT_SYMLINK_NOFOLLOW);
}

/* Re-read cache.info when another process replaced or rewrote it. */
static void
refresh_info (FsCache *self)
{
  struct stat st;

  if (fstatat (self->dirs.dir_fd, FS_FILE_CACHE_INFO, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return;

  g_mutex_lock (&self->mutex);
  if (st.st_ino != self->info_st.st_ino || st.st_dev != self->info_st.st_dev ||
      st.st_size != self->info_st.st_size || st.st_mtim.tv_sec != self->info_st.st_mtim.tv_sec ||
      st.st_mtim.tv_nsec != self->info_st.st_mtim.tv_nsec ||
      st.st_ctim.tv_nsec != self->info_st.st_ctim.tv_nsec)
    {
      g_autoptr (GError) local_error = NULL;
      gboolean was_compatible = is_compatible_locked (self);
      gboolean corrupt;

      if (!load_info_locked (self, &corrupt, &local_error))
        g_debug ("could not re-read cache.info: %s", local_error->message);
      /* The version can't change under an open cache: a cache opened as
       * compatible keeps its journal, one opened as incompatible stays so. */
      if (was_compatible != is_compatible_locked (self))
        fs_cache_info_set_version (self->info, was_compatible ? FS_CACHE_FORMAT_VERSION : 0);
    }
  g_mutex_unlock (&self->mutex);
}

guint64
_fs_cache_get_maximum (FsCache *self)
{
  guint64 max;

  refresh_info (self);
  g_mutex_lock (&self->mutex);
  max = fs_cache_info_get_maximum_size (self->info);
  g_mutex_unlock (&self->mutex);
  return max;
}

static int
compare_items (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return strcmp (fs_cache_item_get_name ((FsCacheItem *) a),
                 fs_cache_item_get_name ((FsCacheItem *) b));
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
 * Returns: (transfer full): the loaded entry, or %NULL with @error set
 *
 * Since: 1.0
 */
FsCacheEntry *
fs_cache_load (FsCache *self, const char *name, GCancellable *cancellable, GError **error)
{
  g_autofree char *lock_path = NULL;
  g_autofree char *info_path = NULL;
  g_autofree char *data = NULL;
  fs_autofd fd = -1;
  struct stat st;
  struct timespec times[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
  guint64 size;
  gsize len;
  int errsv;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!_fs_cache_check_open (self, error) || !fs_cache_name_is_valid (name, error))
    return NULL;
  if (_fs_cancellable_set_error (cancellable, error))
    return NULL;

  if (!_fs_cache_is_compatible (self))
    {
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS,
                   _ ("No entry “%s” in %s: the cache has an incompatible version"), name,
                   self->path);
      return NULL;
    }

  lock_path = g_strconcat (name, "/" FS_FILE_OBJECT_LOCK, NULL);
  fd = _fs_lock_open_at (self->dirs.objects_fd, lock_path, O_RDONLY | O_NOCTTY, 0, F_RDLCK, FALSE,
                         NULL, &st);
  if (fd < 0)
    {
      errsv = errno;
      if (errsv == ENOENT || errsv == ENOTDIR || errsv == EAGAIN || errsv == ELOOP)
        {
          g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS, _ ("No entry “%s” in %s"), name,
                       self->path);
          return NULL;
        }
      _fs_throw_errno (error, errsv, _ ("Locking %s/%s/%s"), self->path, FS_DIR_OBJECTS, lock_path);
      return NULL;
    }

  /* Under the read lock nobody writes or removes the entry: it is whole if
   * its object.info is there and valid. */
  info_path = g_strconcat (name, "/" FS_FILE_OBJECT_INFO, NULL);
  if (!_fs_read_small_at (self->dirs.objects_fd, info_path, &data, &len, &errsv) &&
      !_fs_errno_is_invalid_meta (errsv))
    {
      /* Out of descriptors or memory, an I/O error, a file we may not
       * read: that says nothing about the entry, and a miss would make
       * the caller rebuild it. */
      _fs_throw_errno (error, errsv, _ ("Reading %s/%s/%s"), self->path, FS_DIR_OBJECTS, info_path);
      return NULL;
    }
  if (data == NULL || !_fs_meta_parse_object_info (data, len, &size, NULL))
    {
      g_debug ("entry %s has no valid object.info: a miss", name);
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS, _ ("No entry “%s” in %s"), name,
                   self->path);
      return NULL;
    }

  /* Last use is the atime of object.lock. Setting both times to "now" needs
   * only write access, not ownership (osbuild's explicit time fails with
   * EPERM for a user who does not own the file); a user who may not write
   * the cache can't record a use, which only affects eviction order. */
  if (futimens (fd, times) < 0)
    g_debug ("could not mark %s as used: %s", name, g_strerror (errno));

  return _fs_cache_entry_new (self, FS_CACHE_ENTRY_KIND_LOADED, self->dirs.objects_fd,
                              FS_DIR_OBJECTS, name, name, _fs_steal_fd (&fd), FALSE, size, &st);
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
  FsCacheEntry *entry;
  char uuid[38];
  gboolean has_record;
  int fd;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!_fs_cache_check_open (self, error) || !fs_cache_name_is_valid (name, error))
    return NULL;
  if (_fs_cancellable_set_error (cancellable, error))
    return NULL;

  if (!_fs_cache_is_compatible (self))
    {
      entry = fs_cache_stage (self, cancellable, error);
      if (entry != NULL)
        _fs_cache_entry_set_incompatible (entry, name);
      return entry;
    }

  fd =
    _fs_anon_create (self, self->dirs.objects_fd, FS_DIR_OBJECTS, TRUE, uuid, &has_record, error);
  if (fd < 0)
    return NULL;

  entry = _fs_cache_entry_new (self, FS_CACHE_ENTRY_KIND_STORING, self->dirs.objects_fd,
                               FS_DIR_OBJECTS, uuid, name, fd, has_record, 0, NULL);
  return entry;
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
  char uuid[38];
  gboolean has_record;
  int fd;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!_fs_cache_check_open (self, error))
    return NULL;
  if (_fs_cancellable_set_error (cancellable, error))
    return NULL;

  fd = _fs_anon_create (self, self->dirs.stage_fd, FS_DIR_STAGE, FALSE, uuid, &has_record, error);
  if (fd < 0)
    return NULL;

  return _fs_cache_entry_new (self, FS_CACHE_ENTRY_KIND_STAGED, self->dirs.stage_fd, FS_DIR_STAGE,
                              uuid, NULL, fd, FALSE, 0, NULL);
}

/**
 * fs_cache_get_info:
 * @self: an #FsCache
 *
 * The configuration of the cache, as read from `cache.info` (re-read when
 * another process changed it).
 *
 * Returns: (transfer full): a copy of the configuration
 *
 * Since: 1.0
 */
FsCacheInfo *
fs_cache_get_info (FsCache *self)
{
  FsCacheInfo *info;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);

  refresh_info (self);
  g_mutex_lock (&self->mutex);
  info = fs_cache_info_copy (self->info);
  g_mutex_unlock (&self->mutex);
  return info;
}

static void
share_scaffolding (FsCache *self)
{
  static const char *const files[] = { FS_FILE_CACHE_LOCK, FS_FILE_CACHE_SIZE, FS_FILE_CACHE_TAG };
  static const char *const dirs[] = { FS_DIR_OBJECTS, FS_DIR_STAGE, FS_DIR_JOURNAL };

  _fs_cache_fix_mode (self, self->dirs.dir_fd, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    _fs_cache_fix_mode_at (self, self->dirs.dir_fd, files[i], FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    _fs_cache_fix_mode_at (self, self->dirs.dir_fd, dirs[i], TRUE);
  if (self->dirs.journal_fd >= 0)
    {
      _fs_cache_fix_mode_at (self, self->dirs.journal_fd, FS_FILE_INTENT, FALSE);
      _fs_cache_fix_mode_at (self, self->dirs.journal_fd, "evict.lock", FALSE);
    }
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
  g_autofree char *data = NULL;
  g_autofree char *out = NULL;
  g_autoptr (JsonObject) object = NULL;
  fs_autofd fd = -1;
  fs_autofd tmp_fd = -1;
  char tmp[38];
  gsize len, out_len;
  int errsv = 0;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_fs_cache_check_open (self, error))
    return FALSE;
  if (!_fs_cache_is_compatible (self) || self->dirs.journal_fd < 0)
    {
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INCOMPATIBLE,
                   _ ("The cache %s has an incompatible version and can't be changed"), self->path);
      return FALSE;
    }
  if (fs_cache_info_has_version (info) &&
      fs_cache_info_get_version (info) != FS_CACHE_FORMAT_VERSION)
    {
      g_autofree char *version =
        g_strdup_printf ("%" G_GINT64_FORMAT, fs_cache_info_get_version (info));
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INCOMPATIBLE,
                   _ ("Version %s is not supported by this library"), version);
      return FALSE;
    }

  fd = _fs_lock_open_at (self->dirs.dir_fd, FS_FILE_CACHE_INFO, O_RDWR | O_NOCTTY, 0, F_WRLCK, TRUE,
                         cancellable, NULL);
  if (fd < 0)
    {
      if (errno == ECANCELED)
        return !_fs_cancellable_set_error (cancellable, error);
      return _fs_throw_errno (error, errno, _ ("Locking %s/%s"), self->path, FS_FILE_CACHE_INFO);
    }
  if (!_fs_read_small_fd (fd, &data, &len, &errsv))
    errsv = errsv == EFBIG ? 0 : errsv;
  else
    object = _fs_meta_parse_object (data, len);
  if (errsv != 0 && object == NULL && data == NULL)
    return _fs_throw_errno (error, errsv, _ ("Reading %s/%s"), self->path, FS_FILE_CACHE_INFO);

  if (object == NULL)
    {
      object = json_object_new ();
      json_object_set_int_member (object, "version", FS_CACHE_FORMAT_VERSION);
    }
  else if (!json_object_has_member (object, "version"))
    json_object_set_int_member (object, "version", FS_CACHE_FORMAT_VERSION);
  else
    {
      g_autoptr (FsCacheInfo) on_disk = _fs_cache_info_new_from_json (object);
      if (fs_cache_info_get_version (on_disk) != FS_CACHE_FORMAT_VERSION)
        {
          g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INCOMPATIBLE,
                       _ ("The cache %s has an incompatible version and can't be changed"),
                       self->path);
          return FALSE;
        }
    }
  _fs_cache_info_merge_into_json (info, object);
  out = _fs_meta_object_to_data (object, &out_len);

  /* Write a new file and rename it over the old one while holding the lock
   * of the old one; the temporary file is locked so no sweeper takes it. */
  tmp_fd = _fs_openat (self->dirs.journal_fd, ".", O_TMPFILE | O_RDWR | O_NOCTTY,
                       _fs_cache_get_file_mode (self));
  if (tmp_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Creating a temporary file in %s/%s"), self->path,
                            FS_DIR_JOURNAL);
  if (_fs_lock_fd (tmp_fd, F_WRLCK, FALSE, NULL) < 0 || !_fs_write_all (tmp_fd, out, out_len, 0))
    return _fs_throw_errno (error, errno, _ ("Writing %s/%s"), self->path, FS_FILE_CACHE_INFO);
  {
    /* The new configuration decides: turning sharing on makes cache.info
     * itself group-writable, so every member can change it later. */
    g_autoptr (FsCacheInfo) merged = _fs_cache_info_new_from_json (object);
    gboolean shared = fs_cache_info_has_shared (merged) ? fs_cache_info_get_shared (merged)
                                                        : self->dir_group_writable;
    if (shared)
      (void) fchmod (tmp_fd, 0664);
  }
  if (!_fs_cache_is_volatile (self))
    {
      _fs_count_sync ();
      if (fdatasync (tmp_fd) < 0)
        return _fs_throw_errno (error, errno, _ ("Writing %s/%s"), self->path, FS_FILE_CACHE_INFO);
    }
  _fs_random_uuid_name (tmp);
  if (!_fs_link_fd_at (tmp_fd, self->dirs.journal_fd, tmp))
    return _fs_throw_errno (error, errno, _ ("Writing %s/%s"), self->path, FS_FILE_CACHE_INFO);
  if (renameat (self->dirs.journal_fd, tmp, self->dirs.dir_fd, FS_FILE_CACHE_INFO) < 0)
    {
      errsv = errno;
      unlinkat (self->dirs.journal_fd, tmp, 0);
      return _fs_throw_errno (error, errsv, _ ("Replacing %s/%s"), self->path, FS_FILE_CACHE_INFO);
    }

  {
    gboolean was_shared = _fs_cache_is_shared (self);

    g_mutex_lock (&self->mutex);
    g_clear_pointer (&self->info, fs_cache_info_unref);
    self->info = _fs_cache_info_new_from_json (object);
    if (fstat (tmp_fd, &self->info_st) < 0)
      memset (&self->info_st, 0, sizeof self->info_st);
    g_mutex_unlock (&self->mutex);

    /* A private cache made shared: its scaffolding too must let the group
     * in, or other members could not lock the counter or add entries. */
    if (!was_shared && _fs_cache_is_shared (self))
      share_scaffolding (self);
  }
  return TRUE;
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
  guint64 used;
  gboolean ok;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (maximum_size <= G_MAXINT64 || maximum_size == FS_CACHE_SIZE_UNLIMITED,
                        FALSE);

  fs_cache_info_set_maximum_size (info, maximum_size);
  if (!fs_cache_set_info (self, info, cancellable, error))
    return FALSE;

  /* A lower maximum trims the cache to it at once. */
  if (!_fs_journal_get_size (self, &used, cancellable, error))
    return FALSE;
  if (maximum_size == FS_CACHE_SIZE_UNLIMITED || used <= maximum_size)
    return TRUE;
  _fs_cache_op_begin (self);
  ok = _fs_evict_lru (self, maximum_size, 0, FALSE, NULL, NULL, cancellable, error);
  _fs_cache_op_end (self);
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
  guint64 used = 0;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_fs_cache_check_open (self, error))
    return FALSE;
  if (!_fs_journal_get_size (self, &used, cancellable, error))
    return FALSE;
  if (out_used != NULL)
    *out_used = used;
  if (out_maximum != NULL)
    *out_maximum = _fs_cache_get_maximum (self);
  return TRUE;
}

void
_fs_cache_op_begin (FsCache *self)
{
  g_rw_lock_reader_lock (&self->op_lock);
}

void
_fs_cache_op_end (FsCache *self)
{
  g_rw_lock_reader_unlock (&self->op_lock);
}

/* Nobody else in the cache: no other thread of ours in an operation, and
 * no other open file description holding cache.lock (our read lock is
 * converted to a write lock in place, atomically, and back). */
gboolean
_fs_cache_try_exclusive (FsCache *self)
{
  gboolean ok = FALSE;

  if (!g_rw_lock_writer_trylock (&self->op_lock))
    return FALSE;
  g_mutex_lock (&self->mutex);
  if (self->lock_fd >= 0 && _fs_lock_fd (self->lock_fd, F_WRLCK, FALSE, NULL) == 0)
    ok = TRUE;
  g_mutex_unlock (&self->mutex);
  if (!ok)
    g_rw_lock_writer_unlock (&self->op_lock);
  return ok;
}

void
_fs_cache_end_exclusive (FsCache *self)
{
  g_mutex_lock (&self->mutex);
  if (self->lock_fd >= 0 && _fs_lock_fd (self->lock_fd, F_RDLCK, FALSE, NULL) < 0)
    g_warning ("could not give the cache lock of %s back: %s", self->path, g_strerror (errno));
  g_mutex_unlock (&self->mutex);
  g_rw_lock_writer_unlock (&self->op_lock);
}

/* After wait_exclusive() let go of cache.lock: only a whole-cache operation
 * of another process (an idle open, a recount) holds the write lock, for a
 * moment; wait for it without holding the mutex. */
static void
take_read_lock_back (FsCache *self)
{
  gulong pause_us = 1000;

  for (;;)
    {
      gboolean done;

      g_mutex_lock (&self->mutex);
      done = self->lock_fd < 0 || _fs_lock_fd (self->lock_fd, F_RDLCK, FALSE, NULL) == 0;
      if (!done && errno != EAGAIN)
        {
          g_warning ("could not take the cache lock of %s again: %s", self->path,
                     g_strerror (errno));
          done = TRUE;
        }
      g_mutex_unlock (&self->mutex);
      if (done)
        return;
      g_usleep (pause_us);
      pause_us = MIN (pause_us * 2, 50000);
    }
}

/* Like _fs_cache_try_exclusive(), trying until @deadline (monotonic time;
 * -1: no limit) or cancellation. *@out_idle tells whether it succeeded;
 * FALSE with @error only when cancelled or closed meanwhile.
 *
 * Every open cache holds a read lock, a waiter too: two waiters would keep
 * each other from ever being alone. So between attempts, when none of our
 * threads is in an operation (which a recount elsewhere could miscount), a
 * waiter drops its read lock for as long as it pauses, then tries for the
 * write lock before taking the read lock back: of two waiters, the one that
 * tries while the other has let go gets through. */
static gboolean
wait_exclusive (FsCache *self,
                gint64 deadline,
                gboolean *out_idle,
                GCancellable *cancellable,
                GError **error)
{
  gulong pause_us = 5000;

  *out_idle = FALSE;
  for (;;)
    {
      gboolean got = FALSE;
      gint64 now;

      if (_fs_cache_try_exclusive (self))
        {
          *out_idle = TRUE;
          return TRUE;
        }
      if (_fs_cancellable_set_error (cancellable, error) || !_fs_cache_check_open (self, error))
        return FALSE;
      now = g_get_monotonic_time ();
      if (deadline >= 0 && now >= deadline)
        return TRUE;
      if (deadline >= 0)
        pause_us = MIN (pause_us, (gulong) (deadline - now));

      if (g_rw_lock_writer_trylock (&self->op_lock))
        {
          gboolean dropped = FALSE;

          g_mutex_lock (&self->mutex);
          if (self->lock_fd >= 0)
            {
              _fs_unlock_fd (self->lock_fd);
              dropped = TRUE;
            }
          g_mutex_unlock (&self->mutex);
          g_usleep (pause_us);
          if (dropped)
            {
              g_mutex_lock (&self->mutex);
              got = self->lock_fd >= 0 && _fs_lock_fd (self->lock_fd, F_WRLCK, FALSE, NULL) == 0;
              g_mutex_unlock (&self->mutex);
              if (got)
                {
                  *out_idle = TRUE;
                  return TRUE; /* op_lock held for writing, as by _fs_cache_try_exclusive() */
                }
              take_read_lock_back (self);
            }
          g_rw_lock_writer_unlock (&self->op_lock);
        }
      g_usleep (pause_us);
      pause_us = MIN (pause_us * 2, 100000);
    }
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
  gboolean others;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);

  if (!g_rw_lock_writer_trylock (&self->op_lock))
    return TRUE;
  /* Asked, not taken: a user who may read the cache but not write it has
   * cache.lock open read-only, where a write lock always fails (EBADF) —
   * that is no other user. Our own read lock never conflicts with us. */
  g_mutex_lock (&self->mutex);
  others = self->lock_fd < 0 || _fs_lock_test (self->lock_fd, F_WRLCK) != 0;
  g_mutex_unlock (&self->mutex);
  g_rw_lock_writer_unlock (&self->op_lock);
  return others;
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
  g_autoptr (GListStore) store = NULL;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!_fs_cache_check_open (self, error) || _fs_cancellable_set_error (cancellable, error))
    return NULL;
  store = g_list_store_new (FS_TYPE_CACHE_ITEM);
  if (!_fs_cache_is_compatible (self))
    return G_LIST_MODEL (g_steal_pointer (&store));

  entries = _fs_evict_scan (self, cancellable, error);
  if (entries == NULL)
    return NULL;
  for (guint i = 0; i < entries->len; i++)
    {
      FsEntryStat *e = entries->pdata[i];
      g_autoptr (FsCacheItem) item =
        _fs_cache_item_new (e->name, e->size, e->last_used_usec, e->boot_id);
      g_list_store_append (store, item);
    }
  g_list_store_sort (store, compare_items, NULL);
  return G_LIST_MODEL (g_steal_pointer (&store));
}

/**
 * fs_cache_remove:
 * @self: an #FsCache
 * @name: the name of a committed entry
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Removes a committed entry, its accounting included. Fails with
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
  gboolean ok;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_fs_cache_check_open (self, error) || !fs_cache_name_is_valid (name, error))
    return FALSE;
  if (!_fs_cache_is_compatible (self))
    return g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INCOMPATIBLE,
                        _ ("The cache %s has an incompatible version and can't be changed"),
                        self->path),
           FALSE;
  if (_fs_cancellable_set_error (cancellable, error))
    return FALSE;

  _fs_cache_op_begin (self);
  ok = _fs_evict_remove (self, name, NULL, cancellable, error);
  _fs_cache_op_end (self);
  return ok;
}

/**
 * fs_cache_prune:
 * @self: an #FsCache
 * @target_size: the space the committed entries may use afterwards, in bytes
 * @flags: flags
 * @out_entries: (out) (optional): how many entries were (or would be) evicted
 * @out_bytes: (out) (optional): how many bytes they held
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Evicts least recently used entries until the cache uses at most
 * @target_size. Entries in use are skipped, so the target may not be
 * reached. With %FS_CACHE_MAINTENANCE_DRY_RUN, only reports.
 *
 * The space used is the sum of the sizes of the entries, not the size
 * counter, which drifts in a cache shared with osbuild: a target of 0
 * removes every entry not in use whatever the counter says. A counter found
 * to disagree is recounted at once when nobody else has the cache open;
 * else fs_cache_collect_garbage_full() corrects it once nobody has.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_prune (FsCache *self,
                guint64 target_size,
                FsCacheMaintenanceFlags flags,
                guint *out_entries,
                guint64 *out_bytes,
                GCancellable *cancellable,
                GError **error)
{
  gboolean dry_run = (flags & FS_CACHE_MAINTENANCE_DRY_RUN) != 0;
  gboolean drift = FALSE;
  gboolean ok;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_fs_cache_check_open (self, error))
    return FALSE;
  if (!_fs_cache_is_compatible (self))
    return g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INCOMPATIBLE,
                        _ ("The cache %s has an incompatible version and can't be changed"),
                        self->path),
           FALSE;

  _fs_cache_op_begin (self);
  ok = _fs_evict_prune (self, target_size, dry_run, out_entries, out_bytes, &drift, cancellable,
                        error);
  _fs_cache_op_end (self);

  /* The counter disagreed with the entries (osbuild's removals make it
   * drift): when nobody else is in the cache, make it exact now. With
   * others in it, the difference may as well be their operations in
   * flight (the scan is not atomic): no recount is asked for on that
   * ground, but one that was subtracted below 0 asked for one already. */
  if (ok && drift && !dry_run && _fs_cache_try_exclusive (self))
    {
      ok = _fs_journal_recount (self, NULL, NULL, cancellable, error);
      _fs_cache_end_exclusive (self);
    }
  return ok;
}

/**
 * fs_cache_collect_garbage:
 * @self: an #FsCache
 * @flags: flags
 * @out_removed: (out) (optional): how many leftovers were (or would be) removed
 * @out_reclaimed: (out) (optional): the space they used, in bytes
 * @out_correction: (out) (optional): by how much the size counter was (or
 *   would be) corrected
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Removes what crashed users left: finishes or undoes their interrupted
 * operations (accounting included), removes staging entries, anonymous
 * entries and temporary files whose lock nobody holds, and named entries
 * without valid metadata. When nobody else has the cache open, also
 * recounts the size counter exactly (a dry run measures by how much it is
 * off). Entries a live process holds, of this library or of osbuild, are
 * never touched.
 *
 * This is fs_cache_collect_garbage_full() without waiting: use that to know
 * whether the counter could be checked, or to wait until it can.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_collect_garbage (FsCache *self,
                          FsCacheMaintenanceFlags flags,
                          guint *out_removed,
                          guint64 *out_reclaimed,
                          gint64 *out_correction,
                          GCancellable *cancellable,
                          GError **error)
{
  FsCacheGcFlags gc_flags = FS_CACHE_GC_NONE;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (flags & FS_CACHE_MAINTENANCE_DRY_RUN)
    gc_flags |= FS_CACHE_GC_DRY_RUN;
  return fs_cache_collect_garbage_full (self, gc_flags, 0, out_removed, out_reclaimed,
                                        out_correction, NULL, cancellable, error);
}

/**
 * fs_cache_collect_garbage_full:
 * @self: an #FsCache
 * @flags: flags
 * @timeout_msec: with %FS_CACHE_GC_WAIT_IDLE, how long to wait for the
 *   cache to be idle, in milliseconds (0: not at all), or -1 to wait until
 *   @cancellable is cancelled; ignored without it
 * @out_removed: (out) (optional): how many leftovers were (or would be) removed
 * @out_reclaimed: (out) (optional): the space they used, in bytes
 * @out_correction: (out) (optional): by how much the size counter was (or
 *   would be) corrected, in bytes: positive when it counted too little; 0
 *   when it was not checked
 * @out_counter_checked: (out) (optional): whether the size counter was
 *   checked against the entries: %FALSE when another process (or another
 *   thread of this one) had the cache open, so the check was skipped
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Collects garbage as fs_cache_collect_garbage() does, and tells whether
 * the size counter could be checked.
 *
 * The size counter (`cache.size`) drifts when the cache is shared with
 * osbuild, whose removals take more off it than its commits added. Only
 * when nobody else has the cache open does the sum of the entries' sizes
 * say exactly what the counter must be: then the counter is recounted (a
 * dry run only measures by how much it is off, cheaply). While another
 * process holds the cache open — osbuild does for a whole build — the check
 * is skipped and @out_counter_checked is %FALSE. With
 * %FS_CACHE_GC_WAIT_IDLE the call first waits, up to @timeout_msec, for the
 * cache to be idle; if it does not become idle in time, garbage is still
 * collected and @out_counter_checked is %FALSE. Waiting callers do not
 * keep each other waiting; while one waits, commits and removals of other
 * threads on @self may be held up for a tenth of a second at a time.
 *
 * Returns: %TRUE on success; %FALSE with @error set on failure or when
 *   cancelled while waiting
 *
 * Since: 1.1
 */
gboolean
fs_cache_collect_garbage_full (FsCache *self,
                               FsCacheGcFlags flags,
                               int timeout_msec,
                               guint *out_removed,
                               guint64 *out_reclaimed,
                               gint64 *out_correction,
                               gboolean *out_counter_checked,
                               GCancellable *cancellable,
                               GError **error)
{
  gboolean idle = FALSE, ok;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (timeout_msec >= -1, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_fs_cache_check_open (self, error))
    return FALSE;
  if (!_fs_cache_is_compatible (self) || self->dirs.journal_fd < 0)
    return g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INCOMPATIBLE,
                        _ ("The cache %s has an incompatible version and can't be changed"),
                        self->path),
           FALSE;

  if ((flags & FS_CACHE_GC_WAIT_IDLE) && timeout_msec != 0)
    {
      gint64 deadline =
        timeout_msec < 0 ? -1 : g_get_monotonic_time () + (gint64) timeout_msec * 1000;

      if (!wait_exclusive (self, deadline, &idle, cancellable, error))
        return FALSE;
    }
  else
    idle = _fs_cache_try_exclusive (self);
  if (!idle)
    {
      g_debug ("collecting garbage in %s: the cache is in use, the counter is not checked",
               self->path);
      _fs_cache_op_begin (self);
    }
  ok = _fs_evict_collect_garbage (self, (flags & FS_CACHE_GC_DRY_RUN) != 0, idle, out_removed,
                                  out_reclaimed, out_correction, cancellable, error);
  if (idle)
    _fs_cache_end_exclusive (self);
  else
    _fs_cache_op_end (self);
  if (ok && out_counter_checked != NULL)
    *out_counter_checked = idle;
  return ok;
}

/* Asynchronous variants: each runs the synchronous call (the source of
 * truth) in a worker thread of GTask. Results that own a lock (entries) are
 * returned with their destroy function, so a result nobody finishes, or one
 * whose task was cancelled meanwhile, releases its entry. */

typedef struct {
  char *name;
  FsCacheInfo *info;
  guint64 u64;
  FsCacheMaintenanceFlags flags;
  FsCacheGcFlags gc_flags;
  int timeout_msec;
  guint out_count;
  guint64 out_a;
  guint64 out_b;
  gint64 out_c;
  gboolean out_checked;
} CacheTaskData;

static void
cache_task_data_free (gpointer p)
{
  CacheTaskData *data = p;

  g_free (data->name);
  g_clear_pointer (&data->info, fs_cache_info_unref);
  g_free (data);
}

static GTask *
cache_task_new (FsCache *self,
                gpointer source_tag,
                int io_priority,
                GCancellable *cancellable,
                GAsyncReadyCallback callback,
                gpointer user_data,
                CacheTaskData **out_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  CacheTaskData *data = g_new0 (CacheTaskData, 1);

  g_task_set_source_tag (task, source_tag);
  g_task_set_priority (task, io_priority);
  g_task_set_task_data (task, data, cache_task_data_free);
  *out_data = data;
  return task;
}

static void
return_entry (GTask *task, FsCacheEntry *entry, GError *error)
{
  if (entry == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entry, g_object_unref);
}

static void
return_boolean (GTask *task, gboolean ok, GError *error)
{
  if (!ok)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * fs_cache_new_async:
 * @app_id: the application id of the caller
 * @directory: the cache directory
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the cache is open
 * @user_data: data for @callback
 *
 * Opens the cache in @directory without blocking: see fs_cache_new().
 *
 * Since: 1.0
 */
void
fs_cache_new_async (const char *app_id,
                    GFile *directory,
                    int io_priority,
                    GCancellable *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer user_data)
{
  g_return_if_fail (app_id != NULL);
  g_return_if_fail (G_IS_FILE (directory));

  g_async_initable_new_async (FS_TYPE_CACHE, io_priority, cancellable, callback, user_data,
                              "app-id", app_id, "directory", directory, NULL);
}

/**
 * fs_cache_new_finish:
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_new_async().
 *
 * Returns: (transfer full): the open cache, or %NULL with @error set
 *
 * Since: 1.0
 */
FsCache *
fs_cache_new_finish (GAsyncResult *result, GError **error)
{
  g_autoptr (GObject) source = g_async_result_get_source_object (result);
  GObject *object;

  object = g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error);
  return object != NULL ? FS_CACHE (object) : NULL;
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CacheTaskData *data = task_data;
  GError *error = NULL;
  FsCacheEntry *entry = fs_cache_load (source, data->name, cancellable, &error);

  return_entry (task, entry, error);
}

/**
 * fs_cache_load_async:
 * @self: an #FsCache
 * @name: the name of the entry
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Loads an entry without blocking: see fs_cache_load().
 *
 * Since: 1.0
 */
void
fs_cache_load_async (FsCache *self,
                     const char *name,
                     int io_priority,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  CacheTaskData *data;

  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);

  task = cache_task_new (self, fs_cache_load_async, io_priority, cancellable, callback, user_data,
                         &data);
  data->name = g_strdup (name);
  g_task_run_in_thread (task, load_thread);
}

/**
 * fs_cache_load_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_load_async().
 *
 * Returns: (transfer full): the loaded entry, or %NULL with @error set
 *
 * Since: 1.0
 */
FsCacheEntry *
fs_cache_load_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_load_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
store_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CacheTaskData *data = task_data;
  GError *error = NULL;
  FsCacheEntry *entry = fs_cache_store (source, data->name, cancellable, &error);

  return_entry (task, entry, error);
}

/**
 * fs_cache_store_async:
 * @self: an #FsCache
 * @name: the name to commit the entry under
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Creates an entry to store without blocking: see fs_cache_store().
 *
 * Since: 1.0
 */
void
fs_cache_store_async (FsCache *self,
                      const char *name,
                      int io_priority,
                      GCancellable *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  CacheTaskData *data;

  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);

  task = cache_task_new (self, fs_cache_store_async, io_priority, cancellable, callback, user_data,
                         &data);
  data->name = g_strdup (name);
  g_task_run_in_thread (task, store_thread);
}

/**
 * fs_cache_store_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_store_async().
 *
 * Returns: (transfer full): the new entry, or %NULL with @error set
 *
 * Since: 1.0
 */
FsCacheEntry *
fs_cache_store_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_store_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
stage_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  FsCacheEntry *entry = fs_cache_stage (source, cancellable, &error);

  return_entry (task, entry, error);
}

/**
 * fs_cache_stage_async:
 * @self: an #FsCache
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Creates a staging entry without blocking: see fs_cache_stage().
 *
 * Since: 1.0
 */
void
fs_cache_stage_async (FsCache *self,
                      int io_priority,
                      GCancellable *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  CacheTaskData *data;

  g_return_if_fail (FS_IS_CACHE (self));

  task = cache_task_new (self, fs_cache_stage_async, io_priority, cancellable, callback, user_data,
                         &data);
  g_task_run_in_thread (task, stage_thread);
}

/**
 * fs_cache_stage_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_stage_async().
 *
 * Returns: (transfer full): the new entry, or %NULL with @error set
 *
 * Since: 1.0
 */
FsCacheEntry *
fs_cache_stage_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_stage_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
set_info_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CacheTaskData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_set_info (source, data->info, cancellable, &error);

  return_boolean (task, ok, error);
}

/**
 * fs_cache_set_info_async:
 * @self: an #FsCache
 * @info: the fields to change
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Changes the configuration without blocking: see fs_cache_set_info().
 *
 * Since: 1.0
 */
void
fs_cache_set_info_async (FsCache *self,
                         FsCacheInfo *info,
                         int io_priority,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  CacheTaskData *data;

  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (info != NULL);

  task = cache_task_new (self, fs_cache_set_info_async, io_priority, cancellable, callback,
                         user_data, &data);
  data->info = fs_cache_info_copy (info);
  g_task_run_in_thread (task, set_info_thread);
}

/**
 * fs_cache_set_info_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_set_info_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_set_info_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_set_info_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
set_maximum_size_thread (GTask *task,
                         gpointer source,
                         gpointer task_data,
                         GCancellable *cancellable)
{
  CacheTaskData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_set_maximum_size (source, data->u64, cancellable, &error);

  return_boolean (task, ok, error);
}

/**
 * fs_cache_set_maximum_size_async:
 * @self: an #FsCache
 * @maximum_size: bytes, or %FS_CACHE_SIZE_UNLIMITED
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Sets the maximum size without blocking: see fs_cache_set_maximum_size().
 *
 * Since: 1.0
 */
void
fs_cache_set_maximum_size_async (FsCache *self,
                                 guint64 maximum_size,
                                 int io_priority,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  CacheTaskData *data;

  g_return_if_fail (FS_IS_CACHE (self));

  task = cache_task_new (self, fs_cache_set_maximum_size_async, io_priority, cancellable, callback,
                         user_data, &data);
  data->u64 = maximum_size;
  g_task_run_in_thread (task, set_maximum_size_thread);
}

/**
 * fs_cache_set_maximum_size_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_set_maximum_size_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_set_maximum_size_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_set_maximum_size_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
get_usage_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CacheTaskData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_get_usage (source, &data->out_a, &data->out_b, cancellable, &error);

  return_boolean (task, ok, error);
}

/**
 * fs_cache_get_usage_async:
 * @self: an #FsCache
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Reads the usage without blocking: see fs_cache_get_usage().
 *
 * Since: 1.0
 */
void
fs_cache_get_usage_async (FsCache *self,
                          int io_priority,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  CacheTaskData *data;

  g_return_if_fail (FS_IS_CACHE (self));

  task = cache_task_new (self, fs_cache_get_usage_async, io_priority, cancellable, callback,
                         user_data, &data);
  g_task_run_in_thread (task, get_usage_thread);
}

/**
 * fs_cache_get_usage_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @out_used: (out) (optional): the space used by the committed entries
 * @out_maximum: (out) (optional): the maximum size
 * @error: return location for a #GError
 *
 * Finishes fs_cache_get_usage_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_get_usage_finish (FsCache *self,
                           GAsyncResult *result,
                           guint64 *out_used,
                           guint64 *out_maximum,
                           GError **error)
{
  CacheTaskData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_get_usage_async, FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  if (out_used != NULL)
    *out_used = data->out_a;
  if (out_maximum != NULL)
    *out_maximum = data->out_b;
  return TRUE;
}

static void
list_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  GListModel *list = fs_cache_list (source, cancellable, &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, g_object_unref);
}

/**
 * fs_cache_list_async:
 * @self: an #FsCache
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Lists the committed entries without blocking: see fs_cache_list().
 *
 * Since: 1.0
 */
void
fs_cache_list_async (FsCache *self,
                     int io_priority,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  CacheTaskData *data;

  g_return_if_fail (FS_IS_CACHE (self));

  task = cache_task_new (self, fs_cache_list_async, io_priority, cancellable, callback, user_data,
                         &data);
  g_task_run_in_thread (task, list_thread);
}

/**
 * fs_cache_list_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_list_async().
 *
 * Returns: (transfer full): a list of [class@FsCache.CacheItem], or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
GListModel *
fs_cache_list_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_list_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
remove_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CacheTaskData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_remove (source, data->name, cancellable, &error);

  return_boolean (task, ok, error);
}

/**
 * fs_cache_remove_async:
 * @self: an #FsCache
 * @name: the name of a committed entry
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Removes an entry without blocking: see fs_cache_remove().
 *
 * Since: 1.0
 */
void
fs_cache_remove_async (FsCache *self,
                       const char *name,
                       int io_priority,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  CacheTaskData *data;

  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);

  task = cache_task_new (self, fs_cache_remove_async, io_priority, cancellable, callback, user_data,
                         &data);
  data->name = g_strdup (name);
  g_task_run_in_thread (task, remove_thread);
}

/**
 * fs_cache_remove_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_remove_async().
 *
 * Returns: %TRUE if the entry was removed
 *
 * Since: 1.0
 */
gboolean
fs_cache_remove_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_remove_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
prune_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CacheTaskData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_prune (source, data->u64, data->flags, &data->out_count, &data->out_a,
                                cancellable, &error);

  return_boolean (task, ok, error);
}

/**
 * fs_cache_prune_async:
 * @self: an #FsCache
 * @target_size: the space the committed entries may use afterwards
 * @flags: flags
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Prunes the cache without blocking: see fs_cache_prune().
 *
 * Since: 1.0
 */
void
fs_cache_prune_async (FsCache *self,
                      guint64 target_size,
                      FsCacheMaintenanceFlags flags,
                      int io_priority,
                      GCancellable *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  CacheTaskData *data;

  g_return_if_fail (FS_IS_CACHE (self));

  task = cache_task_new (self, fs_cache_prune_async, io_priority, cancellable, callback, user_data,
                         &data);
  data->u64 = target_size;
  data->flags = flags;
  g_task_run_in_thread (task, prune_thread);
}

/**
 * fs_cache_prune_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @out_entries: (out) (optional): how many entries were evicted
 * @out_bytes: (out) (optional): how many bytes they held
 * @error: return location for a #GError
 *
 * Finishes fs_cache_prune_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_prune_finish (FsCache *self,
                       GAsyncResult *result,
                       guint *out_entries,
                       guint64 *out_bytes,
                       GError **error)
{
  CacheTaskData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_prune_async, FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  if (out_entries != NULL)
    *out_entries = data->out_count;
  if (out_bytes != NULL)
    *out_bytes = data->out_a;
  return TRUE;
}

static void
collect_garbage_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CacheTaskData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_collect_garbage (source, data->flags, &data->out_count, &data->out_a,
                                          &data->out_c, cancellable, &error);

  return_boolean (task, ok, error);
}

/**
 * fs_cache_collect_garbage_async:
 * @self: an #FsCache
 * @flags: flags
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Collects garbage without blocking: see fs_cache_collect_garbage().
 *
 * Since: 1.0
 */
void
fs_cache_collect_garbage_async (FsCache *self,
                                FsCacheMaintenanceFlags flags,
                                int io_priority,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  CacheTaskData *data;

  g_return_if_fail (FS_IS_CACHE (self));

  task = cache_task_new (self, fs_cache_collect_garbage_async, io_priority, cancellable, callback,
                         user_data, &data);
  data->flags = flags;
  g_task_run_in_thread (task, collect_garbage_thread);
}

/**
 * fs_cache_collect_garbage_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @out_removed: (out) (optional): how many leftovers were removed
 * @out_reclaimed: (out) (optional): the space they used
 * @out_correction: (out) (optional): by how much the size counter was corrected
 * @error: return location for a #GError
 *
 * Finishes fs_cache_collect_garbage_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_collect_garbage_finish (FsCache *self,
                                 GAsyncResult *result,
                                 guint *out_removed,
                                 guint64 *out_reclaimed,
                                 gint64 *out_correction,
                                 GError **error)
{
  CacheTaskData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_collect_garbage_async,
                        FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  if (out_removed != NULL)
    *out_removed = data->out_count;
  if (out_reclaimed != NULL)
    *out_reclaimed = data->out_a;
  if (out_correction != NULL)
    *out_correction = data->out_c;
  return TRUE;
}

static void
collect_garbage_full_thread (GTask *task,
                             gpointer source,
                             gpointer task_data,
                             GCancellable *cancellable)
{
  CacheTaskData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_collect_garbage_full (source, data->gc_flags, data->timeout_msec,
                                               &data->out_count, &data->out_a, &data->out_c,
                                               &data->out_checked, cancellable, &error);

  return_boolean (task, ok, error);
}

/**
 * fs_cache_collect_garbage_full_async:
 * @self: an #FsCache
 * @flags: flags
 * @timeout_msec: with %FS_CACHE_GC_WAIT_IDLE, how long to wait for the
 *   cache to be idle, in milliseconds, or -1 to wait until @cancellable is
 *   cancelled
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Collects garbage without blocking: see fs_cache_collect_garbage_full().
 * The wait for an idle cache happens in a worker thread too.
 *
 * Since: 1.1
 */
void
fs_cache_collect_garbage_full_async (FsCache *self,
                                     FsCacheGcFlags flags,
                                     int timeout_msec,
                                     int io_priority,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  CacheTaskData *data;

  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (timeout_msec >= -1);

  task = cache_task_new (self, fs_cache_collect_garbage_full_async, io_priority, cancellable,
                         callback, user_data, &data);
  data->gc_flags = flags;
  data->timeout_msec = timeout_msec;
  g_task_run_in_thread (task, collect_garbage_full_thread);
}

/**
 * fs_cache_collect_garbage_full_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @out_removed: (out) (optional): how many leftovers were (or would be) removed
 * @out_reclaimed: (out) (optional): the space they used, in bytes
 * @out_correction: (out) (optional): by how much the size counter was (or
 *   would be) corrected, in bytes
 * @out_counter_checked: (out) (optional): whether the size counter was
 *   checked against the entries
 * @error: return location for a #GError
 *
 * Finishes fs_cache_collect_garbage_full_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.1
 */
gboolean
fs_cache_collect_garbage_full_finish (FsCache *self,
                                      GAsyncResult *result,
                                      guint *out_removed,
                                      guint64 *out_reclaimed,
                                      gint64 *out_correction,
                                      gboolean *out_counter_checked,
                                      GError **error)
{
  CacheTaskData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                          fs_cache_collect_garbage_full_async,
                        FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  if (out_removed != NULL)
    *out_removed = data->out_count;
  if (out_reclaimed != NULL)
    *out_reclaimed = data->out_a;
  if (out_correction != NULL)
    *out_correction = data->out_c;
  if (out_counter_checked != NULL)
    *out_counter_checked = data->out_checked;
  return TRUE;
}

/* The source of a store_tree(): a directory's contents become data/, a
 * file or symlink becomes data/BASENAME. */
static gboolean
store_tree_fill (FsCache *self,
                 FsCacheEntry *entry,
                 const char *source,
                 FsCacheStoreFlags flags,
                 GFileProgressCallback progress,
                 gpointer progress_data,
                 char **out_moved_from,
                 GCancellable *cancellable,
                 GError **error)
{
  g_autofree char *base = g_path_get_basename (source);
  fs_autofd entry_fd = _fs_cache_entry_open_dir (entry);
  FsCopyOptions copy = { 0 };
  struct stat st;
  gboolean is_dir;

  if (entry_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening the new entry of %s"), self->path);
  if (lstat (source, &st) < 0)
    return _fs_throw_errno (error, errno, _ ("Reading %s"), source);
  is_dir = S_ISDIR (st.st_mode);

  if (flags & FS_CACHE_STORE_MOVE)
    {
      g_autofree char *target =
        is_dir ? g_strdup (FS_DIR_DATA) : g_build_filename (FS_DIR_DATA, base, NULL);
      int errsv;

      if (is_dir && unlinkat (entry_fd, FS_DIR_DATA, AT_REMOVEDIR) < 0)
        return _fs_throw_errno (error, errno, _ ("Preparing the new entry of %s"), self->path);
      if (renameat (AT_FDCWD, source, entry_fd, target) == 0)
        {
          _fs_cache_entry_set_restore (entry, is_dir ? NULL : base, source);
          if (progress != NULL)
            progress (st.st_size, st.st_size, progress_data);
          return TRUE;
        }
      errsv = errno;
      if (is_dir && mkdirat (entry_fd, FS_DIR_DATA, _fs_cache_get_dir_mode (self)) < 0)
        return _fs_throw_errno (error, errno, _ ("Preparing the new entry of %s"), self->path);
      if (errsv != EXDEV)
        return _fs_throw_errno (error, errsv, _ ("Moving %s into the cache %s"), source,
                                self->path);
      if (flags & FS_CACHE_STORE_NO_COPY)
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                            _ ("Can't move %s into the cache %s: not on the same file system"),
                            source, self->path),
               FALSE;
      *out_moved_from = g_strdup (source);
    }

  copy.cancellable = cancellable;
  copy.progress = progress;
  copy.progress_data = progress_data;
  copy.shared = _fs_cache_is_shared (self);
  if (progress != NULL)
    copy.total_bytes = _fs_tree_content_bytes (AT_FDCWD, source);

  if (is_dir)
    return _fs_tree_copy (AT_FDCWD, source, entry_fd, FS_DIR_DATA, &copy, error);
  else
    {
      fs_autofd data_fd = openat (entry_fd, FS_DIR_DATA, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (data_fd < 0)
        return _fs_throw_errno (error, errno, _ ("Opening the new entry of %s"), self->path);
      return _fs_tree_copy (AT_FDCWD, source, data_fd, base, &copy, error);
    }
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
  g_autofree char *path = NULL;
  g_autofree char *moved_from = NULL;
  FsCacheCommitStatus status;

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
  if (!store_tree_fill (self, entry, path, flags, progress, progress_data, &moved_from, cancellable,
                        error))
    {
      fs_cache_entry_release (entry);
      return FALSE;
    }
  if (!fs_cache_entry_commit (entry, &status, cancellable, error))
    return FALSE;

  if (status == FS_CACHE_COMMIT_STORED && moved_from != NULL)
    {
      g_autofree char *parent = g_path_get_dirname (moved_from);
      g_autofree char *base = g_path_get_basename (moved_from);
      fs_autofd pfd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (pfd < 0 || _fs_rm_rf_at (pfd, base) < 0)
        g_warning (_ ("Stored %s, but could not remove the source %s: %s"), name, moved_from,
                   g_strerror (errno));
    }
  if (out_status != NULL)
    *out_status = status;
  return TRUE;
}

/* Always through a source attached to the caller's context: never called
 * directly from the worker, even when that context is the global default. */
static void
invoke_in (GMainContext *context,
           int priority,
           GSourceFunc func,
           gpointer data,
           GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, priority);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "[fscache] store_tree progress");
  g_source_attach (source, context);
  g_source_unref (source);
}

typedef struct {
  GDestroyNotify free_func;
  gpointer data;
} FreeEvent;

static gboolean
free_in_context (gpointer p)
{
  FreeEvent *event = p;

  event->free_func (event->data);
  return G_SOURCE_REMOVE;
}

typedef struct {
  char *name;
  GFile *source;
  FsCacheStoreFlags flags;
  GFileProgressCallback progress;
  gpointer progress_data;
  GDestroyNotify progress_data_free;
  GMainContext *context;
  int priority;
  FsCacheCommitStatus status;
} StoreTreeData;

static void
store_tree_data_free (gpointer p)
{
  StoreTreeData *data = p;

  g_free (data->name);
  g_clear_object (&data->source);
  if (data->progress_data_free != NULL)
    {
      /* Freed in the caller's context too, after the progress events
       * queued before it (same priority, attached earlier). */
      FreeEvent *event = g_new (FreeEvent, 1);
      event->free_func = data->progress_data_free;
      event->data = data->progress_data;
      invoke_in (data->context, data->priority, free_in_context, event, g_free);
    }
  g_clear_pointer (&data->context, g_main_context_unref);
  g_free (data);
}

typedef struct {
  GFileProgressCallback progress;
  gpointer progress_data;
  goffset current;
  goffset total;
} ProgressEvent;

static gboolean
progress_in_context (gpointer p)
{
  ProgressEvent *event = p;

  event->progress (event->current, event->total, event->progress_data);
  return G_SOURCE_REMOVE;
}

/* In the worker thread: hand the report to the caller's main context. An
 * event carries what it needs, so it may run after the task is gone. */
static void
progress_from_thread (goffset current, goffset total, gpointer user_data)
{
  GTask *task = user_data;
  StoreTreeData *data = g_task_get_task_data (task);
  ProgressEvent *event = g_new (ProgressEvent, 1);

  event->progress = data->progress;
  event->progress_data = data->progress_data;
  event->current = current;
  event->total = total;
  invoke_in (data->context, g_task_get_priority (task), progress_in_context, event, g_free);
}

static void
store_tree_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  StoreTreeData *data = task_data;
  GError *error = NULL;

  if (!fs_cache_store_tree (source, data->name, data->source, data->flags,
                            data->progress != NULL ? progress_from_thread : NULL, task,
                            &data->status, cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * fs_cache_store_tree_async:
 * @self: an #FsCache
 * @name: the name to store the tree under
 * @source: a directory, file or symlink on the local file system
 * @flags: flags
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @progress: (nullable) (scope notified) (closure progress_data) (destroy progress_data_free):
 *   called in the thread-default main context of the caller with the bytes
 *   copied so far and the total
 * @progress_data: data for @progress
 * @progress_data_free: (nullable): frees @progress_data
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Stores a tree without blocking: see fs_cache_store_tree().
 *
 * Since: 1.0
 */
void
fs_cache_store_tree_async (FsCache *self,
                           const char *name,
                           GFile *source,
                           FsCacheStoreFlags flags,
                           int io_priority,
                           GCancellable *cancellable,
                           GFileProgressCallback progress,
                           gpointer progress_data,
                           GDestroyNotify progress_data_free,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  StoreTreeData *data;

  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (G_IS_FILE (source));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fs_cache_store_tree_async);
  g_task_set_priority (task, io_priority);
  data = g_new0 (StoreTreeData, 1);
  data->name = g_strdup (name);
  data->source = g_object_ref (source);
  data->flags = flags;
  data->progress = progress;
  data->progress_data = progress_data;
  data->progress_data_free = progress_data_free;
  data->context = g_main_context_ref_thread_default ();
  data->priority = io_priority;
  g_task_set_task_data (task, data, store_tree_data_free);
  g_task_run_in_thread (task, store_tree_thread);
}

/**
 * fs_cache_store_tree_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @out_status: (out) (optional): what the commit did
 * @error: return location for a #GError
 *
 * Finishes fs_cache_store_tree_async().
 *
 * Returns: %TRUE with @out_status set, or %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
fs_cache_store_tree_finish (FsCache *self,
                            GAsyncResult *result,
                            FsCacheCommitStatus *out_status,
                            GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_store_tree_async,
                        FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (out_status != NULL)
    *out_status = ((StoreTreeData *) g_task_get_task_data (G_TASK (result)))->status;
  return TRUE;
}

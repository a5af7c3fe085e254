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
#include "fs-evict-private.h"
#include "fs-journal-private.h"
#include "fs-lock-private.h"
#include "fs-meta-private.h"
#include "fs-tree-private.h"
#include "fs-util-private.h"

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

  FsCache *cache;
  int area_fd;      /* borrowed from the cache: objects/ or stage/ */
  const char *area; /* FS_DIR_OBJECTS or FS_DIR_STAGE */

  GMutex mutex; /* protects everything below */
  FsCacheEntryKind kind;
  char *dir_name;    /* uuid-X while anonymous, else the name */
  char *name;        /* NULL while anonymous */
  char *target_name; /* the name a storing entry will be committed as */
  char *path;        /* .../AREA/DIR/data */
  GFile *file;       /* created on demand */
  int lock_fd;
  gboolean has_record;
  gboolean released;
  gboolean incompatible;
  guint64 size;
  GDateTime *last_used;
  GPtrArray *retired;  /* values getters returned before a commit, kept until finalize */
  char *restore_child; /* below data/, or "" for data/ itself */
  char *restore_path;  /* where a moved-in tree goes back if not stored */
};

enum { PROP_0, PROP_NAME, PROP_KIND, PROP_FILE, PROP_PATH, PROP_SIZE, PROP_LAST_USED, N_PROPS };

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

  g_clear_object (&self->cache);
  g_clear_object (&self->file);
  g_clear_pointer (&self->retired, free_retired);
  g_clear_pointer (&self->last_used, g_date_time_unref);
  g_free (self->dir_name);
  g_free (self->name);
  g_free (self->target_name);
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

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fs_cache_entry_init (FsCacheEntry *self)
{
  g_mutex_init (&self->mutex);
  self->lock_fd = -1;
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
set_dir_locked (FsCacheEntry *self, const char *dir_name)
{
  g_free (self->dir_name);
  self->dir_name = g_strdup (dir_name);
  retire (self, self->path, g_free);
  self->path = g_build_filename (_fs_cache_get_dirs (self->cache)->path, self->area, dir_name,
                                 FS_DIR_DATA, NULL);
  retire (self, self->file, g_object_unref);
  self->file = NULL;
}

FsCacheEntry *
_fs_cache_entry_new (FsCache *cache,
                     FsCacheEntryKind kind,
                     int area_fd,
                     const char *area,
                     const char *dir_name,
                     const char *name,
                     int lock_fd,
                     gboolean has_record,
                     guint64 size,
                     const struct stat *lock_st)
{
  FsCacheEntry *self = g_object_new (FS_TYPE_CACHE_ENTRY, NULL);

  self->cache = g_object_ref (cache);
  self->kind = kind;
  self->area_fd = area_fd;
  self->area = area;
  self->lock_fd = lock_fd;
  self->has_record = has_record;
  self->size = size;
  set_dir_locked (self, dir_name);
  if (kind == FS_CACHE_ENTRY_KIND_LOADED)
    self->name = g_strdup (name);
  else if (kind == FS_CACHE_ENTRY_KIND_STORING)
    self->target_name = g_strdup (name);
  if (lock_st != NULL)
    {
      g_autoptr (GDateTime) secs = g_date_time_new_from_unix_utc (lock_st->st_atim.tv_sec);
      self->last_used = g_date_time_add (secs, lock_st->st_atim.tv_nsec / 1000);
    }
  return self;
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

int
_fs_cache_entry_open_dir (FsCacheEntry *self)
{
  int fd;

  g_mutex_lock (&self->mutex);
  fd = openat (self->area_fd, self->dir_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  g_mutex_unlock (&self->mutex);
  return fd;
}

void
_fs_cache_entry_set_restore (FsCacheEntry *self, const char *data_child, const char *path)
{
  g_mutex_lock (&self->mutex);
  g_free (self->restore_child);
  g_free (self->restore_path);
  self->restore_child = g_strdup (data_child != NULL ? data_child : "");
  self->restore_path = g_strdup (path);
  g_mutex_unlock (&self->mutex);
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
      g_autofree char *from =
        g_build_filename (self->dir_name, FS_DIR_DATA, self->restore_child, NULL);
      if (renameat (self->area_fd, from, AT_FDCWD, self->restore_path) < 0)
        g_warning (_ ("Could not move %s back to %s: %s"), from, self->restore_path,
                   g_strerror (errno));
    }
  if (self->kind != FS_CACHE_ENTRY_KIND_LOADED)
    _fs_anon_discard (self->cache, self->area_fd, self->dir_name, self->lock_fd, self->has_record);
  self->has_record = FALSE;
  _fs_clear_fd (&self->lock_fd);
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

static gboolean
finish_commit (FsCacheEntry *self, FsCacheCommitStatus status, FsCacheCommitStatus *out_status)
{
  g_debug ("commit as %s: status %d", self->name != NULL ? self->name : self->target_name,
           (int) status);
  if (status != FS_CACHE_COMMIT_STORED)
    release_locked (self);
  if (out_status != NULL)
    *out_status = status;
  return TRUE;
}

static gboolean
commit_locked (FsCacheEntry *self,
               FsCacheCommitStatus *out_status,
               GCancellable *cancellable,
               GError **error)
{
  FsCache *cache = self->cache;
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autofree char *data_path = NULL;
  g_autofree char *info_path = NULL;
  g_autofree char *info = NULL;
  g_autofree char *record = NULL;
  FsRecord rec = { 0 };
  FsTxnRecord record_ref;
  fs_autofd info_fd = -1;
  guint64 size, max;
  gsize info_len, record_len;
  gboolean applied, ok;
  int errsv;

  if (self->incompatible)
    return finish_commit (self, FS_CACHE_COMMIT_INCOMPATIBLE, out_status);

  if (!_fs_cache_check_open (cache, error))
    {
      release_locked (self);
      return FALSE;
    }
  if (_fs_cancellable_set_error (cancellable, error))
    {
      release_locked (self);
      return FALSE;
    }

  data_path = g_strconcat (self->dir_name, "/" FS_DIR_DATA, NULL);
  /* Re-reads cache.info if another process changed it (volatile, maximum). */
  max = _fs_cache_get_maximum (cache);

  /* Durability (see "Power cuts" in fs-journal.c): the tree reaches the
   * disk before the entry can become visible. One syncfs() of the cache's
   * file system instead of an fsync() per file: see docs/format.md for the
   * numbers. Synced before the size is measured, so delayed allocation has
   * settled into the blocks the tree will keep. object.info and the rename
   * are synced after the rename, before STORED. */
  if (!_fs_cache_is_volatile (cache))
    {
      _fs_count_sync ();
      if (syncfs (self->area_fd) < 0)
        {
          _fs_throw_errno (error, errno, _ ("Syncing %s/%s/%s"), dirs->path, self->area,
                           self->dir_name);
          release_locked (self);
          return FALSE;
        }
    }

  if (!_fs_tree_size_at (self->area_fd, data_path, &size, NULL, cancellable, error))
    {
      release_locked (self);
      return FALSE;
    }

  if (max == 0 || (max != FS_CACHE_SIZE_UNLIMITED && size > max))
    return finish_commit (self, FS_CACHE_COMMIT_TOO_LARGE, out_status);

  /* object.info first: it only counts once the entry has its name. */
  info_path = g_strconcat (self->dir_name, "/" FS_FILE_OBJECT_INFO, NULL);
  info = _fs_meta_format_object_info (fs_cache_get_boot_id (cache), size, &info_len);
  info_fd = _fs_openat (self->area_fd, info_path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY,
                        _fs_cache_get_file_mode (cache));
  if (info_fd < 0 || !_fs_write_all (info_fd, info, info_len, 0))
    {
      _fs_throw_errno (error, errno, _ ("Writing %s/%s/%s"), dirs->path, self->area, info_path);
      release_locked (self);
      return FALSE;
    }
  _fs_cache_fix_mode (cache, info_fd, FALSE);
  /* Kept open: synced with the rename, below. */

  /* The journal record says what this commit will account, before it does. */
  rec.op = FS_RECORD_OP_STORE;
  rec.accounted = FALSE;
  rec.size = size;
  g_strlcpy (rec.name, self->target_name, sizeof rec.name);
  record = _fs_meta_format_record (&rec, &record_len);
  if (self->has_record && !_fs_write_all (self->lock_fd, record, record_len, 0))
    {
      _fs_throw_errno (error, errno, _ ("Writing the journal record of %s"), self->dir_name);
      release_locked (self);
      return FALSE;
    }
  _fs_fault_point ("commit-record");

  record_ref.fd = self->lock_fd;
  record_ref.name = self->dir_name;
  _fs_cache_op_begin (cache);
  ok = _fs_evict_account_for_commit (cache, size, max, self->has_record ? self->lock_fd : -1,
                                     self->dir_name, &applied, cancellable, error);
  _fs_cache_op_end (cache);
  if (!ok)
    {
      release_locked (self);
      return FALSE;
    }
  if (!applied)
    return finish_commit (self, FS_CACHE_COMMIT_NO_SPACE, out_status);
  _fs_fault_point ("commit-accounted");

  if (renameat2 (self->area_fd, self->dir_name, self->area_fd, self->target_name,
                 RENAME_NOREPLACE) < 0)
    {
      errsv = errno;
      if (errsv == EINVAL)
        {
          /* No RENAME_NOREPLACE here: a non-empty directory is never
           * replaced by rename(), which is enough for entries. */
          if (renameat (self->area_fd, self->dir_name, self->area_fd, self->target_name) == 0)
            errsv = 0;
          else
            errsv = errno;
        }
      if (errsv != 0)
        {
          g_autoptr (GError) local_error = NULL;
          /* Undo the accounting, then discard. */
          if (!_fs_journal_size_txn (cache, -(gint64) size, FS_CACHE_SIZE_UNLIMITED, &record_ref,
                                     self->has_record ? 1 : 0, FALSE, NULL, NULL, &local_error))
            g_warning ("%s", local_error->message);
          if (errsv == EEXIST || errsv == ENOTEMPTY || errsv == ENOTDIR || errsv == EISDIR)
            return finish_commit (self, FS_CACHE_COMMIT_EXISTS, out_status);
          _fs_throw_errno (error, errsv, _ ("Committing %s/%s/%s as %s"), dirs->path, self->area,
                           self->dir_name, self->target_name);
          release_locked (self);
          return FALSE;
        }
    }
  _fs_fault_point ("commit-renamed");

  /* In a shared cache any member of the group must be able to evict the
   * entry: its directories become group-writable. Done only now, so a tree
   * moved in and declined goes back unchanged. */
  if (_fs_cache_is_shared (cache))
    {
      g_autofree char *stored_data = g_strconcat (self->target_name, "/" FS_DIR_DATA, NULL);
      _fs_tree_make_group_writable_at (self->area_fd, stored_data);
    }

  /* ...and object.info and the rename, so a committed entry stays
   * committed: without object.info the entry is never served, and after a
   * power cut that kept the rename but not object.info (an fsync() of
   * objects/ alone) the next repair removed the entry as invalid. Both
   * after the rename: on a journaling file system the first sync commits
   * the rename with object.info, and the second has little left to do — as
   * cheap as the fsync() of objects/ alone was, and cheaper than a second
   * syncfs(), which would wait for whatever else the file system writes. */
  if (!_fs_cache_is_volatile (cache))
    {
      _fs_count_sync ();
      if (fdatasync (info_fd) < 0)
        g_debug ("could not sync %s/%s/%s: %s", dirs->path, self->area, info_path,
                 g_strerror (errno));
      _fs_count_sync ();
      if (fsync (self->area_fd) < 0)
        g_debug ("could not sync %s/%s: %s", dirs->path, self->area, g_strerror (errno));
    }
  _fs_clear_fd (&info_fd);

  /* Committed. The record is done with; the lock becomes a read lock
   * (atomically), so the entry can't be evicted while the caller uses it. */
  if (self->has_record && unlinkat (dirs->journal_fd, self->dir_name, 0) < 0)
    g_debug ("could not remove journal record %s: %s", self->dir_name, g_strerror (errno));
  self->has_record = FALSE;
  if (ftruncate (self->lock_fd, 0) < 0)
    g_debug ("could not clear the lock file of %s: %s", self->target_name, g_strerror (errno));
  if (_fs_lock_fd (self->lock_fd, F_RDLCK, FALSE, NULL) < 0)
    g_debug ("could not convert the lock of %s: %s", self->target_name, g_strerror (errno));

  self->kind = FS_CACHE_ENTRY_KIND_LOADED;
  self->size = size;
  g_clear_pointer (&self->restore_path, g_free);
  self->name = g_steal_pointer (&self->target_name);
  set_dir_locked (self, self->name);
  retire (self, g_steal_pointer (&self->last_used), (GDestroyNotify) g_date_time_unref);
  self->last_used = g_date_time_new_now_utc ();
  return finish_commit (self, FS_CACHE_COMMIT_STORED, out_status);
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

static void
commit_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  FsCacheCommitStatus *status = task_data;
  GError *error = NULL;

  if (!fs_cache_entry_commit (source, status, cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * fs_cache_entry_commit_async:
 * @self: an #FsCacheEntry from fs_cache_store()
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Commits the entry without blocking: see fs_cache_entry_commit().
 *
 * Since: 1.0
 */
void
fs_cache_entry_commit_async (FsCacheEntry *self,
                             int io_priority,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (FS_IS_CACHE_ENTRY (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fs_cache_entry_commit_async);
  g_task_set_priority (task, io_priority);
  g_task_set_task_data (task, g_new0 (FsCacheCommitStatus, 1), g_free);
  /* A commit that went through is reported as such even if the cancellable
   * fired meanwhile: the entry's state must match what finish says. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, commit_thread);
}

/**
 * fs_cache_entry_commit_finish:
 * @self: an #FsCacheEntry
 * @result: the result given to the callback
 * @out_status: (out) (optional): what the commit did
 * @error: return location for a #GError
 *
 * Finishes fs_cache_entry_commit_async().
 *
 * Returns: %TRUE with @out_status set, or %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
fs_cache_entry_commit_finish (FsCacheEntry *self,
                              GAsyncResult *result,
                              FsCacheCommitStatus *out_status,
                              GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_entry_commit_async,
                        FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (out_status != NULL)
    *out_status = *(FsCacheCommitStatus *) g_task_get_task_data (G_TASK (result));
  return TRUE;
}

static void
release_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  fs_cache_entry_release (source);
  g_task_return_boolean (task, TRUE);
}

/**
 * fs_cache_entry_release_async:
 * @self: an #FsCacheEntry
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Releases the entry without blocking (deleting a large staged tree takes
 * time): see fs_cache_entry_release(). The release happens even if
 * @cancellable is cancelled.
 *
 * Since: 1.0
 */
void
fs_cache_entry_release_async (FsCacheEntry *self,
                              int io_priority,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (FS_IS_CACHE_ENTRY (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fs_cache_entry_release_async);
  g_task_set_priority (task, io_priority);
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, release_thread);
}

/**
 * fs_cache_entry_release_finish:
 * @self: an #FsCacheEntry
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_entry_release_async().
 *
 * Returns: %TRUE
 *
 * Since: 1.0
 */
gboolean
fs_cache_entry_release_finish (FsCacheEntry *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_entry_release_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* fs-local-blobs.c: file contents the local cache already holds
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # Finding contents locally
 *
 * A pull needs the files its manifest names; the local cache may hold some
 * of them already, in other entries (an older version of the same entry,
 * most often). Their manifests say which: each node of a regular file has
 * the SHA-256 of its content. So before downloading, the pull asks here:
 *
 *   1. the committed entries are listed with their last use (the atime of
 *      object.lock), the most recent first;
 *   2. each, in that order, is read-locked without waiting (one being
 *      written or removed is passed over) and its manifest read and checked
 *      against the tree digest of its object.info (an entry without one is
 *      passed over); every regular file whose digest is wanted and not yet
 *      found is noted (entry, path);
 *   3. an entry with such files stays read-locked until the pull is done
 *      with them, so they can't be evicted or removed while they are
 *      copied; the others are released at once;
 *   4. the search stops when every digest is found, or after
 *      FS_LOCAL_BLOBS_MAX_ENTRIES entries or FS_LOCAL_BLOBS_MAX_MANIFEST_BYTES
 *      bytes of manifests: a bounded cost (about 1 ms per 10,000 files of
 *      manifest), paid only when a pull has something to fetch.
 *
 * Nothing is trusted that the copy does not check: the pull hashes every
 * file it copies from here and downloads the ones that differ from their
 * digest (a local file damaged since it was stored).
 */

#include "config.h"

#include <fcntl.h>
#include <stdio.h>

#include "fs-cache-manifest-private.h"
#include "fs-integrity-private.h"
#include "fs-load-private.h"
#include "fs-local-blobs-private.h"

typedef struct {
  char *name;
  FsHandle handle; /* read-locked */
} LockedEntry;

typedef struct {
  guint entry; /* index in locked */
  char *path;  /* below data/ */
} Source;

struct _FsLocalBlobs {
  FsStore *store;
  GArray *locked;      /* LockedEntry */
  GHashTable *sources; /* 32-byte digest (owned) -> Source * */
};

typedef struct {
  char *name;
  gint64 last_used;
} Candidate;

guint
_fs_sha256_hash (gconstpointer key)
{
  guint h;

  memcpy (&h, key, sizeof h);
  return h;
}

gboolean
_fs_sha256_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, FS_DIGEST_SIZE) == 0;
}

static void
source_free (gpointer p)
{
  Source *source = p;

  g_free (source->path);
  g_free (source);
}

static void
locked_entry_clear (gpointer p)
{
  LockedEntry *e = p;

  g_free (e->name);
  _fs_lock_clear (&e->handle.lock);
}

static int
compare_candidates (gconstpointer a, gconstpointer b)
{
  const Candidate *x = a, *y = b;

  return x->last_used < y->last_used ? 1 : x->last_used > y->last_used ? -1 : 0;
}

/* Step 1: the committed entries, the most recently used first. */
static GArray *
list_candidates (FsStore *store)
{
  g_autoptr (GPtrArray) names = _fs_dir_names (store->objects_fd, NULL);
  GArray *candidates = g_array_new (FALSE, FALSE, sizeof (Candidate));

  for (guint i = 0; names != NULL && i < names->len; i++)
    {
      const char *name = names->pdata[i];
      char path[FS_ENTRY_PATH_SIZE];
      struct stat st;
      Candidate c;

      if (_fs_is_uuid_name (name) || name[0] == '.')
        continue;
      _fs_join (path, sizeof path, name, FS_FILE_OBJECT_LOCK);
      if (fstatat (store->objects_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      c.name = g_strdup (name);
      c.last_used = (gint64) st.st_atim.tv_sec * G_USEC_PER_SEC + st.st_atim.tv_nsec / 1000;
      g_array_append_val (candidates, c);
    }
  g_array_sort (candidates, compare_candidates);
  return candidates;
}

/* Step 2 for one entry: TRUE when it has wanted contents (and stays
 * locked). */
static gboolean
scan_entry (FsLocalBlobs *self, const char *name, GHashTable *wanted, guint64 *manifest_bytes)
{
  g_autoptr (FsCacheManifest) manifest = NULL;
  g_autofree char *digest = NULL;
  g_autoptr (GError) local_error = NULL;
  LockedEntry e = { NULL, FS_HANDLE_INIT };
  guint64 size;
  guint found = 0;

  if (!_fs_load_lock (self->store, name, FS_LOCK_SHARED, &e.handle, &size, &digest, &local_error))
    return FALSE;
  manifest = digest != NULL
               ? _fs_integrity_read_manifest (self->store, &e.handle, digest, &local_error)
               : NULL;
  if (manifest == NULL)
    {
      _fs_lock_clear (&e.handle.lock);
      return FALSE;
    }
  *manifest_bytes += g_bytes_get_size (fs_cache_manifest_get_bytes (manifest));

  for (guint i = 0; i < fs_cache_manifest_get_n_nodes (manifest); i++)
    {
      const FsManifestNode *node = _fs_cache_manifest_peek_node (manifest, i);
      Source *source;

      if (node->type != FS_CACHE_NODE_TYPE_REGULAR || node->size == 0 ||
          !g_hash_table_contains (wanted, node->sha256) ||
          g_hash_table_contains (self->sources, node->sha256))
        continue;
      source = g_new0 (Source, 1);
      source->entry = self->locked->len;
      source->path = g_strdup (node->path);
      g_hash_table_insert (self->sources, g_memdup2 (node->sha256, FS_DIGEST_SIZE), source);
      found++;
    }
  if (found == 0)
    {
      _fs_lock_clear (&e.handle.lock);
      return FALSE;
    }
  e.name = g_strdup (name);
  g_array_append_val (self->locked, e);
  g_debug ("local blobs: %u wanted contents in “%s”", found, name);
  return TRUE;
}

FsLocalBlobs *
_fs_local_blobs_find (FsStore *store, GHashTable *wanted, GCancellable *cancellable)
{
  FsLocalBlobs *self = g_new0 (FsLocalBlobs, 1);
  g_autoptr (GArray) candidates = NULL;
  guint64 manifest_bytes = 0;
  guint scanned = 0;

  self->store = _fs_store_ref (store);
  self->locked = g_array_new (FALSE, TRUE, sizeof (LockedEntry));
  g_array_set_clear_func (self->locked, locked_entry_clear);
  self->sources = g_hash_table_new_full (_fs_sha256_hash, _fs_sha256_equal, g_free, source_free);
  if (g_hash_table_size (wanted) == 0)
    return self;

  candidates = list_candidates (store);
  for (guint i = 0; i < candidates->len; i++)
    {
      Candidate *c = &g_array_index (candidates, Candidate, i);

      if (scanned < FS_LOCAL_BLOBS_MAX_ENTRIES &&
          manifest_bytes < FS_LOCAL_BLOBS_MAX_MANIFEST_BYTES &&
          g_hash_table_size (self->sources) < g_hash_table_size (wanted) &&
          !g_cancellable_is_cancelled (cancellable))
        {
          scan_entry (self, c->name, wanted, &manifest_bytes);
          scanned++;
        }
      g_free (c->name);
    }
  g_debug ("local blobs: %u of %u contents found in %u entries (%" G_GUINT64_FORMAT
           " bytes of manifests)",
           g_hash_table_size (self->sources), g_hash_table_size (wanted), scanned, manifest_bytes);
  return self;
}

guint
_fs_local_blobs_count (FsLocalBlobs *self)
{
  return g_hash_table_size (self->sources);
}

gboolean
_fs_local_blobs_has (FsLocalBlobs *self, const guint8 *sha256)
{
  return g_hash_table_contains (self->sources, sha256);
}

int
_fs_local_blobs_open (FsLocalBlobs *self, const guint8 *sha256, struct stat *out_st)
{
  Source *source = g_hash_table_lookup (self->sources, sha256);
  g_autofree char *path = NULL;
  LockedEntry *e;
  int fd;

  if (source == NULL)
    return -1;
  e = &g_array_index (self->locked, LockedEntry, source->entry);
  path = g_strconcat (e->handle.dir_name, "/" FS_DIR_DATA "/", source->path, NULL);
  fd = _fs_openat (self->store->objects_fd, path, O_RDONLY | O_NOCTTY | O_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (fstat (fd, out_st) < 0 || !S_ISREG (out_st->st_mode))
    {
      _fs_fd_close (fd);
      return -1;
    }
  return fd;
}

void
_fs_local_blobs_free (FsLocalBlobs *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->sources);
  g_array_unref (self->locked);
  _fs_store_unref (self->store);
  g_free (self);
}

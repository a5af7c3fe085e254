/* fs-remote-pull.c: downloading an entry from the remote
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # Pulling
 *
 *   1. GET of ac/KEY: 404 is a miss ("not on the remote"); a document that
 *      does not parse, or names another entry, is a failure;
 *   2. GET of the manifest blob it names, its size and SHA-256 checked
 *      while it streams (into memory), then parsed as any untrusted
 *      manifest (fs-manifest-format.c refuses paths that escape, nodes out
 *      of order, ...);
 *   3. an anonymous entry objects/uuid-X with its journal record
 *      (fs-anon.c), the tree made in its data/ from the manifest:
 *        - directories, symbolic links, named pipes, sockets, device nodes
 *          (which need privileges: without them the pull fails, as a
 *          store_tree of the same tree would) and empty files, in the
 *          manifest's order (each parent before its children), directories
 *          writable by us until the end;
 *        - every distinct file content once: copied from a file of another
 *          local entry whose manifest has the same digest when there is one
 *          (fs-local-blobs.c), hashed while it is copied, else (or when the
 *          local copy does not hash right) downloaded on `connections`
 *          worker threads, each checked (size, SHA-256) while it streams;
 *          each file is created by its worker just before its download and
 *          given its owner, mode and extended attributes there;
 *        - files with the same content as one of those (not hard links):
 *          copied from it, hashed again; hard links: linked to the first
 *          node of their group;
 *        - last, the owners, modes and extended attributes of the
 *          directories, the deepest first, data/ itself last;
 *   4. the ordinary local commit (fs-commit.c: sync, size, object.info,
 *      accounting, rename) with the manifest of the tree as made: locks
 *      and accounting as for any store. A name another writer committed
 *      first is EXISTS, and the pulled copy is discarded.
 *
 * A missing, truncated or corrupt object anywhere, a server that stops
 * answering, a cancellation: the whole pull fails and the anonymous entry
 * is discarded, its record last (a kill leaves the record, whose recovery
 * removes the entry): nothing partial is ever kept.
 *
 * What can't be made as the manifest says is made as close as permitted,
 * as store_tree copies: owners only where permitted (root, or our own
 * ids), extended attributes where the file system takes them, setuid and
 * setgid bits as the kernel lets us keep them. The tree is then described
 * by what it is — the owner, mode and attributes each node ended up with —
 * so the local manifest (and tree digest) differs from the remote one
 * exactly where the tree does, and the entry verifies. When everything
 * could be made (root, or a tree of the caller's own ids), the local
 * manifest is the remote one, byte for byte.
 *
 * Times: manifests carry none (docs/format.md says why), so a pulled tree
 * has the times of the pull: every file's modification time is when its
 * content was written here.
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "fs-anon-private.h"
#include "fs-cache-manifest-private.h"
#include "fs-load-private.h"
#include "fs-local-blobs-private.h"
#include "fs-manifest-private.h"
#include "fs-remote-pull-private.h"

/* What a node of the tree ended up as. */
typedef struct {
  guint32 uid, gid, mode;
  gboolean made;            /* the fields above are set */
  gboolean xattrs_differ;   /* not all of the manifest's could be set: */
  GVariant *xattrs;         /* those that were (NULL: none) */
  gboolean mode_needs_read; /* a file read again for its twins: mode set last */
} Made;

typedef enum {
  FETCH_NONE,   /* not a file with content of its own */
  FETCH_REMOTE, /* the first node with its content: downloaded */
  FETCH_LOCAL,  /* the same, copied from a local entry */
  FETCH_TWIN,   /* same content as an earlier node: copied from it */
  FETCH_LINK,   /* a hard link of an earlier node */
} Fetch;

typedef struct {
  FsStore *store;
  FsCacheManifest *manifest;
  guint n;
  int data_fd;
  gboolean shared; /* directories are made group-writable by the commit */
  Made *made;
  Fetch *fetch;
  guint *first; /* FETCH_TWIN, FETCH_LINK: the node copied or linked */
  FsDigest *digest;
  void *buf;
  /* the parent directory of the last node made */
  char *parent_path;
  int parent_fd;
  /* progress */
  GFileProgressCallback progress;
  gpointer progress_data;
  guint64 total;
  guint64 done_local; /* bytes copied */
} Pull;

static const FsManifestNode *
node_at (Pull *p, guint i)
{
  return _fs_cache_manifest_peek_node (p->manifest, i);
}

static gboolean
throw_node (GError **error, int errsv, const char *what, const FsManifestNode *node)
{
  g_autofree char *display = _fs_manifest_display_path (node->path);

  return _fs_throw_errno (error, errsv, "%s %s", what, display);
}

/* The directory that holds @path, opened below data/ without following
 * symlinks (cached: siblings come one after another), and the last
 * component of @path. */
static int
parent_of (Pull *p, const char *path, const char **out_base, GError **error)
{
  const char *slash = strrchr (path, '/');
  g_autofree char *dir = NULL;

  if (slash == NULL)
    {
      *out_base = path;
      return p->data_fd;
    }
  *out_base = slash + 1;
  dir = g_strndup (path, (gsize) (slash - path));
  if (p->parent_path != NULL && strcmp (p->parent_path, dir) == 0)
    return p->parent_fd;
  _fs_clear_fd (&p->parent_fd);
  g_clear_pointer (&p->parent_path, g_free);
  p->parent_fd = _fs_openat (p->data_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (p->parent_fd < 0)
    {
      g_autofree char *display = _fs_manifest_display_path (dir);
      _fs_throw_errno (error, errno, "%s %s", _ ("Opening"), display);
      return -1;
    }
  p->parent_path = g_steal_pointer (&dir);
  return p->parent_fd;
}

/* ---- metadata -------------------------------------------------------------------- */

/* Sets the extended attributes of node @i on @fd, or on @name below
 * @dirfd when @fd is -1; notes those that could not be set. */
static void
set_xattrs (Pull *p, guint i, int fd, int dirfd, const char *name)
{
  const FsManifestNode *node = node_at (p, i);
  g_autofree char *proc_path = NULL;
  GVariantBuilder kept;
  GVariantIter iter;
  GVariant *xname, *xvalue;
  guint n_kept = 0;

  if (node->xattrs == NULL)
    return;
  if (fd < 0)
    proc_path = g_strdup_printf ("/proc/self/fd/%d/%s", dirfd, name);
  g_variant_builder_init (&kept, G_VARIANT_TYPE (FS_MANIFEST_XATTRS_TYPE));
  g_variant_iter_init (&iter, node->xattrs);
  while (g_variant_iter_next (&iter, "(@ay@ay)", &xname, &xvalue))
    {
      const char *key = g_variant_get_bytestring (xname);
      gsize len = 0;
      gconstpointer value = g_variant_get_fixed_array (xvalue, &len, 1);
      int r =
        fd >= 0 ? fsetxattr (fd, key, value, len, 0) : lsetxattr (proc_path, key, value, len, 0);

      if (r == 0)
        {
          g_variant_builder_add (&kept, "(@ay@ay)", xname, xvalue);
          n_kept++;
        }
      else
        {
          g_debug ("pull: extended attribute %s of %s not set: %s", key, node->path,
                   g_strerror (errno));
          p->made[i].xattrs_differ = TRUE;
        }
      g_variant_unref (xname);
      g_variant_unref (xvalue);
    }
  if (p->made[i].xattrs_differ && n_kept > 0)
    p->made[i].xattrs = g_variant_ref_sink (g_variant_builder_end (&kept));
  else
    g_variant_builder_clear (&kept);
}

static void
note_made (Pull *p, guint i, const struct stat *st)
{
  p->made[i].uid = st->st_uid;
  p->made[i].gid = st->st_gid;
  p->made[i].mode = st->st_mode & 07777;
  if (S_ISDIR (st->st_mode) && p->shared)
    p->made[i].mode |= S_ISGID | S_IRWXG; /* as the commit will make it */
  p->made[i].made = TRUE;
}

/* Owner, extended attributes and mode of the file or directory @fd, node
 * @i, in that order (a change of owner clears setuid, setgid and file
 * capabilities; a mode without write access forbids setting attributes);
 * notes what it ended up with. Owners only where permitted. */
static gboolean
apply_fd (Pull *p, guint i, int fd, GError **error)
{
  const FsManifestNode *node = node_at (p, i);
  mode_t mode = node->mode;
  struct stat st;

  (void) fchown (fd, node->uid, node->gid);
  set_xattrs (p, i, fd, -1, NULL);
  if (p->made[i].mode_needs_read)
    mode |= S_IRUSR;
  if (fchmod (fd, mode) < 0)
    return throw_node (error, errno, _ ("Setting the mode of"), node);
  if (fstat (fd, &st) < 0)
    return throw_node (error, errno, _ ("Reading"), node);
  note_made (p, i, &st);
  return TRUE;
}

/* The same for a symbolic link, pipe, socket or device @name below
 * @dirfd. */
static gboolean
apply_at (Pull *p, guint i, int dirfd, const char *name, GError **error)
{
  const FsManifestNode *node = node_at (p, i);
  struct stat st;

  (void) fchownat (dirfd, name, node->uid, node->gid, AT_SYMLINK_NOFOLLOW);
  set_xattrs (p, i, -1, dirfd, name);
  /* A symlink has no mode of its own (fchmodat would follow it). */
  if (node->type != FS_CACHE_NODE_TYPE_SYMLINK && fchmodat (dirfd, name, node->mode, 0) < 0)
    return throw_node (error, errno, _ ("Setting the mode of"), node);
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return throw_node (error, errno, _ ("Reading"), node);
  note_made (p, i, &st);
  return TRUE;
}

/* ---- making the tree ------------------------------------------------------------- */

/* A new empty file for node @i, to write. */
static int
create_file (Pull *p, guint i, GError **error)
{
  const FsManifestNode *node = node_at (p, i);
  int fd =
    _fs_openat (p->data_fd, node->path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC, 0600);

  if (fd < 0)
    throw_node (error, errno, _ ("Creating"), node);
  return fd;
}

/* Everything but the contents of files, in the manifest's order. */
static gboolean
make_nodes (Pull *p, GError **error)
{
  for (guint i = 1; i < p->n; i++)
    {
      const FsManifestNode *node = node_at (p, i);
      const char *base;
      int dirfd;

      if (node->type == FS_CACHE_NODE_TYPE_REGULAR)
        {
          fs_autofd fd = -1;

          if (node->size > 0 || p->fetch[i] == FETCH_LINK)
            continue;
          fd = create_file (p, i, error);
          if (fd < 0 || !apply_fd (p, i, fd, error))
            return FALSE;
          continue;
        }
      dirfd = parent_of (p, node->path, &base, error);
      if (dirfd < 0)
        return FALSE;
      switch (node->type)
        {
        case FS_CACHE_NODE_TYPE_DIRECTORY:
          if (mkdirat (dirfd, base, 0700) < 0)
            return throw_node (error, errno, _ ("Creating"), node);
          break;
        case FS_CACHE_NODE_TYPE_SYMLINK:
          if (symlinkat (node->target, dirfd, base) < 0)
            return throw_node (error, errno, _ ("Creating"), node);
          if (!apply_at (p, i, dirfd, base, error))
            return FALSE;
          break;
        case FS_CACHE_NODE_TYPE_FIFO:
        case FS_CACHE_NODE_TYPE_SOCKET:
        case FS_CACHE_NODE_TYPE_CHAR_DEVICE:
        case FS_CACHE_NODE_TYPE_BLOCK_DEVICE:
          {
            mode_t type = node->type == FS_CACHE_NODE_TYPE_FIFO          ? S_IFIFO
                          : node->type == FS_CACHE_NODE_TYPE_SOCKET      ? S_IFSOCK
                          : node->type == FS_CACHE_NODE_TYPE_CHAR_DEVICE ? S_IFCHR
                                                                         : S_IFBLK;

            if (mknodat (dirfd, base, type | 0600, makedev (node->dev_major, node->dev_minor)) < 0)
              return throw_node (error, errno, _ ("Creating"), node);
            if (!apply_at (p, i, dirfd, base, error))
              return FALSE;
          }
          break;
        case FS_CACHE_NODE_TYPE_REGULAR:
        default:
          g_assert_not_reached ();
        }
    }
  return TRUE;
}

/* Copies @src_fd into node @i's new file, hashing it with @digest (and
 * @buf of @buf_size bytes): FALSE without an error when the content is not
 * the node's. */
static gboolean
copy_content (Pull *p,
              guint i,
              FsDigest *digest,
              void *buf,
              gsize buf_size,
              int src_fd,
              const struct stat *src_st,
              GError **error)
{
  const FsManifestNode *node = node_at (p, i);
  g_autoptr (GError) local_error = NULL;
  g_autofree char *display = _fs_manifest_display_path (node->path);
  guint8 md[FS_DIGEST_SIZE];
  fs_autofd fd = -1;

  fd = create_file (p, i, error);
  if (fd < 0)
    return FALSE;
  if ((guint64) src_st->st_size == node->size &&
      _fs_digest_copy_fd (digest, src_fd, fd, src_st, buf, buf_size, md, NULL, NULL, NULL, NULL,
                          display, &local_error) &&
      memcmp (md, node->sha256, FS_DIGEST_SIZE) == 0)
    return apply_fd (p, i, fd, error);

  g_debug ("pull: the local copy of %s is not its content%s%s: downloading it", node->path,
           local_error != NULL ? ": " : "", local_error != NULL ? local_error->message : "");
  if (unlinkat (p->data_fd, node->path, 0) < 0)
    return throw_node (error, errno, _ ("Removing"), node);
  return FALSE;
}

/* Local copies, on a pool of threads (hashing is the work: one per core). */
typedef struct {
  Pull *p;
  FsLocalBlobs *local;
  GCancellable *cancellable;
  GMutex lock; /* protects what follows */
  GCond cond;
  guint n_done;
  GError *error;
  FsRemoteStats *stats;
} LocalCopies;

static void
copy_local_one (gpointer data, gpointer user_data)
{
  LocalCopies *lc = user_data;
  Pull *p = lc->p;
  guint i = GPOINTER_TO_UINT (data) - 1;
  const FsManifestNode *node = node_at (p, i);
  g_autoptr (GError) local_error = NULL;
  g_autoptr (FsDigest) digest = NULL;
  g_autofree void *buf = NULL;
  gsize buf_size = (gsize) CLAMP (node->size, 1, FS_DIGEST_BUFFER_SIZE);
  gboolean copied = FALSE;
  fs_autofd src = -1;
  struct stat st;

  g_mutex_lock (&lc->lock);
  if (lc->error != NULL || g_cancellable_is_cancelled (lc->cancellable))
    {
      lc->n_done++;
      g_cond_signal (&lc->cond);
      g_mutex_unlock (&lc->lock);
      return;
    }
  g_mutex_unlock (&lc->lock);

  src = _fs_local_blobs_open (lc->local, node->sha256, &st);
  if (src >= 0)
    {
      digest = _fs_digest_new ();
      buf = g_malloc (buf_size);
      copied = copy_content (p, i, digest, buf, buf_size, src, &st, &local_error);
    }
  if (copied)
    {
      p->fetch[i] = FETCH_LOCAL;
      __atomic_fetch_add (&p->done_local, node->size, __ATOMIC_RELAXED);
    }

  g_mutex_lock (&lc->lock);
  if (copied)
    {
      lc->stats->blobs_copied++;
      lc->stats->bytes_copied += node->size;
    }
  if (local_error != NULL && lc->error == NULL)
    lc->error = g_steal_pointer (&local_error);
  lc->n_done++;
  g_cond_signal (&lc->cond);
  g_mutex_unlock (&lc->lock);
}

/* Contents found in other local entries, copied and hashed on every core;
 * those that do not hash right (or can't be read) stay downloads. */
static gboolean
copy_local (Pull *p,
            FsLocalBlobs *local,
            FsRemoteStats *stats,
            GCancellable *cancellable,
            GError **error)
{
  LocalCopies lc = { p, local, cancellable };
  GThreadPool *pool;
  guint n = 0;

  if (_fs_local_blobs_count (local) == 0)
    return TRUE;
  g_mutex_init (&lc.lock);
  g_cond_init (&lc.cond);
  lc.stats = stats;
  pool = g_thread_pool_new (copy_local_one, &lc, (int) g_get_num_processors (), TRUE, NULL);
  for (guint i = 1; i < p->n; i++)
    if (p->fetch[i] == FETCH_REMOTE && _fs_local_blobs_has (local, node_at (p, i)->sha256))
      {
        g_thread_pool_push (pool, GUINT_TO_POINTER (i + 1), NULL);
        n++;
      }

  g_mutex_lock (&lc.lock);
  while (lc.n_done < n)
    {
      g_cond_wait_until (&lc.cond, &lc.lock, g_get_monotonic_time () + G_USEC_PER_SEC / 10);
      if (p->progress != NULL)
        {
          guint64 done = __atomic_load_n (&p->done_local, __ATOMIC_RELAXED);

          g_mutex_unlock (&lc.lock);
          p->progress ((goffset) done, (goffset) p->total, p->progress_data);
          g_mutex_lock (&lc.lock);
        }
    }
  g_mutex_unlock (&lc.lock);
  g_thread_pool_free (pool, FALSE, TRUE);
  g_mutex_clear (&lc.lock);
  g_cond_clear (&lc.cond);

  if (lc.error != NULL)
    {
      g_propagate_error (error, lc.error);
      return FALSE;
    }
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static int
download_open (FsHttpTransfer *transfer, gpointer user_data, GError **error)
{
  return create_file (user_data, GPOINTER_TO_UINT (transfer->user_data), error);
}

static gboolean
download_done (FsHttpTransfer *transfer, int fd, gpointer user_data, GError **error)
{
  return apply_fd (user_data, GPOINTER_TO_UINT (transfer->user_data), fd, error);
}

static void
download_progress (guint64 bytes, guint n_done, guint n_total, gpointer user_data)
{
  Pull *p = user_data;

  if (p->progress != NULL)
    p->progress ((goffset) MIN (p->done_local + bytes, p->total), (goffset) p->total,
                 p->progress_data);
}

/* The contents fetched from the remote, on worker threads. */
static gboolean
download (Pull *p,
          FsRemote *remote,
          FsHttpEncoding encoding,
          FsRemoteStats *stats,
          GCancellable *cancellable,
          GError **error)
{
  g_autoptr (GArray) transfers = g_array_new (FALSE, TRUE, sizeof (FsHttpTransfer));
  FsHttpRunHooks hooks = { download_open, download_done, p };
  gboolean ok;

  g_array_set_clear_func (transfers, (GDestroyNotify) _fs_http_transfer_clear);
  for (guint i = 1; i < p->n; i++)
    {
      const FsManifestNode *node = node_at (p, i);
      FsHttpTransfer t = { 0 };

      if (p->fetch[i] != FETCH_REMOTE)
        continue;
      t.op = FS_HTTP_OP_GET;
      t.encoding = encoding;
      _fs_digest_to_hex (node->sha256, t.digest);
      t.size = node->size;
      t.fd = -1;
      t.user_data = GUINT_TO_POINTER (i);
      g_array_append_val (transfers, t);
    }
  if (transfers->len == 0)
    return TRUE;
  ok = _fs_http_run_full (remote->http, (FsHttpTransfer *) (void *) transfers->data, transfers->len,
                          FS_HTTP_RUN_NONE, &hooks, download_progress, p, cancellable, error);
  for (guint i = 0; i < transfers->len; i++)
    {
      FsHttpTransfer *t = &g_array_index (transfers, FsHttpTransfer, i);

      if (t->done)
        stats->requests++;
      if (t->done && t->error == NULL)
        {
          stats->blobs_received++;
          stats->bytes_received += t->wire_bytes;
        }
    }
  return ok;
}

/* Files with the content of an earlier one (copied from it, hashed again)
 * and hard links. */
static gboolean
make_twins_and_links (Pull *p, FsRemoteStats *stats, GError **error)
{
  for (guint i = 1; i < p->n; i++)
    {
      const FsManifestNode *node = node_at (p, i);
      const FsManifestNode *first;
      const char *base, *first_base;
      g_autofree char *first_dir = NULL;
      fs_autofd first_dir_fd = -1;
      int dirfd;

      if (p->fetch[i] == FETCH_TWIN)
        {
          fs_autofd src = -1;
          struct stat st;

          first = node_at (p, p->first[i]);
          src = _fs_openat (p->data_fd, first->path, O_RDONLY | O_NOCTTY | O_CLOEXEC, 0);
          if (src < 0 || fstat (src, &st) < 0)
            return throw_node (error, errno, _ ("Reading"), first);
          if (!copy_content (p, i, p->digest, p->buf, FS_DIGEST_BUFFER_SIZE, src, &st, error))
            {
              if (error != NULL && *error == NULL)
                g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             _ ("%s changed while it was pulled"), first->path);
              return FALSE;
            }
          stats->blobs_copied++;
          stats->bytes_copied += node->size;
          continue;
        }
      if (p->fetch[i] != FETCH_LINK)
        continue;

      /* Both ends through their parent directories, never a symlink. */
      first = node_at (p, p->first[i]);
      first_base = strrchr (first->path, '/');
      if (first_base != NULL)
        {
          first_dir = g_strndup (first->path, (gsize) (first_base - first->path));
          first_dir_fd = _fs_openat (p->data_fd, first_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
          if (first_dir_fd < 0)
            return throw_node (error, errno, _ ("Opening"), first);
          first_base++;
        }
      else
        first_base = first->path;
      dirfd = parent_of (p, node->path, &base, error);
      if (dirfd < 0)
        return FALSE;
      if (linkat (first_dir_fd >= 0 ? first_dir_fd : p->data_fd, first_base, dirfd, base, 0) < 0)
        return throw_node (error, errno, _ ("Linking"), node);
    }
  return TRUE;
}

/* Last: the modes of files read again for their twins, then owners, modes
 * and attributes of directories, the deepest first, data/ last. */
static gboolean
finish_modes (Pull *p, GError **error)
{
  for (guint i = 1; i < p->n; i++)
    {
      const FsManifestNode *node = node_at (p, i);
      const char *base;
      struct stat st;
      int dirfd;

      if (!p->made[i].mode_needs_read)
        continue;
      p->made[i].mode_needs_read = FALSE;
      dirfd = parent_of (p, node->path, &base, error);
      if (dirfd < 0)
        return FALSE;
      if (fchmodat (dirfd, base, node->mode, 0) < 0)
        return throw_node (error, errno, _ ("Setting the mode of"), node);
      if (fstatat (dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return throw_node (error, errno, _ ("Reading"), node);
      note_made (p, i, &st);
    }
  for (guint i = p->n; i-- > 1;)
    {
      const FsManifestNode *node = node_at (p, i);
      fs_autofd fd = -1;

      if (node->type != FS_CACHE_NODE_TYPE_DIRECTORY)
        continue;
      fd = _fs_openat (p->data_fd, node->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
      if (fd < 0)
        return throw_node (error, errno, _ ("Opening"), node);
      if (!apply_fd (p, i, fd, error))
        return FALSE;
    }
  /* Hard links are what their first node is. */
  for (guint i = 1; i < p->n; i++)
    if (p->fetch[i] == FETCH_LINK)
      {
        Made *first = &p->made[p->first[i]];

        p->made[i] = *first;
        if (first->xattrs != NULL)
          g_variant_ref (first->xattrs);
      }
  return apply_fd (p, 0, p->data_fd, error);
}

/* Decides how each file gets its content, and which contents to look for
 * locally. */
static void
plan (Pull *p, GHashTable *wanted)
{
  g_autoptr (GHashTable) by_digest = g_hash_table_new (_fs_sha256_hash, _fs_sha256_equal);
  g_autofree guint *group_first = g_new (guint, p->n + 1);

  for (guint i = 0; i <= p->n; i++)
    group_first[i] = G_MAXUINT;
  for (guint i = 1; i < p->n; i++)
    {
      const FsManifestNode *node = node_at (p, i);
      gpointer first;

      if (node->type != FS_CACHE_NODE_TYPE_REGULAR)
        continue;
      if (node->link_group > 0 && node->link_group <= p->n)
        {
          if (group_first[node->link_group] != G_MAXUINT)
            {
              p->fetch[i] = FETCH_LINK;
              p->first[i] = group_first[node->link_group];
              continue;
            }
          group_first[node->link_group] = i;
        }
      if (node->size == 0)
        continue;
      if (g_hash_table_lookup_extended (by_digest, node->sha256, NULL, &first))
        {
          p->fetch[i] = FETCH_TWIN;
          p->first[i] = GPOINTER_TO_UINT (first);
          p->made[p->first[i]].mode_needs_read = (node_at (p, p->first[i])->mode & S_IRUSR) == 0;
          p->total += node->size;
          continue;
        }
      g_hash_table_insert (by_digest, (gpointer) node->sha256, GUINT_TO_POINTER (i));
      g_hash_table_add (wanted, (gpointer) node->sha256);
      p->fetch[i] = FETCH_REMOTE;
      p->total += node->size;
    }
}

/* The manifest of the tree as made: the remote one when every node is as
 * it says. */
static FsCacheManifest *
local_manifest (Pull *p, GError **error)
{
  g_autofree FsManifestNode *nodes = NULL;
  g_autoptr (GBytes) bytes = NULL;
  gboolean same = TRUE;

  for (guint i = 0; i < p->n && same; i++)
    {
      const FsManifestNode *node = node_at (p, i);
      Made *m = &p->made[i];

      same =
        m->uid == node->uid && m->gid == node->gid && m->mode == node->mode && !m->xattrs_differ;
    }
  if (same)
    return g_object_ref (p->manifest);

  nodes = g_new (FsManifestNode, p->n);
  for (guint i = 0; i < p->n; i++)
    {
      nodes[i] = *node_at (p, i);
      nodes[i].uid = p->made[i].uid;
      nodes[i].gid = p->made[i].gid;
      nodes[i].mode = p->made[i].mode;
      if (p->made[i].xattrs_differ)
        nodes[i].xattrs = p->made[i].xattrs;
    }
  bytes = _fs_manifest_serialize (nodes, p->n);
  g_debug ("pull: the tree differs from the remote manifest (owners, modes or attributes that "
           "could not be set): its own manifest");
  return _fs_cache_manifest_new_serialized (bytes, error);
}

static void
pull_clear (Pull *p)
{
  for (guint i = 0; p->made != NULL && i < p->n; i++)
    g_clear_pointer (&p->made[i].xattrs, g_variant_unref);
  g_free (p->made);
  g_free (p->fetch);
  g_free (p->first);
  g_clear_pointer (&p->digest, _fs_digest_free);
  g_free (p->buf);
  g_free (p->parent_path);
  _fs_clear_fd (&p->parent_fd);
  _fs_clear_fd (&p->data_fd);
}

/* Step 3 into the anonymous entry @handle: the manifest of what was made. */
static FsCacheManifest *
make_tree (Pull *p,
           FsRemote *remote,
           FsHttpEncoding encoding,
           const FsHandle *handle,
           FsRemoteStats *stats,
           GCancellable *cancellable,
           GError **error)
{
  g_autoptr (GHashTable) wanted = g_hash_table_new (_fs_sha256_hash, _fs_sha256_equal);
  g_autoptr (FsLocalBlobs) local = NULL;
  char data_path[FS_ENTRY_PATH_SIZE];

  p->data_fd = _fs_openat (p->store->objects_fd,
                           _fs_join (data_path, sizeof data_path, handle->dir_name, FS_DIR_DATA),
                           O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (p->data_fd < 0)
    {
      _fs_throw_errno (error, errno, _ ("Opening %s/%s/%s"), p->store->path, FS_DIR_OBJECTS,
                       data_path);
      return NULL;
    }
  plan (p, wanted);
  if (g_cancellable_set_error_if_cancelled (cancellable, error) || !make_nodes (p, error))
    return NULL;

  local = _fs_local_blobs_find (p->store, wanted, cancellable);
  if (!copy_local (p, local, stats, cancellable, error))
    return NULL;
  g_clear_pointer (&local, _fs_local_blobs_free); /* the other entries' locks */
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  if (!download (p, remote, encoding, stats, cancellable, error) ||
      !make_twins_and_links (p, stats, error) || !finish_modes (p, error))
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return local_manifest (p, error);
}

/* ---- the manifest and the ac document -------------------------------------------- */

/* Steps 1 and 2: the entry's manifest on the remote, and where its blobs
 * are. */
static FsCacheManifest *
fetch_manifest (FsRemote *remote,
                FsStore *store,
                const char *name,
                FsHttpEncoding *out_encoding,
                FsRemoteStats *stats,
                GCancellable *cancellable,
                GError **error)
{
  g_autoptr (GBytes) document = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) bytes = NULL;
  FsHttpAcDocument ac;
  char key[FS_HTTP_DIGEST_LEN + 1];
  guint64 wire = 0;
  fs_autofd fd = -1;
  FsCacheManifest *manifest;

  _fs_http_ac_key (remote->namespace_, name, key);
  stats->requests++;
  if (!_fs_http_ac_get (remote->http, key, &document, cancellable, error))
    return NULL;
  if (document == NULL)
    {
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS,
                   _ ("No entry “%s” in %s nor on its remote %s"), name, store->path, remote->url);
      return NULL;
    }
  stats->bytes_received += g_bytes_get_size (document);
  if (!_fs_http_ac_document_parse (document, remote->namespace_, name, &ac, error))
    return NULL;
  if (ac.manifest_size > FS_MANIFEST_MAX_SIZE || ac.manifest_size == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The ac document of “%s” names a manifest of %" G_GUINT64_FORMAT " bytes"),
                   name, ac.manifest_size);
      return NULL;
    }

  /* In memory (a manifest of a million files is some 100 MB), checked
   * while it streams, mapped for the parser. */
  fd = memfd_create ("fscache-manifest", MFD_CLOEXEC);
  if (fd < 0)
    {
      _fs_throw_errno (error, errno, "%s", _ ("Cannot make room for the manifest"));
      return NULL;
    }
  stats->requests++;
  if (!_fs_http_blob_get (remote->http, ac.encoding, ac.manifest, ac.manifest_size, fd, &wire,
                          cancellable, error))
    return NULL;
  stats->blobs_received++;
  stats->bytes_received += wire;
  mapped = g_mapped_file_new_from_fd (fd, FALSE, error);
  if (mapped == NULL)
    return NULL;
  bytes = g_mapped_file_get_bytes (mapped);
  manifest = fs_cache_manifest_new_from_bytes (bytes, error);
  if (manifest == NULL)
    g_prefix_error (error, _ ("The manifest %s of “%s” on %s: "), ac.manifest, name, remote->url);
  *out_encoding = ac.encoding;
  return manifest;
}

static gboolean
pull_entry (FsRemote *remote,
            FsStore *store,
            const char *name,
            FsHandle *out_handle,
            FsCommitResult *out_result,
            GFileProgressCallback progress,
            gpointer progress_data,
            FsRemoteStats *out_stats,
            gboolean *out_fetched,
            GCancellable *cancellable,
            GError **error)
{
  g_autoptr (FsCacheManifest) manifest = NULL;
  g_autoptr (FsCacheManifest) made = NULL;
  FsHandle handle = FS_HANDLE_INIT;
  FsCacheCommitStatus status = FS_CACHE_COMMIT_INCOMPATIBLE;
  FsHttpEncoding encoding = FS_HTTP_ENCODING_PLAIN;
  Pull p = { 0 };
  guint64 total;
  gboolean ok;

  memset (out_stats, 0, sizeof *out_stats);
  out_stats->status = FS_CACHE_COMMIT_INCOMPATIBLE;
  if (!_fs_store_check_writable (store, error))
    return FALSE;
  /* Nothing would be kept: nothing is fetched. */
  if (_fs_store_get_maximum (store) == 0)
    {
      out_stats->status = FS_CACHE_COMMIT_TOO_LARGE;
      return TRUE;
    }

  manifest = fetch_manifest (remote, store, name, &encoding, out_stats, cancellable, error);
  if (manifest == NULL)
    return FALSE;
  if (!_fs_anon_create (store, FS_AREA_OBJECTS, TRUE, &handle, error))
    return FALSE;

  p.store = store;
  p.manifest = manifest;
  p.n = fs_cache_manifest_get_n_nodes (manifest);
  p.data_fd = p.parent_fd = -1;
  p.shared = _fs_store_is_shared (store);
  p.made = g_new0 (Made, p.n);
  p.fetch = g_new0 (Fetch, p.n);
  p.first = g_new0 (guint, p.n);
  p.digest = _fs_digest_new ();
  p.buf = g_malloc (FS_DIGEST_BUFFER_SIZE);
  p.progress = progress;
  p.progress_data = progress_data;
  made = make_tree (&p, remote, encoding, &handle, out_stats, cancellable, error);
  total = p.total;
  pull_clear (&p);
  if (made == NULL)
    {
      _fs_anon_discard (store, &handle);
      return FALSE;
    }

  /* The whole entry came from the remote, each content checked. */
  *out_fetched = TRUE;
  if (progress != NULL)
    progress ((goffset) total, (goffset) total, progress_data);

  /* 4 */
  g_strlcpy (out_stats->tree_digest, fs_cache_manifest_get_digest (made),
             sizeof out_stats->tree_digest);
  ok = _fs_commit (store, &handle, name, made, &status, out_result, cancellable, error);
  if (status != FS_CACHE_COMMIT_STORED)
    {
      _fs_anon_discard (store, &handle);
      if (!ok)
        return FALSE;
    }
  else if (!ok)
    {
      /* Stored, but not synced: reported as the failure it is. */
      _fs_lock_clear (&handle.lock);
      return FALSE;
    }
  else
    *out_handle = handle;
  out_stats->status = status;
  g_debug ("pull %s from %s: status %d, %u blobs received (%" G_GUINT64_FORMAT
           " bytes), %u copied locally (%" G_GUINT64_FORMAT " bytes), %u requests",
           name, remote->url, (int) status, out_stats->blobs_received, out_stats->bytes_received,
           out_stats->blobs_copied, out_stats->bytes_copied, out_stats->requests);
  return ok;
}

gboolean
_fs_remote_pull (FsRemote *remote,
                 FsStore *store,
                 const char *name,
                 FsHandle *out_handle,
                 FsCommitResult *out_result,
                 GFileProgressCallback progress,
                 gpointer progress_data,
                 FsRemoteStats *out_stats,
                 GCancellable *cancellable,
                 GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean fetched = FALSE;
  gboolean ok;

  ok = pull_entry (remote, store, name, out_handle, out_result, progress, progress_data, out_stats,
                   &fetched, cancellable, &local_error);

  /* The statistics: what came over the wire, failed pull or not; a remote
   * hit when the remote gave the whole entry (whatever the local commit
   * then did with it), a remote miss when it was asked and did not have
   * the entry, a remote error when it failed (down, slow, something
   * missing or corrupt). A pull that was cancelled, or that asked nothing
   * (a cache that can't keep the entry), is none of them. */
  if (out_stats->bytes_received > 0)
    _fs_stats_add (store->stats, FS_STAT_REMOTE_BYTES_DOWN, out_stats->bytes_received);
  if (fetched)
    _fs_stats_add (store->stats, FS_STAT_REMOTE_HIT, 1);
  else if (!ok && out_stats->requests > 0 &&
           !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _fs_stats_add (store->stats,
                   g_error_matches (local_error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS)
                     ? FS_STAT_REMOTE_MISS
                     : FS_STAT_REMOTE_ERROR,
                   1);
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return ok;
}

gboolean
_fs_remote_load (FsStore *store,
                 const char *name,
                 FsHandle *out,
                 guint64 *out_size,
                 char **out_tree_digest,
                 GCancellable *cancellable,
                 GError **error)
{
  g_auto (FsRemote) remote = { NULL };
  g_autoptr (GError) local_error = NULL;
  g_autofree char *url = _fs_remote_dup_url (store, NULL);
  FsCommitResult result = { 0 };
  FsRemoteStats stats;

  if (url == NULL)
    return FALSE; /* no remote: a plain miss */
  if (!_fs_remote_open (store, &remote, &local_error) ||
      !_fs_remote_pull (&remote, store, name, out, &result, NULL, NULL, &stats, cancellable,
                        &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      /* A remote that is down, slow or wrong never fails a load: one
       * message (not a warning: nothing is wrong with the program), and a
       * miss. */
      if (g_error_matches (local_error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_message (_ ("The remote %s failed, so “%s” is not taken from it: %s"), url, name,
                   local_error->message);
      return FALSE;
    }

  switch (stats.status)
    {
    case FS_CACHE_COMMIT_STORED:
      *out_size = result.size;
      *out_tree_digest = g_strdup (result.tree_digest);
      return TRUE;
    case FS_CACHE_COMMIT_EXISTS:
      /* Another writer committed it first: that one is loaded. */
      return _fs_load (store, name, out, out_size, out_tree_digest, NULL);
    case FS_CACHE_COMMIT_TOO_LARGE:
    case FS_CACHE_COMMIT_NO_SPACE:
    case FS_CACHE_COMMIT_INCOMPATIBLE:
    default:
      g_debug ("pulled %s from %s, but the cache declined it (status %d): a miss", name, url,
               (int) stats.status);
      return FALSE;
    }
}

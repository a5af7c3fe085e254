/* fs-manifest.c: building manifests of trees, and checking trees against
 * them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One collector does both. The walk (or a copy loop) adds nodes in the
 * calling thread: lstat, symlink target, extended attributes. The content
 * of regular files is hashed by n worker threads while the walk goes on:
 * the walk appends each file to a work list, each worker takes the next
 * one (one at a time, so one large file does not hold up small ones, and
 * two large files go to two workers); the walk wakes a sleeping worker
 * only when a few files are waiting, or at its end. A worker opens its
 * file again by its path below the top of the tree (openat2
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), fstat()s it (for a regular file
 * the walk found by its d_type, this is the node's only stat), reads its
 * xattrs through that fd and hashes it. At the end the nodes are sorted
 * into the manifest's order and the hard-link groups numbered in that
 * order, so the result does not depend on the order of the walk nor on
 * the threads.
 *
 * Building refuses a tree that changes under it (the manifest would
 * describe no tree); verifying reports what it finds node by node.
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <glib/gi18n-lib.h>

#include "fs-cache-difference-private.h"
#include "fs-cache-manifest-private.h"
#include "fs-manifest-builder-private.h"
#include "fs-util-private.h"

#define MAX_PATH_LEN 4095
/* A tree deeper than this is hostile (paths of a manifest stop at 4095). */
#define MAX_DEPTH 4096

/* The walk wakes a sleeping worker when this many files wait. */
#define WAKE_AFTER 8

/* How often progress is reported, in microseconds. */
#define PROGRESS_INTERVAL (100 * 1000)

static guint
inode_hash (gconstpointer p)
{
  const InodeInfo *k = p;
  return (guint) (k->ino ^ (k->ino >> 32) ^ k->dev);
}

static gboolean
inode_equal (gconstpointer a, gconstpointer b)
{
  const InodeInfo *x = a, *y = b;
  return x->dev == y->dev && x->ino == y->ino;
}

static void
build_node_free (gpointer p)
{
  BuildNode *node = p;

  g_clear_pointer (&node->n.xattrs, g_variant_unref);
  g_free (node->error_message);
  g_free (node);
}

/* The first error wins; the others are dropped. */
static void
builder_fail (FsManifestBuilder *self, GError *error)
{
  g_mutex_lock (&self->lock);
  if (self->error == NULL)
    self->error = error;
  else
    g_error_free (error);
  g_mutex_unlock (&self->lock);
  g_atomic_int_set (&self->failed, 1);
}

/* A node that could not be read: an error when building, a difference
 * when verifying. Cancellation always ends the run. */
static void
node_fail (FsManifestBuilder *self, BuildNode *node, GError *error)
{
  if (self->verify && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_free (node->error_message);
      node->error_message = g_strdup (error->message);
      g_error_free (error);
      return;
    }
  builder_fail (self, error);
}

/* ---- extended attributes ---- */

static gboolean
have_proc (void)
{
  static gsize init = 0;
  static gboolean have = FALSE;

  if (g_once_init_enter (&init))
    {
      have = access ("/proc/self/fd", X_OK) == 0;
      g_once_init_leave (&init, 1);
    }
  return have;
}

/* The xattrs of a node, through @fd if >= 0, else of @name below @dirfd
 * without following it (l*xattr on /proc/self/fd/DIRFD/NAME: there is no
 * *xattrat() before Linux 6.13). *out is NULL when it has none or the file
 * system has no xattrs. */
static gboolean
read_xattrs (int fd, int dirfd, const char *name, const char *path, GVariant **out, GError **error)
{
  g_autoptr (GPtrArray) names = NULL; /* made for the first attribute */
  g_autoptr (GPtrArray) values = NULL;
  g_autofree char *proc = NULL;
  g_autofree char *list = NULL;
  char stack[1024];
  char *l = stack;
  ssize_t len;

  *out = NULL;
  if (fd < 0)
    {
      if (dirfd != AT_FDCWD && !have_proc ())
        return TRUE; /* no way to read them without opening the node */
      proc =
        dirfd == AT_FDCWD ? g_strdup (name) : g_strdup_printf ("/proc/self/fd/%d/%s", dirfd, name);
    }

  len = fd >= 0 ? flistxattr (fd, l, sizeof stack) : llistxattr (proc, l, sizeof stack);
  for (int attempt = 0; len < 0 && errno == ERANGE && attempt < 8; attempt++)
    {
      ssize_t need = fd >= 0 ? flistxattr (fd, NULL, 0) : llistxattr (proc, NULL, 0);

      if (need < 0)
        {
          len = need;
          break;
        }
      g_free (list);
      l = list = g_malloc ((gsize) need + 1);
      len = fd >= 0 ? flistxattr (fd, l, (gsize) need + 1) : llistxattr (proc, l, (gsize) need + 1);
    }
  if (len < 0)
    {
      if (errno == ENOTSUP || errno == EOPNOTSUPP)
        return TRUE;
      return _fs_throw_errno (error, errno, _ ("Reading the extended attributes of %s"), path);
    }

  for (char *n = l; n < l + len; n += strlen (n) + 1)
    {
      char vstack[4096];
      g_autofree char *big = NULL;
      const char *v = vstack;
      ssize_t vlen;

      if (*n == '\0')
        continue;
      vlen = fd >= 0 ? fgetxattr (fd, n, vstack, sizeof vstack)
                     : lgetxattr (proc, n, vstack, sizeof vstack);
      for (int attempt = 0; vlen < 0 && errno == ERANGE && attempt < 8; attempt++)
        {
          ssize_t need = fd >= 0 ? fgetxattr (fd, n, NULL, 0) : lgetxattr (proc, n, NULL, 0);
          if (need < 0)
            {
              vlen = need;
              break;
            }
          g_free (big);
          big = g_malloc ((gsize) need + 1);
          vlen = fd >= 0 ? fgetxattr (fd, n, big, (gsize) need + 1)
                         : lgetxattr (proc, n, big, (gsize) need + 1);
          v = big;
        }
      if (vlen < 0)
        {
          if (errno == ENODATA)
            continue; /* removed since the listing */
          return _fs_throw_errno (error, errno, _ ("Reading the extended attribute %s of %s"), n,
                                  path);
        }
      if (names == NULL)
        {
          names = g_ptr_array_new ();
          values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
        }
      g_ptr_array_add (names, n);
      g_ptr_array_add (values, g_bytes_new (v, (gsize) vlen));
    }
  if (names != NULL)
    *out = _fs_manifest_xattrs_new (names, values);
  return TRUE;
}

/* ---- hashing ---- */

static void
node_from_stat (BuildNode *node, const struct stat *st)
{
  node->n.mode = st->st_mode & 07777;
  node->n.uid = st->st_uid;
  node->n.gid = st->st_gid;
  node->dev = st->st_dev;
  node->ino = st->st_ino;
  node->blocks = (guint64) st->st_blocks;
  if (S_ISREG (st->st_mode))
    node->n.size = (guint64) st->st_size;
}

/* Records @node as a node of its inode (any thread). TRUE if it is the
 * first: the one whose content is hashed and xattrs read. */
static gboolean
claim_inode (FsManifestBuilder *self, BuildNode *node)
{
  InodeInfo key = { node->dev, node->ino, NULL, 0, 0 };
  InodeInfo *info;
  gboolean first = FALSE;

  g_mutex_lock (&self->lock);
  info = g_hash_table_lookup (self->inodes, &key);
  if (info == NULL)
    {
      info = g_new0 (InodeInfo, 1);
      *info = key;
      info->first = node;
      g_hash_table_add (self->inodes, info);
      first = TRUE;
    }
  info->count++;
  node->inode = info;
  g_mutex_unlock (&self->lock);
  return first;
}

static void
hash_node (FsManifestBuilder *self, BuildNode *node, FsDigest *digest, void *buf, gsize buf_size)
{
  g_autoptr (GError) error = NULL;
  fs_autofd fd = -1;
  struct stat st;

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_cancellable_set_error_if_cancelled (self->cancellable, &error);
      builder_fail (self, g_steal_pointer (&error));
      return;
    }

  /* O_NONBLOCK: should a FIFO have taken the file's place, don't wait on
   * it. O_NOATIME: hashing a tree must not change it (its files' access
   * times are kept by store_tree and part of what users get back); it needs
   * the file's owner (or CAP_FOWNER): others read without it. */
  fd = _fs_openat (self->root_fd, node->n.path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOATIME, 0);
  if (fd < 0 && errno == EPERM)
    fd = _fs_openat (self->root_fd, node->n.path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
  if (fd < 0)
    {
      int errsv = errno;

      /* A file found by the walk that can't be opened: its attributes
       * still, through an O_PATH descriptor (no permission needed). */
      if (node->deferred && self->verify)
        {
          fs_autofd pfd = _fs_openat (self->root_fd, node->n.path, O_PATH | O_NOFOLLOW, 0);

          if (pfd < 0 && errno == ENOENT)
            {
              node->vanished = TRUE;
              return;
            }
          if (pfd >= 0 && fstat (pfd, &st) == 0)
            {
              node_from_stat (node, &st);
              (void) _fs_manifest_type_from_mode (st.st_mode, &node->n.type);
            }
        }
      _fs_throw_errno (&error, errsv, _ ("Opening %s"), node->n.path);
      node_fail (self, node, g_steal_pointer (&error));
      return;
    }
  if (fstat (fd, &st) < 0)
    {
      _fs_throw_errno (&error, errno, _ ("Reading %s"), node->n.path);
      node_fail (self, node, g_steal_pointer (&error));
      return;
    }
  if (!S_ISREG (st.st_mode) ||
      (!node->deferred && (st.st_dev != node->dev || st.st_ino != node->ino)))
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, _ ("%s changed while being read"),
                   node->n.path);
      node_fail (self, node, g_steal_pointer (&error));
      return;
    }
  if (node->deferred)
    {
      /* The walk saw a name of type DT_REG; this fstat is the node's. */
      node_from_stat (node, &st);
      if (st.st_nlink > 1 && !claim_inode (self, node))
        return; /* another link of the file is hashed */
    }
  if (node->worker_xattrs && !read_xattrs (fd, -1, NULL, node->n.path, &node->n.xattrs, &error))
    {
      node_fail (self, node, g_steal_pointer (&error));
      return;
    }
  if (node->deferred && self->want_hash != NULL &&
      !self->want_hash (node->n.path, &st, self->want_hash_data))
    return;
  if (!_fs_digest_fd (digest, fd, &st, buf, buf_size, node->digest, &node->hashed_size,
                      self->cancellable, node->n.path, &error))
    {
      node_fail (self, node, g_steal_pointer (&error));
      return;
    }
  node->has_digest = TRUE;
  if (!self->verify && node->hashed_size != node->n.size)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, _ ("%s changed while being read"),
                   node->n.path);
      builder_fail (self, g_steal_pointer (&error));
    }
}

/* ---- progress ---- */

/* A file done (hashed, skipped or failed): its bytes count (any thread). */
static void
count_done (FsManifestBuilder *self, const BuildNode *node)
{
  if (self->progress != NULL)
    __atomic_add_fetch (&self->progress_done, node->n.size, __ATOMIC_RELAXED);
}

/* Calls the progress callback (the calling thread only), unless it was
 * called less than PROGRESS_INTERVAL ago and @force is FALSE. */
static void
report_progress (FsManifestBuilder *self, gboolean force)
{
  gint64 now;
  guint64 done;

  if (self->progress == NULL)
    return;
  now = g_get_monotonic_time ();
  if (!force && now - self->progress_last < PROGRESS_INTERVAL)
    return;
  self->progress_last = now;
  done = MIN (__atomic_load_n (&self->progress_done, __ATOMIC_RELAXED), self->progress_total);
  self->progress ((goffset) done, (goffset) self->progress_total, self->progress_data);
}

void
_fs_manifest_builder_set_progress (FsManifestBuilder *self,
                                   GFileProgressCallback progress,
                                   gpointer progress_data,
                                   guint64 total)
{
  self->progress = progress;
  self->progress_data = progress_data;
  self->progress_total = MIN (total, (guint64) G_MAXINT64);
  self->progress_last = g_get_monotonic_time ();
}

static gpointer
worker (gpointer data)
{
  FsManifestBuilder *self = data;
  g_autoptr (FsDigest) digest = _fs_digest_new ();
  g_autofree void *buf = g_malloc (FS_DIGEST_BUFFER_SIZE);

  g_mutex_lock (&self->work_lock);
  for (;;)
    {
      BuildNode *node;

      while (self->work_next == self->work->len && !self->work_done)
        {
          self->n_waiting++;
          g_cond_wait (&self->work_cond, &self->work_lock);
          self->n_waiting--;
        }
      if (self->work_next == self->work->len)
        break;
      node = self->work->pdata[self->work_next++];
      g_mutex_unlock (&self->work_lock);
      if (!g_atomic_int_get (&self->failed))
        hash_node (self, node, digest, buf, FS_DIGEST_BUFFER_SIZE);
      count_done (self, node);
      g_mutex_lock (&self->work_lock);
    }
  self->n_finished++;
  g_cond_signal (&self->done_cond);
  g_mutex_unlock (&self->work_lock);
  return NULL;
}

static void
hash_inline (FsManifestBuilder *self, BuildNode *node)
{
  if (self->digest == NULL)
    {
      self->digest = _fs_digest_new ();
      self->buf = g_malloc (FS_DIGEST_BUFFER_SIZE);
    }
  if (!g_atomic_int_get (&self->failed))
    hash_node (self, node, self->digest, self->buf, FS_DIGEST_BUFFER_SIZE);
  count_done (self, node);
  report_progress (self, FALSE);
}

/* Hashes now (one thread), or hands over to the workers. */
static void
queue_hash (FsManifestBuilder *self, BuildNode *node)
{
  guint waiting;

  if (self->n_threads <= 1)
    {
      hash_inline (self, node);
      return;
    }

  /* Start the workers with the second file: a tree of one file (a small
   * store) is hashed in this thread at the end, without a thread started
   * and joined for it. */
  if (self->threads->len == 0 && self->work->len == 0)
    {
      g_ptr_array_add (self->work, node);
      return;
    }
  if (self->threads->len == 0)
    for (guint i = 0; i < self->n_threads; i++)
      {
        GThread *thread = g_thread_try_new ("fscache-hash", worker, self, NULL);

        if (thread == NULL)
          break;
        g_ptr_array_add (self->threads, thread);
      }
  if (self->threads->len == 0)
    {
      self->n_threads = 1; /* no thread to be had: hash here */
      hash_inline (self, node);
      return;
    }

  g_mutex_lock (&self->work_lock);
  g_ptr_array_add (self->work, node);
  waiting = self->work->len - self->work_next;
  if (self->n_waiting > 0 && waiting >= WAKE_AFTER)
    g_cond_signal (&self->work_cond);
  g_mutex_unlock (&self->work_lock);
  report_progress (self, FALSE);
}

/* ---- the builder ---- */

/* The CPUs this process may run on (its affinity: taskset, a cpuset),
 * asked once: GLib 2.74 counts the CPUs online, and asks each time. */
static guint
n_processors (void)
{
  static gsize n = 0;

  if (g_once_init_enter (&n))
    {
      cpu_set_t cpus;
      int count = 0;

      if (sched_getaffinity (0, sizeof cpus, &cpus) == 0)
        count = CPU_COUNT (&cpus);
      if (count <= 0)
        count = (int) g_get_num_processors ();
      g_once_init_leave (&n, (gsize) MAX (1, count));
    }
  return (guint) n;
}

FsManifestBuilder *
_fs_manifest_builder_new (int root_dirfd, guint n_threads, GCancellable *cancellable)
{
  FsManifestBuilder *self = g_new0 (FsManifestBuilder, 1);

  self->root_fd = root_dirfd;
  self->n_threads = n_threads != 0 ? n_threads : n_processors ();
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  self->nodes = g_ptr_array_new_with_free_func (build_node_free);
  self->strings = g_string_chunk_new (64 * 1024);
  self->inodes = g_hash_table_new_full (inode_hash, inode_equal, g_free, NULL);
  g_mutex_init (&self->lock);
  g_mutex_init (&self->work_lock);
  g_cond_init (&self->work_cond);
  g_cond_init (&self->done_cond);
  self->threads = g_ptr_array_new ();
  self->work = g_ptr_array_new ();
  return self;
}

/* Lets the workers finish the files left, and waits for them; without
 * workers, hashes what waits in this thread. */
static void
builder_join (FsManifestBuilder *self)
{
  if (self->threads->len == 0)
    {
      for (; self->work_next < self->work->len; self->work_next++)
        hash_inline (self, self->work->pdata[self->work_next]);
      return;
    }
  g_mutex_lock (&self->work_lock);
  self->work_done = TRUE;
  g_cond_broadcast (&self->work_cond);
  /* With progress to report, wake up now and then until the workers are
   * done. */
  while (self->progress != NULL && self->n_finished < self->threads->len)
    {
      g_cond_wait_until (&self->done_cond, &self->work_lock,
                         g_get_monotonic_time () + PROGRESS_INTERVAL);
      g_mutex_unlock (&self->work_lock);
      report_progress (self, FALSE);
      g_mutex_lock (&self->work_lock);
    }
  g_mutex_unlock (&self->work_lock);
  for (guint i = 0; i < self->threads->len; i++)
    g_thread_join (self->threads->pdata[i]);
  g_ptr_array_set_size (self->threads, 0);
}

void
_fs_manifest_builder_set_flags (FsManifestBuilder *self, FsManifestBuildFlags flags)
{
  self->dir_mode_or = (flags & FS_MANIFEST_BUILD_SHARED_DIRS) ? (S_ISGID | S_IRWXG) : 0;
}

void
_fs_manifest_builder_free (FsManifestBuilder *self)
{
  if (self == NULL)
    return;
  /* Stop the workers before their nodes go. */
  g_atomic_int_set (&self->failed, 1);
  builder_join (self);
  g_ptr_array_unref (self->nodes);
  g_string_chunk_free (self->strings);
  g_hash_table_unref (self->inodes);
  _fs_digest_free (self->digest);
  g_free (self->buf);
  g_clear_error (&self->error);
  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->threads);
  g_ptr_array_unref (self->work);
  g_cond_clear (&self->work_cond);
  g_cond_clear (&self->done_cond);
  g_mutex_clear (&self->work_lock);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static gboolean
add_node (FsManifestBuilder *self,
          const char *path,
          int fd,
          int dirfd,
          const char *name,
          const struct stat *st,
          const guint8 *sha256,
          GError **error)
{
  BuildNode *node;
  struct stat st_buf;
  gsize path_len = strlen (path);

  g_return_val_if_fail (!self->ended, FALSE);

  if (path_len == 0 || (path_len > MAX_PATH_LEN && !self->verify))
    return _fs_throw_errno (error, ENAMETOOLONG, _ ("Adding %s to a manifest"), path);
  if (st == NULL)
    {
      if ((fd >= 0 ? fstat (fd, &st_buf) : fstatat (dirfd, name, &st_buf, AT_SYMLINK_NOFOLLOW)) < 0)
        return _fs_throw_errno (error, errno, _ ("Reading %s"), path);
      st = &st_buf;
    }

  node = g_new0 (BuildNode, 1);
  g_ptr_array_add (self->nodes, node);
  node->n.path = g_string_chunk_insert (self->strings, path);
  node->n.target = "";
  if (!_fs_manifest_type_from_mode (st->st_mode, &node->n.type))
    return _fs_throw_errno (error, EOPNOTSUPP, _ ("Adding %s to a manifest"), path);
  node_from_stat (node, st);

  switch (node->n.type)
    {
    case FS_CACHE_NODE_TYPE_REGULAR:
      break;
    case FS_CACHE_NODE_TYPE_SYMLINK:
      {
        char target[MAX_PATH_LEN + 2];
        ssize_t n = fd >= 0 ? readlinkat (fd, "", target, sizeof target)
                            : readlinkat (dirfd, name, target, sizeof target);

        if (n < 0 || n > MAX_PATH_LEN)
          {
            int errsv = n < 0 ? errno : ENAMETOOLONG;
            g_autoptr (GError) local_error = NULL;

            _fs_throw_errno (&local_error, errsv, _ ("Reading the symlink %s"), path);
            if (!self->verify)
              return g_propagate_error (error, g_steal_pointer (&local_error)), FALSE;
            node->error_message = g_strdup (local_error->message);
            n = 0;
          }
        target[n] = '\0';
        node->n.target = g_string_chunk_insert_len (self->strings, target, n);
        node->n.size = (guint64) n;
      }
      break;
    case FS_CACHE_NODE_TYPE_CHAR_DEVICE:
    case FS_CACHE_NODE_TYPE_BLOCK_DEVICE:
      node->n.dev_major = major (st->st_rdev);
      node->n.dev_minor = minor (st->st_rdev);
      break;
    case FS_CACHE_NODE_TYPE_DIRECTORY:
    case FS_CACHE_NODE_TYPE_FIFO:
    case FS_CACHE_NODE_TYPE_SOCKET:
    default:
      break;
    }

  /* Hard links: remember the inode; the nodes after the first get its
   * digest and xattrs at the end. Every inode, not only those with
   * st_nlink > 1: a copy loop adds the first link of a file before it
   * makes the second. */
  if (node->n.type != FS_CACHE_NODE_TYPE_DIRECTORY && !claim_inode (self, node))
    return TRUE;

  if (node->n.type == FS_CACHE_NODE_TYPE_REGULAR)
    {
      if (sha256 != NULL)
        {
          memcpy (node->digest, sha256, FS_DIGEST_SIZE);
          node->has_digest = TRUE;
          node->hashed_size = node->n.size;
        }
      else if (fd >= 0)
        {
          g_autoptr (GError) local_error = NULL;

          if (self->digest == NULL)
            {
              self->digest = _fs_digest_new ();
              self->buf = g_malloc (FS_DIGEST_BUFFER_SIZE);
            }
          if (_fs_digest_fd (self->digest, fd, st, self->buf, FS_DIGEST_BUFFER_SIZE, node->digest,
                             &node->hashed_size, self->cancellable, path, &local_error))
            node->has_digest = TRUE;
          else if (self->verify && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            node->error_message = g_strdup (local_error->message);
          else
            return g_propagate_error (error, g_steal_pointer (&local_error)), FALSE;
        }
      else if (self->want_hash == NULL || self->want_hash (path, st, self->want_hash_data))
        {
          if (self->root_fd < 0)
            return _fs_throw_errno (error, EBADF, _ ("Hashing %s"), path);
          node->worker_xattrs = TRUE;
          queue_hash (self, node);
          return TRUE;
        }
    }

  {
    g_autoptr (GError) local_error = NULL;

    if (!read_xattrs (fd, dirfd, name, path, &node->n.xattrs, &local_error))
      {
        if (!self->verify)
          return g_propagate_error (error, g_steal_pointer (&local_error)), FALSE;
        node->error_message = g_strdup (local_error->message);
      }
  }
  return TRUE;
}

/* A regular file the walk found (d_type DT_REG): the worker that hashes it
 * stats it, one system call less per file. */
static gboolean
add_regular_deferred (FsManifestBuilder *self, const char *path, GError **error)
{
  BuildNode *node;

  if (strlen (path) > MAX_PATH_LEN && !self->verify)
    return _fs_throw_errno (error, ENAMETOOLONG, _ ("Adding %s to a manifest"), path);
  node = g_new0 (BuildNode, 1);
  g_ptr_array_add (self->nodes, node);
  node->n.path = g_string_chunk_insert (self->strings, path);
  node->n.target = "";
  node->n.type = FS_CACHE_NODE_TYPE_REGULAR;
  node->deferred = TRUE;
  node->worker_xattrs = TRUE;
  queue_hash (self, node);
  return TRUE;
}

gboolean
_fs_manifest_builder_add_at (FsManifestBuilder *self,
                             const char *path,
                             int dirfd,
                             const char *name,
                             const struct stat *st,
                             const guint8 *sha256,
                             GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL && name != NULL, FALSE);
  return add_node (self, path, -1, dirfd, name, st, sha256, error);
}

gboolean
_fs_manifest_builder_add_fd (FsManifestBuilder *self,
                             const char *path,
                             int fd,
                             const guint8 *sha256,
                             GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL && fd >= 0, FALSE);
  return add_node (self, path, fd, -1, NULL, NULL, sha256, error);
}

static int
compare_build_nodes (gconstpointer a, gconstpointer b)
{
  const BuildNode *x = *(BuildNode *const *) a;
  const BuildNode *y = *(BuildNode *const *) b;

  return _fs_manifest_path_compare (x->n.path, y->n.path);
}

/* Joins the workers, sorts the nodes, numbers the hard-link groups and
 * gives the later links of each inode its digest and xattrs. */
gboolean
_fs_manifest_builder_finish (FsManifestBuilder *self, GError **error)
{
  guint next_group = 0;

  g_return_val_if_fail (!self->ended, FALSE);
  self->ended = TRUE;
  builder_join (self);
  if (self->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->error));
      return FALSE;
    }
  if (_fs_cancellable_set_error (self->cancellable, error))
    return FALSE;

  for (guint i = self->nodes->len; i-- > 0;)
    if (((BuildNode *) self->nodes->pdata[i])->vanished)
      g_ptr_array_remove_index (self->nodes, i);
  /* The walk adds the nodes in the manifest's order (each directory's
   * names sorted, depth first): sorted already, unless a copy loop added
   * them in its own order. */
  for (guint i = 1; i < self->nodes->len; i++)
    if (compare_build_nodes (&self->nodes->pdata[i - 1], &self->nodes->pdata[i]) > 0)
      {
        g_ptr_array_sort (self->nodes, compare_build_nodes);
        break;
      }
  for (guint i = 0; i < self->nodes->len; i++)
    {
      BuildNode *node = self->nodes->pdata[i];
      InodeInfo *info = node->inode;

      if (i > 0 && compare_build_nodes (&self->nodes->pdata[i - 1], &self->nodes->pdata[i]) == 0)
        return _fs_throw_errno (error, EEXIST, _ ("Adding %s to a manifest twice"), node->n.path);
      if (info == NULL || info->count < 2)
        continue;
      if (info->group == 0)
        info->group = ++next_group;
      node->n.link_group = info->group;
      if (info->first != node)
        {
          BuildNode *first = info->first;

          memcpy (node->digest, first->digest, FS_DIGEST_SIZE);
          node->has_digest = first->has_digest;
          node->hashed_size = first->hashed_size;
          if (first->n.xattrs != NULL)
            node->n.xattrs = g_variant_ref (first->n.xattrs);
          if (first->error_message != NULL)
            node->error_message = g_strdup (first->error_message);
        }
    }
  return TRUE;
}

/* The space of the tree as the nodes' stats found it, as _fs_tree_size_at()
 * measures it: st_blocks of every node, a file with several links once. */
static guint64
disk_usage (FsManifestBuilder *self)
{
  guint64 usage = 0;

  for (guint i = 0; i < self->nodes->len; i++)
    {
      const BuildNode *node = self->nodes->pdata[i];

      if (node->n.type == FS_CACHE_NODE_TYPE_DIRECTORY || node->inode == NULL ||
          node->inode->first == node)
        usage += node->blocks * 512;
    }
  return usage;
}

FsCacheManifest *
_fs_manifest_builder_end (FsManifestBuilder *self, GError **error)
{
  g_autofree FsManifestNode *nodes = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) local_error = NULL;
  FsCacheManifest *manifest;

  g_return_val_if_fail (self != NULL, NULL);

  if (!_fs_manifest_builder_finish (self, error))
    return NULL;
  if (self->nodes->len == 0 ||
      strcmp (((BuildNode *) self->nodes->pdata[0])->n.path, FS_MANIFEST_ROOT) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "A manifest needs its top directory “.”");
      return NULL;
    }

  nodes = g_new0 (FsManifestNode, self->nodes->len);
  for (guint i = 0; i < self->nodes->len; i++)
    {
      BuildNode *node = self->nodes->pdata[i];

      nodes[i] = node->n;
      if (node->n.type == FS_CACHE_NODE_TYPE_DIRECTORY)
        nodes[i].mode |= self->dir_mode_or;
      if (node->n.type == FS_CACHE_NODE_TYPE_REGULAR)
        {
          if (!node->has_digest)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "No digest for %s in the manifest", node->n.path);
              return NULL;
            }
          nodes[i].sha256 = node->digest;
        }
    }
  bytes = _fs_manifest_serialize (nodes, self->nodes->len);
  /* Parse what we wrote: the checks of any manifest read (but normal form,
   * which the serializer makes). */
  manifest = _fs_cache_manifest_new_serialized (bytes, &local_error);
  if (manifest == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Made an invalid manifest: %s",
                   local_error->message);
      return NULL;
    }
  _fs_cache_manifest_set_disk_usage (manifest, disk_usage (self));
  return manifest;
}

/* ---- the walk ---- */

/* Names of a directory as walk_dir() keeps them: the d_type, then the
 * name. In strcmp() order of the names, a depth-first walk adds the nodes
 * in the manifest's order. */
static int
compare_dir_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a + 1, *(const char *const *) b + 1);
}

/* Adds the entries of the directory open as @dfd (borrowed), whose path is
 * @path, and below. */
static gboolean
walk_dir (FsManifestBuilder *self, int dfd, const char *path, int depth, GError **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) child_buf = NULL;
  struct dirent *de;
  gsize prefix_len;
  DIR *dir;
  int dup_fd;

  if (depth > MAX_DEPTH)
    return _fs_throw_errno (error, ELOOP, _ ("Walking %s"), path);
  if (_fs_cancellable_set_error (self->cancellable, error))
    return FALSE;

  dup_fd = fcntl (dfd, F_DUPFD_CLOEXEC, 3);
  if (dup_fd < 0 || (dir = fdopendir (dup_fd)) == NULL)
    {
      int errsv = errno;
      _fs_fd_close (dup_fd);
      return _fs_throw_errno (error, errsv, _ ("Reading directory %s"), path);
    }
  /* Read the names first: a directory stream is one more open fd per level. */
  for (;;)
    {
      errno = 0;
      de = readdir (dir);
      if (de == NULL)
        break;
      if (!_fs_is_dot_or_dotdot (de->d_name))
        {
          /* the d_type, then the name */
          char *entry = g_malloc (strlen (de->d_name) + 2);
          entry[0] = (char) de->d_type;
          strcpy (entry + 1, de->d_name);
          g_ptr_array_add (names, entry);
        }
    }
  if (errno != 0)
    {
      int errsv = errno;
      closedir (dir);
      return _fs_throw_errno (error, errsv, _ ("Reading directory %s"), path);
    }
  closedir (dir);
  g_ptr_array_sort (names, compare_dir_names);

  /* The paths of the children: "PATH/" (nothing for the top) and the name,
   * in one buffer. */
  child_buf = g_string_new (strcmp (path, FS_MANIFEST_ROOT) == 0 ? "" : path);
  if (child_buf->len > 0)
    g_string_append_c (child_buf, '/');
  prefix_len = child_buf->len;

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = (const char *) names->pdata[i] + 1;
      unsigned char d_type = (unsigned char) *(const char *) names->pdata[i];
      const char *child;
      struct stat st;

      g_string_truncate (child_buf, prefix_len);
      g_string_append (child_buf, name);
      child = child_buf->str;

      if ((i & 0xff) == 0xff && _fs_cancellable_set_error (self->cancellable, error))
        return FALSE;
      if (d_type == DT_REG && self->root_fd >= 0)
        {
          if (!add_regular_deferred (self, child, error))
            return FALSE;
          continue;
        }

      if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          if (errno == ENOENT && self->verify)
            continue; /* gone since the listing */
          return _fs_throw_errno (error, errno, _ ("Reading %s"), child);
        }
      if (S_ISDIR (st.st_mode))
        {
          fs_autofd cfd =
            openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
          g_autoptr (GError) local_error = NULL;

          if (cfd < 0)
            {
              int errsv = errno;

              if (!self->verify)
                return _fs_throw_errno (error, errsv, _ ("Opening directory %s"), child);
              /* Recorded as unreadable; its content is not checked. */
              if (!add_node (self, child, -1, dfd, name, &st, NULL, error))
                return FALSE;
              _fs_throw_errno (&local_error, errsv, _ ("Opening directory %s"), child);
              node_fail (self, self->nodes->pdata[self->nodes->len - 1],
                         g_steal_pointer (&local_error));
              continue;
            }
          BuildNode *dir_node;

          if (!add_node (self, child, cfd, -1, NULL, &st, NULL, error))
            return FALSE;
          dir_node = self->nodes->pdata[self->nodes->len - 1];
          if (!walk_dir (self, cfd, dir_node->n.path, depth + 1, &local_error))
            {
              if (!self->verify ||
                  g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
                  g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES))
                return g_propagate_error (error, g_steal_pointer (&local_error)), FALSE;
              node_fail (self, dir_node, g_steal_pointer (&local_error));
            }
        }
      else if (!add_node (self, child, -1, dfd, name, &st, NULL, error))
        return FALSE;
    }
  return TRUE;
}

/* Adds the top of the tree (open as the builder's root fd) and walks it.
 * When verifying, a missing top adds nothing and a top of another type is
 * added as it is. */
gboolean
_fs_manifest_walk_tree (FsManifestBuilder *self, int dirfd, const char *path, GError **error)
{
  struct stat st;

  if (fstatat (dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno == ENOENT && self->verify)
        return TRUE; /* every node is missing */
      return _fs_throw_errno (error, errno, _ ("Reading %s"), path);
    }
  if (!S_ISDIR (st.st_mode))
    {
      if (!self->verify)
        return _fs_throw_errno (error, ENOTDIR, _ ("Reading %s"), path);
      /* The top is there, as another type. */
      return add_node (self, FS_MANIFEST_ROOT, -1, dirfd, path, &st, NULL, error);
    }
  if (self->root_fd < 0)
    return _fs_throw_errno (error, ENOENT, _ ("Opening directory %s"),
                            path); /* replaced meanwhile */
  if (!add_node (self, FS_MANIFEST_ROOT, self->root_fd, -1, NULL, NULL, NULL, error))
    return FALSE;
  return walk_dir (self, self->root_fd, FS_MANIFEST_ROOT, 0, error);
}

FsCacheManifest *
_fs_manifest_build_at (int dirfd,
                       const char *path,
                       FsManifestBuildFlags flags,
                       guint n_threads,
                       GCancellable *cancellable,
                       GError **error)
{
  g_autoptr (FsManifestBuilder) builder = NULL;
  fs_autofd root_fd = -1;

  root_fd = openat (dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (root_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening directory %s"), path), NULL;

  builder = _fs_manifest_builder_new (root_fd, n_threads, cancellable);
  _fs_manifest_builder_set_flags (builder, flags);
  if (!_fs_manifest_walk_tree (builder, dirfd, path, error))
    return NULL;
  return _fs_manifest_builder_end (builder, error);
}

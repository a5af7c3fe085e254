/* fs-manifest-builder-private.h: the inside of the manifest builder,
 * shared by fs-manifest.c (the builder, the walk) and fs-manifest-verify.c
 * (which walks a tree with a builder and compares)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-cache-manifest-private.h"
#include "fs-manifest-private.h"

G_BEGIN_DECLS

typedef struct _InodeInfo InodeInfo;

typedef struct {
  FsManifestNode n; /* path and target in the builder's string chunk */
  guint8 digest[FS_DIGEST_SIZE];
  gboolean has_digest;
  gboolean worker_xattrs; /* the worker reads the xattrs */
  gboolean deferred;      /* a regular file found by the walk: the worker stats it */
  gboolean vanished;      /* deferred, and gone before the worker came (verify) */
  InodeInfo *inode;       /* for non-directories */
  dev_t dev;
  ino_t ino;
  guint64 blocks; /* st_blocks */
  guint64 hashed_size;
  char *error_message; /* could not be read (verify) */
} BuildNode;

struct _InodeInfo {
  dev_t dev;
  ino_t ino;
  BuildNode *first; /* the first node added: the one hashed */
  guint count;      /* its nodes in the tree */
  guint group;      /* its number, in the manifest's order */
};

/* Which regular files to hash (verify hashes only those that may match). */
typedef gboolean (*WantHash) (const char *path, const struct stat *st, gpointer data);

struct _FsManifestBuilder {
  int root_fd;
  guint n_threads;
  GCancellable *cancellable;
  gboolean verify;     /* record errors per node instead of failing */
  guint32 dir_mode_or; /* added to the mode of every directory */
  WantHash want_hash;
  gpointer want_hash_data;

  GPtrArray *nodes; /* BuildNode *, owned */
  GStringChunk *strings;
  GHashTable *inodes; /* InodeInfo * (key and value), owned */

  /* The workers (n_threads > 1). work_lock protects work, work_next,
   * work_done and n_waiting; the workers wait on work_cond. */
  GPtrArray *threads; /* GThread *, started as work comes */
  GMutex work_lock;
  GCond work_cond;
  GPtrArray *work; /* BuildNode *, not owned: [work_next, len) wait */
  guint work_next;
  guint n_waiting;
  gboolean work_done;

  FsDigest *digest; /* for the calling thread */
  void *buf;

  /* Progress (verify): the bytes of the regular files done so far, added
   * by whichever thread hashed (or skipped) each file; reported from the
   * calling thread only, at most every FS_MANIFEST_PROGRESS_INTERVAL.
   * n_finished (under work_lock) counts the workers that ended, which
   * signal done_cond. */
  GFileProgressCallback progress;
  gpointer progress_data;
  guint64 progress_total;
  guint64 progress_done; /* atomic */
  gint64 progress_last;  /* monotonic time of the last report */
  guint n_finished;
  GCond done_cond;

  GMutex lock; /* protects error and inodes */
  GError *error;
  gint failed; /* atomic: stop hashing */
  gboolean ended;
};

/* Reports @progress (called in the calling thread, with the bytes hashed
 * so far of @total) while the builder hashes. */
void _fs_manifest_builder_set_progress (FsManifestBuilder *self,
                                        GFileProgressCallback progress,
                                        gpointer progress_data,
                                        guint64 total);

/* Walks the tree at @path below @dirfd into @self. */
gboolean _fs_manifest_walk_tree (FsManifestBuilder *self,
                                 int dirfd,
                                 const char *path,
                                 GError **error);
/* Waits for the hashing, sorts the nodes, numbers the hard-link groups. */
gboolean _fs_manifest_builder_finish (FsManifestBuilder *self, GError **error);

G_END_DECLS

/* fs-manifest-private.h: building manifests of trees, and checking trees
 * against them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <sys/stat.h>

#include "fs-digest-private.h"
#include "fscache.h"

G_BEGIN_DECLS

/* Collects the nodes of a tree, in any order, and makes its manifest.
 * Regular files are hashed by the builder unless the caller gives their
 * digest (a copy loop that hashed while copying): in the calling thread
 * when @n_threads is 1, else on a pool of @n_threads threads (0: one per
 * CPU) while the caller goes on adding nodes. A file with several hard
 * links in the tree is hashed once; hard-link groups are found from the
 * nodes' (st_dev, st_ino), so add the nodes as they are in the tree being
 * described (for a copy: stat the copy, not the source).
 *
 * Paths are relative to the top of the tree: "." for the top directory,
 * "a", "a/b" below it. Files the builder hashes itself are opened by path
 * below @root_dirfd (borrowed; it must stay open until the end), without
 * following symlinks; @root_dirfd may be -1 when every regular file is
 * added with its digest or with an open fd.
 *
 * Typical use by a copy loop, for each node once its copy is complete
 * (content, xattrs, owner, mode — the builder records what it finds):
 *
 *   regular file: _fs_digest_copy_fd (..., digest, ...);
 *                 _fs_manifest_builder_add_fd (b, rel, dst_fd, digest, error);
 *   hard link:    _fs_manifest_builder_add_at (b, rel, dst_dirfd, name, NULL, NULL, error);
 *   directory:    _fs_manifest_builder_add_fd (b, rel, dst_dir_fd, NULL, error);
 *   other:        _fs_manifest_builder_add_at (b, rel, dst_dirfd, name, NULL, NULL, error);
 *
 * then _fs_manifest_builder_end(). */
typedef struct _FsManifestBuilder FsManifestBuilder;

typedef enum {
  FS_MANIFEST_BUILD_NONE = 0,
  /* Record directories as a shared cache makes them at the commit:
   * group-writable and setgid (see _fs_tree_make_group_writable_at()). */
  FS_MANIFEST_BUILD_SHARED_DIRS = 1 << 0,
} FsManifestBuildFlags;

FsManifestBuilder *_fs_manifest_builder_new (int root_dirfd,
                                             guint n_threads,
                                             GCancellable *cancellable);
void _fs_manifest_builder_free (FsManifestBuilder *self);
void _fs_manifest_builder_set_flags (FsManifestBuilder *self, FsManifestBuildFlags flags);

/* The node @path, found as @name below @dirfd. @st: its lstat(), or NULL
 * (then fstatat() is called). @sha256: the digest of a regular file's
 * content if the caller has it, else NULL. */
gboolean _fs_manifest_builder_add_at (FsManifestBuilder *self,
                                      const char *path,
                                      int dirfd,
                                      const char *name,
                                      const struct stat *st,
                                      const guint8 *sha256,
                                      GError **error);

/* The node @path, a regular file or a directory open as @fd (fstat() and
 * the xattrs through the fd; a regular file without @sha256 is hashed from
 * @fd with pread(), in the calling thread). */
gboolean _fs_manifest_builder_add_fd (FsManifestBuilder *self,
                                      const char *path,
                                      int fd,
                                      const guint8 *sha256,
                                      GError **error);

/* Waits for the hashing, sorts the nodes, numbers the hard-link groups:
 * the manifest. The builder can only be freed afterwards. */
FsCacheManifest *_fs_manifest_builder_end (FsManifestBuilder *self, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FsManifestBuilder, _fs_manifest_builder_free)

/* The manifest of the tree at @path below @dirfd (a directory; symlinks
 * are never followed), its regular files hashed on @n_threads threads (0:
 * one per CPU; 1: the calling thread only). The tree must not change
 * meanwhile: a file that does is an error. */
FsCacheManifest *_fs_manifest_build_at (int dirfd,
                                        const char *path,
                                        FsManifestBuildFlags flags,
                                        guint n_threads,
                                        GCancellable *cancellable,
                                        GError **error);

/* Checks the tree at @path below @dirfd against @manifest, re-hashing its
 * regular files on @n_threads threads (0: one per CPU); @progress (if not
 * NULL) is called in the calling thread with the bytes done of the
 * manifest's total size, at least at the end. Every difference
 * is reported in @out_differences (FsCacheDifference objects, in the
 * manifest's order of paths, then by kind; empty when the tree matches):
 * content, type, mode, owner, symlink target, xattrs, device numbers, hard
 * links, missing and extra nodes, and nodes that could not be read. A
 * missing top directory makes every node missing. Returns FALSE with
 * @error only when the check could not be done (cancelled, out of file
 * descriptors, …). */
gboolean _fs_manifest_verify_at (int dirfd,
                                 const char *path,
                                 FsCacheManifest *manifest,
                                 guint n_threads,
                                 GFileProgressCallback progress,
                                 gpointer progress_data,
                                 GPtrArray **out_differences,
                                 GCancellable *cancellable,
                                 GError **error);

G_END_DECLS

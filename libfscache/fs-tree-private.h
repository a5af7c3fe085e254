/* fs-tree-private.h: walking and removing trees below a directory fd
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The space used by the tree at @name below @dirfd: the sum of
 * st_blocks * 512 over every file and directory (the top one included),
 * symlinks never followed, a file with several hard links in the tree
 * counted once. */
gboolean _fs_tree_size_at (int dirfd,
                           const char *name,
                           guint64 *out_size,
                           guint64 *out_files,
                           GCancellable *cancellable,
                           GError **error);

/* Adds group write (and setgid) to every directory of the tree, so that any
 * member of a shared cache's group can later remove it. */
void _fs_tree_make_group_writable_at (int dirfd, const char *name);

/* Removes an anonymous entry directory: the layout we create (data/,
 * object.lock, object.info) in a few calls, anything else by the walk. */
int _fs_rm_anonymous_at (int dirfd, const char *name);

/* rm -rf of @name below @dirfd without following symlinks. Directories the
 * caller made read-only are made writable first. ENOENT is success. Returns
 * 0, or -1 with errno. */
int _fs_rm_rf_at (int dirfd, const char *name);

G_END_DECLS

G_BEGIN_DECLS

typedef struct {
  GCancellable *cancellable;
  GFileProgressCallback progress;
  gpointer progress_data;
  guint64 total_bytes; /* for progress; 0 = unknown */
  guint64 done_bytes;
  gboolean shared; /* make copied directories group-writable */
  /* what happened, for tests and tracing */
  guint n_reflinked;
  guint n_range_copied;
  guint n_plain_copied;
  guint n_hardlinked;
} FsCopyOptions;

/* Bytes of file content of the tree at @path (not following symlinks),
 * for the total of a progress report. */
guint64 _fs_tree_content_bytes (int dirfd, const char *path);

/* Copy the tree at @src_name below @src_dirfd to a new @dst_name below
 * @dst_dirfd: a directory is created with the source's contents, a file or
 * symlink is copied. Per file: FICLONE, else copy_file_range over the data
 * extents (holes kept), else read/write. Kept: types (devices only when
 * privileged), modes, owners where permitted, ns timestamps, xattrs where
 * supported, hard links within the tree. Symlinks are copied verbatim,
 * never followed. On failure the partial copy is left for the caller to
 * remove. */
gboolean _fs_tree_copy (int src_dirfd,
                        const char *src_name,
                        int dst_dirfd,
                        const char *dst_name,
                        FsCopyOptions *options,
                        GError **error);

G_END_DECLS

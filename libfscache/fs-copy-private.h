/* fs-copy-private.h: the copy engine
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "fs-manifest-private.h"

G_BEGIN_DECLS

typedef struct {
  GCancellable *cancellable;
  GFileProgressCallback progress;
  gpointer progress_data;
  guint64 total_bytes; /* for progress; 0 = unknown */
  guint64 done_bytes;
  gboolean shared; /* make copied directories group-writable */
  /* When set, every node copied is added to this manifest builder, each
   * regular file hashed while it is copied (one read of its data, plain
   * read/write instead of copy_file_range(), or a reflink and one read).
   * Paths in the manifest: with @manifest_root_is_copy, the copied top is
   * the manifest's "." and the paths below it are relative to it; else the
   * copied node itself is named in the manifest by its destination name. */
  FsManifestBuilder *manifest;
  gboolean manifest_root_is_copy;
  /* what happened, for tests and tracing */
  guint n_reflinked;
  guint n_range_copied;
  guint n_plain_copied;
  guint n_hardlinked;
} FsCopyOptions;

/* Bytes of file content of the tree at @path (not following symlinks),
 * for the total of a progress report. */
guint64 _fs_copy_content_bytes (int dirfd, const char *path);

/* Copy the tree at @src_name below @src_dirfd to a new @dst_name below
 * @dst_dirfd: a directory is created with the source's contents, a file or
 * symlink is copied. Per file: FICLONE, else copy_file_range over the data
 * extents (holes kept), else read/write. Kept: types (devices only when
 * privileged), modes, owners where permitted, ns timestamps, xattrs where
 * supported, hard links within the tree. Symlinks are copied verbatim,
 * never followed. On failure the partial copy is left for the caller to
 * remove. */
gboolean _fs_copy_tree (int src_dirfd,
                        const char *src_name,
                        int dst_dirfd,
                        const char *dst_name,
                        FsCopyOptions *options,
                        GError **error);

G_END_DECLS

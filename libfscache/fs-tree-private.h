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

/* rm -rf of @name below @dirfd without following symlinks. Directories the
 * caller made read-only are made writable first. ENOENT is success. Returns
 * 0, or -1 with errno. */
int _fs_rm_rf_at (int dirfd, const char *name);

G_END_DECLS

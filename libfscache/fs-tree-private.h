/* fs-tree-private.h: walking and removing trees below a directory fd
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A file's identity, for the tables of hard links the walks keep. */
typedef struct {
  dev_t dev;
  ino_t ino;
} DevIno;

guint _fs_dev_ino_hash (gconstpointer p);
gboolean _fs_dev_ino_equal (gconstpointer a, gconstpointer b);

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

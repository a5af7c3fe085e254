/* fscache-copy.h: copying trees out of the cache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Storing a tree is fs_cache_store_tree()'s job; the library has no call
 * that copies an entry out, so `fscache export` copies with the code here.
 */

#pragma once

#include <gio/gio.h>

#include "fscache-util.h"

G_BEGIN_DECLS

/* Copies the directory tree @source into the existing empty directory
 * @dest: files (reflinked when the file system can, else with
 * copy_file_range(), else read and written; holes kept), directories,
 * symbolic links (verbatim), hard links within the tree, FIFOs, sockets and
 * device nodes, with their modes, timestamps and, when permitted, owners;
 * @dest gets the mode and times of @source. @progress may be %NULL. */
gboolean fs_tool_copy_tree (const char *source,
                            const char *dest,
                            FsToolProgress *progress,
                            GCancellable *cancellable,
                            GError **error);

/* Removes the tree @path (a directory or any other file), making read-only
 * directories writable as needed. A missing @path is not an error. */
gboolean fs_tool_remove_tree (const char *path, GError **error);

G_END_DECLS

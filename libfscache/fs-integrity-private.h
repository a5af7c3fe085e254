/* fs-integrity-private.h: the manifests of committed entries
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-digest-private.h"
#include "fs-store-private.h"

G_BEGIN_DECLS

/* The manifest of the entry @handle (locked), checked against
 * @expected_digest, the tree digest its object.info names: NULL (and
 * FS_CACHE_ERROR_NO_MANIFEST) when it names none; FS_CACHE_ERROR_CORRUPT
 * when object.manifest is missing, does not parse or is not that one. */
FsCacheManifest *_fs_integrity_read_manifest (FsStore *store,
                                              const FsHandle *handle,
                                              const char *expected_digest,
                                              GError **error);

/* Re-hashes the entry @handle (locked) against its manifest, on all cores,
 * calling @progress (if not NULL) in this thread with the bytes done.
 * FALSE with FS_CACHE_ERROR_CORRUPT naming the first difference (all of
 * them, FsCacheDifference objects, in *@out_differences when given) when it
 * differs; with FS_CACHE_ERROR_NO_MANIFEST when it has no manifest. */
gboolean _fs_integrity_verify (FsStore *store,
                               const FsHandle *handle,
                               const char *expected_digest,
                               GFileProgressCallback progress,
                               gpointer progress_data,
                               GPtrArray **out_differences,
                               GCancellable *cancellable,
                               GError **error);

/* Gives the committed entry @name a manifest of its tree as it is, under
 * its write lock (FS_CACHE_ERROR_BUSY when in use); nothing to do when it
 * has a whole one already. */
gboolean _fs_integrity_add_manifest (FsStore *store,
                                     const char *name,
                                     char out_digest[FS_DIGEST_HEX_SIZE],
                                     GCancellable *cancellable,
                                     GError **error);

G_END_DECLS

/* fs-local-blobs-private.h: file contents the local cache already holds
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-digest-private.h"
#include "fs-store-private.h"

G_BEGIN_DECLS

/* At most this many committed entries are looked at, the most recently
 * used first, and at most this many bytes of their manifests read: a pull
 * pays a bounded cost for the search, whatever the size of the cache. */
#define FS_LOCAL_BLOBS_MAX_ENTRIES 64
#define FS_LOCAL_BLOBS_MAX_MANIFEST_BYTES (64 * 1024 * 1024)

typedef struct _FsLocalBlobs FsLocalBlobs;

/* Finds files of the committed entries of @store whose content is one of
 * @wanted (a set of 32-byte SHA-256 digests, stopping when all are found),
 * by their manifests (checked against their tree digests). The entries
 * that have some stay read-locked until the result is freed, so that the
 * files do not go away while they are copied; the others are released at
 * once. Never fails: an entry that can't be read is passed over. */
FsLocalBlobs *_fs_local_blobs_find (FsStore *store, GHashTable *wanted, GCancellable *cancellable);
/* How many of the wanted digests were found. */
guint _fs_local_blobs_count (FsLocalBlobs *self);
/* Whether a local file has the content @sha256 (by its manifest). */
gboolean _fs_local_blobs_has (FsLocalBlobs *self, const guint8 *sha256);
/* Opens (read-only) a local file whose manifest says its content has the
 * digest @sha256, filling @out_st; -1 when there is none (or it can't be
 * opened). The content is the caller's to check while it copies it. */
int _fs_local_blobs_open (FsLocalBlobs *self, const guint8 *sha256, struct stat *out_st);
/* The calls above may be made from several threads at once. Releases the
 * entries' locks. */
void _fs_local_blobs_free (FsLocalBlobs *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FsLocalBlobs, _fs_local_blobs_free)

/* The hash and equality of 32-byte digests, for the @wanted set. */
guint _fs_sha256_hash (gconstpointer key);
gboolean _fs_sha256_equal (gconstpointer a, gconstpointer b);

G_END_DECLS

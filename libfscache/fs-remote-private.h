/* fs-remote-private.h: the remote of a cache, and what a transfer moved
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-digest-private.h"
#include "fs-http-private.h"
#include "fs-store-private.h"

G_BEGIN_DECLS

/* The remote of a cache as its cache.info configures it, with a reference
 * to the cache's HTTP client. */
typedef struct {
  FsHttp *http;
  const char *url; /* the client's base URL, ending in '/' */
  char *namespace_;
  FsCacheRemoteMode mode;
  FsHttpEncoding encoding; /* what a push writes */
} FsRemote;

/* Fills @out with the remote of @store, its HTTP client made on first use
 * (and again when the settings changed). FS_CACHE_ERROR_NO_REMOTE when no
 * URL is set; G_IO_ERROR_INVALID_ARGUMENT when the settings can't be used
 * (a URL that holds credentials, a credentials file that can't be read). */
gboolean _fs_remote_open (FsStore *store, FsRemote *out, GError **error);
void _fs_remote_clear (FsRemote *remote);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FsRemote, _fs_remote_clear)

/* The URL configured for @store, or NULL: nothing is made, nothing sent. */
char *_fs_remote_dup_url (FsStore *store, FsCacheRemoteMode *out_mode);

/* What a push or a pull did. */
typedef struct {
  guint64 bytes_sent;     /* body bytes of PUTs (compressed ones with zstd) */
  guint64 bytes_received; /* body bytes of GETs */
  guint64 bytes_copied;   /* file contents found in the local cache instead */
  guint blobs_sent;
  guint blobs_skipped; /* the server had them */
  guint blobs_received;
  guint blobs_copied; /* found in the local cache (or twice in the entry) */
  guint requests;
  char tree_digest[FS_DIGEST_HEX_SIZE]; /* of the entry's manifest (local) */
  FsCacheCommitStatus status;           /* a pull's local commit */
} FsRemoteStats;

G_END_DECLS

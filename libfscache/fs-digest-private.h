/* fs-digest-private.h: SHA-256 of buffers and files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A leaf: OpenSSL's libcrypto (EVP) does the hashing, with the CPU's SHA
 * extensions where it has them (bench/README.md, "SHA-256", says why this
 * one). Should libcrypto have no SHA-256 (a broken provider configuration),
 * GLib's GChecksum does it instead, slower but with the same results.
 */

#pragma once

#include <gio/gio.h>
#include <sys/stat.h>

G_BEGIN_DECLS

#define FS_DIGEST_SIZE 32
#define FS_DIGEST_HEX_SIZE 65 /* 64 lowercase hex digits and a NUL */

/* The buffer size of the fd helpers below: large reads, few system calls,
 * and still inside the L2 cache of the CPU that hashes them. */
#define FS_DIGEST_BUFFER_SIZE (256 * 1024)

/* A streaming hasher: cheap to reuse (a finish leaves it ready for the next
 * input, without new allocations). One per thread. */
typedef struct _FsDigest FsDigest;

FsDigest *_fs_digest_new (void);
void _fs_digest_free (FsDigest *self);
void _fs_digest_update (FsDigest *self, const void *data, gsize len);
/* Writes the digest of everything given since the last finish (or the
 * creation) and resets @self. */
void _fs_digest_finish (FsDigest *self, guint8 out[FS_DIGEST_SIZE]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FsDigest, _fs_digest_free)

/* One shot. */
void _fs_digest_buffer (const void *data, gsize len, guint8 out[FS_DIGEST_SIZE]);

/* "sha256" of libcrypto, or "sha256 (GLib fallback)": for tests and tracing. */
const char *_fs_digest_implementation (void);

void _fs_digest_to_hex (const guint8 digest[FS_DIGEST_SIZE], char out[FS_DIGEST_HEX_SIZE]);
/* Exactly 64 lowercase hex digits, nothing before or after. */
gboolean _fs_digest_from_hex (const char *hex, guint8 out[FS_DIGEST_SIZE]);

/* Called after each chunk with the number of bytes it moved on. */
typedef void (*FsDigestProgress) (guint64 n_bytes, gpointer user_data);

/* The SHA-256 of the content of the regular file open as @fd, its first
 * st_size bytes read in large chunks (holes of a sparse file are hashed as
 * the zeros they read as, without reading them). @st is the file's stat
 * (or NULL: fstat is called). @buf is a buffer of @buf_size bytes the
 * caller reuses (NULL: one is allocated). @out_size (optional) receives the
 * number of bytes hashed: less than st_size when the file shrank
 * meanwhile. @path names the file in error messages. */
gboolean _fs_digest_fd (FsDigest *digest,
                        int fd,
                        const struct stat *st,
                        void *buf,
                        gsize buf_size,
                        guint8 out[FS_DIGEST_SIZE],
                        guint64 *out_size,
                        GCancellable *cancellable,
                        const char *path,
                        GError **error);

/* Copies the content of the regular file @src_fd to the empty regular file
 * @dst_fd and hashes it with one read of the source: a reflink (FICLONE)
 * where the file system can, then the source is read to hash it; else
 * read, hash and write chunk by chunk, holes of a sparse source kept as
 * holes (not written; the destination is truncated to the length at the
 * end). @st is the source's stat. @out_reflinked (optional) tells which
 * way it went. @progress (optional) is called after each chunk. On error
 * the destination holds a partial copy. */
gboolean _fs_digest_copy_fd (FsDigest *digest,
                             int src_fd,
                             int dst_fd,
                             const struct stat *st,
                             void *buf,
                             gsize buf_size,
                             guint8 out[FS_DIGEST_SIZE],
                             gboolean *out_reflinked,
                             FsDigestProgress progress,
                             gpointer progress_data,
                             GCancellable *cancellable,
                             const char *path,
                             GError **error);

G_END_DECLS

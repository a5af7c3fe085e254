/* fs-digest.c: SHA-256 of buffers and files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libcrypto's EVP interface with the SHA-256 implementation fetched once
 * per process (the fetch loads OpenSSL's configuration and providers: a
 * few milliseconds, paid by the first hash only) and one EVP_MD_CTX per
 * hasher, re-initialised in place after each digest. See bench/README.md
 * ("SHA-256") for the measurements behind the choice.
 */

#include "config.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/ioctl.h>

#include <glib/gi18n-lib.h>

#include "fs-digest-private.h"
#include "fs-util-private.h"

G_STATIC_ASSERT (FS_DIGEST_SIZE == 32);

struct _FsDigest {
  EVP_MD_CTX *ctx;     /* libcrypto, or NULL: */
  GChecksum *checksum; /* the fallback */
};

/* The process's SHA-256 of libcrypto, or NULL when it has none. Kept for
 * the life of the process. */
static EVP_MD *
get_sha256 (void)
{
  static EVP_MD *md = NULL;
  static gsize init = 0;

  if (g_once_init_enter (&init))
    {
      md = EVP_MD_fetch (NULL, "SHA256", NULL);
      if (md == NULL)
        {
          unsigned long code = ERR_get_error ();
          char msg[256] = "";

          if (code != 0)
            ERR_error_string_n (code, msg, sizeof msg);
          ERR_clear_error ();
          g_debug ("libcrypto has no SHA-256 (%s): using GLib's, slower", msg);
        }
      g_once_init_leave (&init, 1);
    }
  return md;
}

const char *
_fs_digest_implementation (void)
{
  return get_sha256 () != NULL ? "sha256 (libcrypto)" : "sha256 (GLib fallback)";
}

static void
evp_init (FsDigest *self)
{
  if (EVP_DigestInit_ex2 (self->ctx, get_sha256 (), NULL) != 1)
    g_error ("libcrypto: initialising SHA-256 failed"); /* only out of memory */
}

FsDigest *
_fs_digest_new (void)
{
  FsDigest *self = g_new0 (FsDigest, 1);

  if (get_sha256 () != NULL)
    {
      self->ctx = EVP_MD_CTX_new ();
      if (self->ctx == NULL)
        g_error ("libcrypto: out of memory");
      evp_init (self);
    }
  else
    self->checksum = g_checksum_new (G_CHECKSUM_SHA256);
  return self;
}

void
_fs_digest_free (FsDigest *self)
{
  if (self == NULL)
    return;
  if (self->ctx != NULL)
    EVP_MD_CTX_free (self->ctx);
  if (self->checksum != NULL)
    g_checksum_free (self->checksum);
  g_free (self);
}

void
_fs_digest_update (FsDigest *self, const void *data, gsize len)
{
  if (len == 0)
    return;
  if (self->ctx != NULL)
    {
      if (EVP_DigestUpdate (self->ctx, data, len) != 1)
        g_error ("libcrypto: SHA-256 failed");
      return;
    }
  /* GChecksum takes a gssize. */
  while (len > 0)
    {
      gsize n = MIN (len, (gsize) G_MAXSSIZE);
      g_checksum_update (self->checksum, data, (gssize) n);
      data = (const guint8 *) data + n;
      len -= n;
    }
}

void
_fs_digest_finish (FsDigest *self, guint8 out[FS_DIGEST_SIZE])
{
  if (self->ctx != NULL)
    {
      unsigned int len = 0;

      if (EVP_DigestFinal_ex (self->ctx, out, &len) != 1 || len != FS_DIGEST_SIZE)
        g_error ("libcrypto: SHA-256 failed");
      evp_init (self);
    }
  else
    {
      gsize len = FS_DIGEST_SIZE;

      g_checksum_get_digest (self->checksum, out, &len);
      g_checksum_reset (self->checksum);
    }
}

void
_fs_digest_buffer (const void *data, gsize len, guint8 out[FS_DIGEST_SIZE])
{
  g_autoptr (FsDigest) d = _fs_digest_new ();

  _fs_digest_update (d, data, len);
  _fs_digest_finish (d, out);
}

void
_fs_digest_to_hex (const guint8 digest[FS_DIGEST_SIZE], char out[FS_DIGEST_HEX_SIZE])
{
  static const char hex[] = "0123456789abcdef";

  for (gsize i = 0; i < FS_DIGEST_SIZE; i++)
    {
      out[2 * i] = hex[digest[i] >> 4];
      out[2 * i + 1] = hex[digest[i] & 0xf];
    }
  out[2 * FS_DIGEST_SIZE] = '\0';
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

gboolean
_fs_digest_from_hex (const char *hex, guint8 out[FS_DIGEST_SIZE])
{
  guint8 bytes[FS_DIGEST_SIZE];

  if (hex == NULL)
    return FALSE;
  for (gsize i = 0; i < FS_DIGEST_SIZE; i++)
    {
      int hi, lo;

      /* A NUL before the end fails here, before anything past it is read. */
      hi = hex_value (hex[2 * i]);
      if (hi < 0)
        return FALSE;
      lo = hex_value (hex[2 * i + 1]);
      if (lo < 0)
        return FALSE;
      bytes[i] = (guint8) (hi << 4 | lo);
    }
  if (hex[2 * FS_DIGEST_SIZE] != '\0')
    return FALSE;
  memcpy (out, bytes, sizeof bytes);
  return TRUE;
}

/* ---- files ---- */

/* Holes are hashed from here (never written: in .bss, not in the file). */
static guint8 zeros[64 * 1024];

static void
update_zeros (FsDigest *digest, guint64 len)
{
  while (len > 0)
    {
      gsize n = (gsize) MIN (len, (guint64) sizeof zeros);
      _fs_digest_update (digest, zeros, n);
      len -= n;
    }
}

typedef struct {
  FsDigest *digest;
  int src_fd;
  int dst_fd; /* -1: hash only */
  void *buf;
  gsize buf_size;
  FsDigestProgress progress;
  gpointer progress_data;
  GCancellable *cancellable;
  const char *path;
  guint64 done; /* bytes hashed */
} HashRun;

/* Reads [pos, end) chunk by chunk, hashes it, and writes it at the same
 * offsets when copying. Stops early at the end of the file; returns the
 * offset reached in *out_pos. */
static gboolean
hash_range (HashRun *run, guint64 pos, guint64 end, guint64 *out_pos, GError **error)
{
  while (pos < end)
    {
      gsize want = (gsize) MIN ((guint64) run->buf_size, end - pos);
      ssize_t n;

      if (_fs_cancellable_set_error (run->cancellable, error))
        return FALSE;
      do
        n = pread (run->src_fd, run->buf, want, (off_t) pos);
      while (n < 0 && errno == EINTR);
      if (n < 0)
        return _fs_throw_errno (error, errno, _ ("Reading %s"), run->path);
      if (n == 0)
        break; /* the end of the file (it may have shrunk) */
      _fs_digest_update (run->digest, run->buf, (gsize) n);
      if (run->dst_fd >= 0 && !_fs_write_all (run->dst_fd, run->buf, (gsize) n, (off_t) pos))
        return _fs_throw_errno (error, errno, _ ("Writing the copy of %s"), run->path);
      pos += (guint64) n;
      run->done += (guint64) n;
      if (run->progress != NULL)
        run->progress ((guint64) n, run->progress_data);
    }
  *out_pos = pos;
  return TRUE;
}

/* The whole file, holes of a sparse one skipped with SEEK_DATA/SEEK_HOLE
 * and hashed as zeros. */
static gboolean
hash_file (HashRun *run, const struct stat *st, GError **error)
{
  guint64 size = (guint64) st->st_size;
  guint64 pos = 0;
  gboolean sparse = size > 0 && (guint64) st->st_blocks * 512 < size;

  /* Read-ahead helps only files of more than one read. */
  if (size > run->buf_size)
    (void) posix_fadvise (run->src_fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  /* Up to the size stat() gave, not to the end of the file: one read (and
   * no system call to find the end) for a small file. A file that changes
   * meanwhile is the caller's to detect. */
  if (!sparse)
    return hash_range (run, 0, size, &pos, error);

  while (pos < size)
    {
      off_t data = lseek (run->src_fd, (off_t) pos, SEEK_DATA);
      off_t hole;
      guint64 reached = 0;

      if (data < 0 && errno == ENXIO)
        data = (off_t) size; /* only a hole is left */
      else if (data < 0)
        {
          /* No SEEK_DATA here (EINVAL): read the rest as it comes. */
          if (!hash_range (run, pos, size, &reached, error))
            return FALSE;
          pos = reached;
          break;
        }
      if ((guint64) data > size)
        data = (off_t) size;
      update_zeros (run->digest, (guint64) data - pos);
      run->done += (guint64) data - pos;
      if (run->progress != NULL && (guint64) data > pos)
        run->progress ((guint64) data - pos, run->progress_data);
      pos = (guint64) data;
      if (pos >= size)
        break;
      hole = lseek (run->src_fd, data, SEEK_HOLE);
      if (hole < 0 || (guint64) hole > size)
        hole = (off_t) size;
      if (!hash_range (run, pos, (guint64) hole, &reached, error))
        return FALSE;
      pos = reached;
      if (reached < (guint64) hole)
        break; /* the file shrank under us: what we read is what we hash */
    }
  /* A trailing hole is not written: give the copy its length. */
  if (run->dst_fd >= 0 && ftruncate (run->dst_fd, (off_t) pos) < 0)
    return _fs_throw_errno (error, errno, _ ("Writing the copy of %s"), run->path);
  return TRUE;
}

static gboolean
hash_or_copy (FsDigest *digest,
              int src_fd,
              int dst_fd,
              const struct stat *st,
              void *buf,
              gsize buf_size,
              guint8 out[FS_DIGEST_SIZE],
              guint64 *out_size,
              FsDigestProgress progress,
              gpointer progress_data,
              GCancellable *cancellable,
              const char *path,
              GError **error)
{
  g_autoptr (FsDigest) own_digest = NULL;
  g_autofree void *own_buf = NULL;
  struct stat st_buf;
  HashRun run;

  if (digest == NULL)
    digest = own_digest = _fs_digest_new ();
  if (buf == NULL || buf_size == 0)
    {
      buf_size = FS_DIGEST_BUFFER_SIZE;
      buf = own_buf = g_malloc (buf_size);
    }
  if (st == NULL)
    {
      if (fstat (src_fd, &st_buf) < 0)
        return _fs_throw_errno (error, errno, _ ("Reading %s"), path);
      st = &st_buf;
    }

  run = (HashRun){ digest,   src_fd,        dst_fd,      buf,  buf_size,
                   progress, progress_data, cancellable, path, 0 };
  if (!hash_file (&run, st, error))
    {
      /* Leave the hasher ready for its next file. */
      guint8 discard[FS_DIGEST_SIZE];
      _fs_digest_finish (digest, discard);
      return FALSE;
    }
  _fs_digest_finish (digest, out);
  if (out_size != NULL)
    *out_size = run.done;
  return TRUE;
}

gboolean
_fs_digest_fd (FsDigest *digest,
               int fd,
               const struct stat *st,
               void *buf,
               gsize buf_size,
               guint8 out[FS_DIGEST_SIZE],
               guint64 *out_size,
               GCancellable *cancellable,
               const char *path,
               GError **error)
{
  return hash_or_copy (digest, fd, -1, st, buf, buf_size, out, out_size, NULL, NULL, cancellable,
                       path, error);
}

gboolean
_fs_digest_copy_fd (FsDigest *digest,
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
                    GError **error)
{
  gboolean reflinked = FALSE;

  if (st->st_size > 0 && ioctl (dst_fd, FICLONE, src_fd) == 0)
    reflinked = TRUE;
  if (out_reflinked != NULL)
    *out_reflinked = reflinked;
  /* A reflink shares the blocks: hashing still needs one read of them. */
  return hash_or_copy (digest, src_fd, reflinked ? -1 : dst_fd, st, buf, buf_size, out, NULL,
                       progress, progress_data, cancellable, path, error);
}

/* fs-http-body.c: the meter of a transfer and a blob as a request body
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The meter counts the bytes of one transfer into the progress counter of
 * _fs_http_run() and holds it to a minimum speed: over each window of
 * `timeout` seconds it must move at least min_speed × timeout bytes, so a
 * trickle that never quite stops (which libsoup's I/O timeout alone never
 * ends) fails with G_IO_ERROR_TIMED_OUT.
 *
 * The body stream hands out a file's bytes for a PUT, hashing them on the
 * way: a source that does not match its digest fails before its last bytes
 * are handed out, so a PUT with a Content-Length ends short, on a
 * connection libsoup does not reuse, and the server keeps nothing (see
 * "PUT" in fs-http.c). With zstd it hands out the compressed bytes.
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <zstd.h>

#include "fs-http-body-private.h"
#include "fs-util-private.h"

/* ---- the meter ---------------------------------------------------------------------- */

void
_fs_http_meter_init (FsHttpMeter *meter, guint timeout, guint64 min_speed, guint64 *progress)
{
  meter->timeout = timeout;
  meter->min_speed = min_speed;
  meter->window_start = g_get_monotonic_time ();
  meter->window_bytes = 0;
  meter->progress = progress;
}

gboolean
_fs_http_meter_add (FsHttpMeter *meter,
                    gsize n,
                    const char *method,
                    const char *url,
                    GError **error)
{
  gint64 now, elapsed;

  if (meter->progress != NULL)
    __atomic_fetch_add (meter->progress, (guint64) n, __ATOMIC_RELAXED);
  meter->window_bytes += n;
  if (meter->min_speed == 0)
    return TRUE;
  now = g_get_monotonic_time ();
  elapsed = now - meter->window_start;
  if (elapsed < (gint64) meter->timeout * G_USEC_PER_SEC)
    return TRUE;
  if ((double) meter->window_bytes * G_USEC_PER_SEC < (double) meter->min_speed * (double) elapsed)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   _ ("%s %s: too slow: %" G_GUINT64_FORMAT " bytes in %.1f s, below the minimum "
                      "of %" G_GUINT64_FORMAT " bytes/s"),
                   method, url, meter->window_bytes, (double) elapsed / G_USEC_PER_SEC,
                   meter->min_speed);
      return FALSE;
    }
  meter->window_start = now;
  meter->window_bytes = 0;
  return TRUE;
}

/* ---- the body stream ---------------------------------------------------------------- */

struct _FsHttpBodyStream {
  GInputStream parent_instance;

  int fd; /* borrowed */
  guint64 size;
  guint64 offset; /* source bytes read */
  const char *url;
  char *digest;     /* NULL: no check */
  FsDigest *hasher; /* with @digest */
  ZSTD_CCtx *cctx;  /* NULL: plain */
  FsHttpMeter *meter;

  guint8 *src; /* source bytes (plain: also what is handed out) */
  gsize src_size, src_len, src_pos;
  guint8 *out; /* zstd: compressed bytes to hand out */
  gsize out_size, out_len, out_pos;
  gboolean src_done; /* all @size bytes read (and checked) */
  gboolean finished; /* nothing more to hand out */
  guint64 sent;      /* bytes handed out */
  GError *error;     /* the first error it returned */
};

G_DEFINE_FINAL_TYPE (FsHttpBodyStream, fs_http_body_stream, G_TYPE_INPUT_STREAM)

/* Finishes the hash of the source and compares it with the digest. */
static gboolean
check_digest (FsHttpBodyStream *self, GError **error)
{
  guint8 md[FS_DIGEST_SIZE];
  char got[FS_DIGEST_HEX_SIZE];

  _fs_digest_finish (self->hasher, md);
  _fs_digest_to_hex (md, got);
  if (strcmp (got, self->digest) == 0)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _ ("PUT %s: the source does not match its digest (its SHA-256 is %s)"), self->url,
               got);
  return FALSE;
}

/* Reads the next source block; checks the digest with the last one. */
static gboolean
read_source (FsHttpBodyStream *self, GError **error)
{
  gsize want = (gsize) MIN ((guint64) self->src_size, self->size - self->offset);
  gssize n;

  do
    n = pread (self->fd, self->src, want, (off_t) self->offset);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return _fs_throw_errno (error, errno, "PUT %s: %s", self->url, _ ("Cannot read the blob"));
  if (n == 0 && want > 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _ ("PUT %s: the source ended after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                      " bytes"),
                   self->url, self->offset, self->size);
      return FALSE;
    }
  self->src_len = (gsize) n;
  self->src_pos = 0;
  self->offset += (guint64) n;
  if (self->hasher != NULL)
    _fs_digest_update (self->hasher, self->src, (gsize) n);
  if (self->offset == self->size)
    {
      self->src_done = TRUE;
      if (self->hasher != NULL && !check_digest (self, error))
        return FALSE;
    }
  return TRUE;
}

/* zstd: fills self->out with the next compressed bytes. */
static gboolean
compress_more (FsHttpBodyStream *self, GError **error)
{
  self->out_len = self->out_pos = 0;
  while (self->out_len == 0 && !self->finished)
    {
      ZSTD_inBuffer in;
      ZSTD_outBuffer out = { self->out, self->out_size, 0 };
      ZSTD_EndDirective mode;
      size_t ret;

      if (self->src_pos == self->src_len && !self->src_done)
        if (!read_source (self, error))
          return FALSE;
      in = (ZSTD_inBuffer){ self->src, self->src_len, self->src_pos };
      mode = self->src_done ? ZSTD_e_end : ZSTD_e_continue;
      ret = ZSTD_compressStream2 (self->cctx, &out, &in, mode);
      if (ZSTD_isError (ret))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _ ("PUT %s: zstd: %s"), self->url,
                       ZSTD_getErrorName (ret));
          return FALSE;
        }
      self->src_pos = in.pos;
      self->out_len = out.pos;
      if (mode == ZSTD_e_end && ret == 0)
        self->finished = TRUE;
    }
  return TRUE;
}

static gssize
body_read (FsHttpBodyStream *self,
           void *buffer,
           gsize count,
           GCancellable *cancellable,
           GError **error)
{
  const guint8 *from;
  gsize avail;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;

  if (self->cctx == NULL)
    {
      if (self->src_pos == self->src_len)
        {
          if (self->src_done)
            return 0;
          if (!read_source (self, error))
            return -1;
        }
      from = self->src + self->src_pos;
      avail = self->src_len - self->src_pos;
    }
  else
    {
      if (self->out_pos == self->out_len)
        {
          if (self->finished)
            return 0;
          if (!compress_more (self, error))
            return -1;
          if (self->out_len == 0)
            return 0;
        }
      from = self->out + self->out_pos;
      avail = self->out_len - self->out_pos;
    }

  count = MIN (count, avail);
  memcpy (buffer, from, count);
  if (self->cctx == NULL)
    self->src_pos += count;
  else
    self->out_pos += count;
  self->sent += count;
  if (self->meter != NULL && !_fs_http_meter_add (self->meter, count, "PUT", self->url, error))
    return -1;
  return (gssize) count;
}

static gssize
fs_http_body_stream_read (GInputStream *stream,
                          void *buffer,
                          gsize count,
                          GCancellable *cancellable,
                          GError **error)
{
  FsHttpBodyStream *self = FS_HTTP_BODY_STREAM (stream);
  g_autoptr (GError) local_error = NULL;
  gssize n = body_read (self, buffer, count, cancellable, &local_error);

  if (n < 0)
    {
      if (self->error == NULL)
        self->error = g_error_copy (local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
    }
  return n;
}

static void
fs_http_body_stream_finalize (GObject *object)
{
  FsHttpBodyStream *self = FS_HTTP_BODY_STREAM (object);

  g_clear_pointer (&self->hasher, _fs_digest_free);
  g_clear_error (&self->error);
  ZSTD_freeCCtx (self->cctx);
  g_free (self->digest);
  g_free (self->src);
  g_free (self->out);
  G_OBJECT_CLASS (fs_http_body_stream_parent_class)->finalize (object);
}

static void
fs_http_body_stream_class_init (FsHttpBodyStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fs_http_body_stream_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = fs_http_body_stream_read;
}

static void
fs_http_body_stream_init (FsHttpBodyStream *self)
{
}

GInputStream *
_fs_http_body_stream_new (int fd,
                          guint64 size,
                          const char *url,
                          const char *digest,
                          gboolean compress,
                          int zstd_level,
                          FsHttpMeter *meter,
                          GError **error)
{
  g_autoptr (FsHttpBodyStream) self = g_object_new (FS_TYPE_HTTP_BODY_STREAM, NULL);

  self->fd = fd;
  self->size = size;
  self->url = url;
  self->meter = meter;
  /* No more than the blob: most are small, and 256 KiB per transfer is
   * an mmap() and a munmap() with glibc. */
  self->src_size = (gsize) CLAMP (size, 1, FS_HTTP_BUFFER_SIZE);
  self->src = g_malloc (self->src_size);
  self->src_done = size == 0;
  if (digest != NULL)
    {
      self->digest = g_strdup (digest);
      self->hasher = _fs_digest_new ();
      if (size == 0 && !check_digest (self, error))
        return NULL;
    }
  if (compress)
    {
      self->cctx = ZSTD_createCCtx ();
      if (self->cctx == NULL)
        g_error ("zstd: out of memory");
      ZSTD_CCtx_setParameter (self->cctx, ZSTD_c_compressionLevel, zstd_level);
      ZSTD_CCtx_setParameter (self->cctx, ZSTD_c_checksumFlag, 0);
      ZSTD_CCtx_setPledgedSrcSize (self->cctx, size);
      self->out_size = ZSTD_CStreamOutSize ();
      self->out = g_malloc (self->out_size);
    }
  else
    self->finished = size == 0;
  return G_INPUT_STREAM (g_steal_pointer (&self));
}

guint64
_fs_http_body_stream_get_sent (FsHttpBodyStream *self)
{
  return self->sent;
}

const GError *
_fs_http_body_stream_get_error (FsHttpBodyStream *self)
{
  return self->error;
}

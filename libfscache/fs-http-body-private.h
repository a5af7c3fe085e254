/* fs-http-body-private.h: what a transfer of the HTTP client measures and
 * sends — the meter (progress, minimum speed) and a blob as a request body
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The floor under fs-http.c: nothing here knows a session or a URL layout.
 */

#pragma once

#include <gio/gio.h>

#include "fs-digest-private.h"

G_BEGIN_DECLS

/* The buffer of one transfer's reads and writes. */
#define FS_HTTP_BUFFER_SIZE (256 * 1024)

/* The bytes of one transfer: added to a shared progress counter, and held
 * to a minimum speed over windows of `timeout` seconds. */
typedef struct {
  guint timeout;
  guint64 min_speed; /* bytes/s; 0: none */
  gint64 window_start;
  guint64 window_bytes;
  guint64 *progress; /* atomic counter of _fs_http_run(), or NULL */
} FsHttpMeter;

void _fs_http_meter_init (FsHttpMeter *meter, guint timeout, guint64 min_speed, guint64 *progress);
/* Counts @n bytes; fails with G_IO_ERROR_TIMED_OUT (naming @method and
 * @url) when the last window of `timeout` seconds moved fewer than
 * min_speed bytes per second. */
gboolean _fs_http_meter_add (FsHttpMeter *meter,
                             gsize n,
                             const char *method,
                             const char *url,
                             GError **error);

/* A GInputStream over the first @size bytes of the file @fd (pread from
 * offset 0; borrowed), optionally checked against @digest (hexadecimal)
 * before its last bytes are handed out, optionally compressed with zstd at
 * @zstd_level (@compress). Only the blocking read is implemented: libsoup
 * splices a synchronous message's body with blocking reads. @url names the
 * request in errors; @meter (nullable) counts what is handed out. Both are
 * borrowed and must outlive the stream. */
#define FS_TYPE_HTTP_BODY_STREAM (fs_http_body_stream_get_type ())
G_DECLARE_FINAL_TYPE (FsHttpBodyStream, fs_http_body_stream, FS, HTTP_BODY_STREAM, GInputStream)

GInputStream *_fs_http_body_stream_new (int fd,
                                        guint64 size,
                                        const char *url,
                                        const char *digest,
                                        gboolean compress,
                                        int zstd_level,
                                        FsHttpMeter *meter,
                                        GError **error);
/* Bytes handed out so far. */
guint64 _fs_http_body_stream_get_sent (FsHttpBodyStream *self);
/* The first error the stream returned (libsoup wraps what it reads), or
 * NULL. */
const GError *_fs_http_body_stream_get_error (FsHttpBodyStream *self);

G_END_DECLS

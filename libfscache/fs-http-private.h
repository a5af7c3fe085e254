/* fs-http-private.h: the HTTP client of the remote tier (DESIGN §9)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Blobs and `ac` documents on an HTTP cache server in the layout of Bazel's
 * HTTP remote cache, over libsoup 3. One FsHttp per cache: one SoupSession,
 * its connection pool shared by every transfer. The blocking calls below may
 * be made from any thread, several at once (libsoup >= 3.2 allows sending
 * from any thread); _fs_http_run() runs many of them on worker threads. All
 * are cancellable. See fs-http.c for the design and docs/format.md ("The
 * remote tier") for the layout and the `ac` document.
 *
 * The declarations come in the order of the files that define them, bottom
 * up: fs-http.c (the client and single requests), fs-http-run.c (many
 * transfers at once), fs-http-ac.c (the ac documents).
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Connections to the server (libsoup's own default, 2, is far too few). */
#define FS_HTTP_DEFAULT_CONNECTIONS 8
#define FS_HTTP_MAX_CONNECTIONS 64
/* Seconds: connecting, and any wait for the next byte of a transfer. */
#define FS_HTTP_DEFAULT_TIMEOUT 30
/* Bytes per second a transfer must keep up, averaged over each window of
 * `timeout` seconds (0: no minimum). */
#define FS_HTTP_DEFAULT_MIN_SPEED (10 * 1024)
/* zstd level when zstd is on (it is off by default): 1, as ccache, for an
 * upload that compresses at a few hundred MB/s per core; 3 saves about 15 %
 * more bytes for 1.7 times the CPU (bench/README.md). */
#define FS_HTTP_DEFAULT_ZSTD_LEVEL 1
/* The largest `ac` document read. */
#define FS_HTTP_AC_MAX_SIZE (64 * 1024)
/* A SHA-256 in lower-case hexadecimal, without its terminating NUL. */
#define FS_HTTP_DIGEST_LEN 64

typedef enum {
  FS_HTTP_ENCODING_PLAIN, /* BASE/cas/<sha256>: the bytes (Bazel's meaning of cas/) */
  FS_HTTP_ENCODING_ZSTD,  /* BASE/cas.zst/<sha256 of the uncompressed bytes>: zstd */
} FsHttpEncoding;

typedef struct {
  /* http:// or https://; no user name or password in it (it is stored in
   * cache.info, readable by every user of a shared cache). */
  const char *url;
  guint connections;              /* 1..FS_HTTP_MAX_CONNECTIONS */
  guint timeout;                  /* seconds, >= 1 */
  guint64 min_speed;              /* bytes/s, 0: none */
  FsHttpEncoding upload_encoding; /* how _fs_http_run's UPLOADs send blobs */
  int zstd_level;
  /* Hash what is uploaded and refuse to finish a PUT whose bytes do not
   * match their digest (the body is cut short, the server keeps nothing). */
  gboolean verify_uploads;
  /* NULL: credentials from the environment only (see fs-http.c). */
  const char *credentials_file;
  /* Where zstd blobs are compressed before they are sent (NULL: $TMPDIR). */
  const char *tmp_dir;
} FsHttpOptions;

/* Fills @options with the defaults (url NULL). */
void _fs_http_options_init (FsHttpOptions *options);

typedef struct _FsHttp FsHttp;

/* ---- fs-http.c: the client, one request -------------------------------------- */

/* Checks @options, reads the credentials, creates the session. Nothing is
 * sent. Reference counted: the session is aborted and freed with the last
 * reference, so whoever runs a transfer holds one. */
FsHttp *_fs_http_new (const FsHttpOptions *options, GError **error);
/* fs-http-credentials.c: the Authorization header value from the
 * environment or options->credentials_file; *@out_header NULL when there
 * are none. */
gboolean _fs_http_find_credentials (const FsHttpOptions *options,
                                    char **out_header,
                                    GError **error);
FsHttp *_fs_http_ref (FsHttp *http);
void _fs_http_unref (FsHttp *http);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FsHttp, _fs_http_unref)

/* The base URL, ending in '/'. */
const char *_fs_http_get_url (FsHttp *http);
guint _fs_http_get_connections (FsHttp *http);
/* Requests sent again by libsoup after a kept-alive connection closed under
 * them (each one's body was set again). For the tests. */
guint _fs_http_get_restart_count (FsHttp *http);

gboolean _fs_http_digest_is_valid (const char *digest);

/* HEAD of the blob. A plain blob whose Content-Length differs from @size
 * (G_MAXUINT64: unknown) counts as missing. 404 is "missing", not an error. */
gboolean _fs_http_blob_exists (FsHttp *http,
                               FsHttpEncoding encoding,
                               const char *digest,
                               guint64 size,
                               gboolean *out_exists,
                               GCancellable *cancellable,
                               GError **error);

/* GET of the blob, written to @fd from offset 0 (pwrite) while its SHA-256
 * and size are checked against @digest and @size. Any difference, a body
 * cut short, an HTTP status other than 200, a timeout, or a cancellation is
 * an error naming the URL; what was written is the caller's to discard.
 * @out_wire_bytes: body bytes received (compressed ones for zstd). */
gboolean _fs_http_blob_get (FsHttp *http,
                            FsHttpEncoding encoding,
                            const char *digest,
                            guint64 size,
                            int fd,
                            guint64 *out_wire_bytes,
                            GCancellable *cancellable,
                            GError **error);

/* PUT of the @size bytes of @fd from offset 0 (pread; the descriptor's
 * offset is not used). @fd must be exactly @size bytes long. */
gboolean _fs_http_blob_put (FsHttp *http,
                            FsHttpEncoding encoding,
                            const char *digest,
                            guint64 size,
                            int fd,
                            guint64 *out_wire_bytes,
                            GCancellable *cancellable,
                            GError **error);

/* The same GET and PUT, adding the body bytes to *@progress (atomically,
 * nullable) as they move: for fs-http-run.c. A PUT hashes what it sends
 * only when @verify and the client's verify_uploads. */
gboolean _fs_http_blob_get_counted (FsHttp *http,
                                    FsHttpEncoding encoding,
                                    const char *digest,
                                    guint64 size,
                                    int fd,
                                    guint64 *progress,
                                    guint64 *out_wire_bytes,
                                    GCancellable *cancellable,
                                    GError **error);
gboolean _fs_http_blob_put_counted (FsHttp *http,
                                    FsHttpEncoding encoding,
                                    const char *digest,
                                    guint64 size,
                                    int fd,
                                    gboolean verify,
                                    guint64 *progress,
                                    guint64 *out_wire_bytes,
                                    GCancellable *cancellable,
                                    GError **error);

/* GET of BASE/@path, a small document of at most @max_size bytes (more is
 * an error): *@out_document is NULL when the server has none (404). */
gboolean _fs_http_document_get (FsHttp *http,
                                const char *path,
                                gsize max_size,
                                GBytes **out_document,
                                GCancellable *cancellable,
                                GError **error);
/* PUT of @document (JSON) at BASE/@path. */
gboolean _fs_http_document_put (FsHttp *http,
                                const char *path,
                                GBytes *document,
                                GCancellable *cancellable,
                                GError **error);

/* ---- fs-http-run.c: many transfers at once ----------------------------------- */

typedef enum {
  FS_HTTP_OP_EXISTS, /* HEAD */
  FS_HTTP_OP_GET,
  FS_HTTP_OP_PUT,
  FS_HTTP_OP_UPLOAD, /* HEAD, then PUT when the server does not have it */
} FsHttpOp;

typedef struct {
  /* in */
  FsHttpOp op;
  FsHttpEncoding encoding;
  char digest[FS_HTTP_DIGEST_LEN + 1];
  guint64 size;
  int fd; /* -1: opened by the run's hooks when the body is needed */
  gpointer user_data;
  /* out */
  gboolean done;      /* the transfer ran to its end (error or not) */
  gboolean exists;    /* EXISTS: the server has it; UPLOAD: it had it, nothing sent */
  guint64 wire_bytes; /* body bytes sent or received */
  GError *error;
} FsHttpTransfer;

/* Frees the transfer's error. */
void _fs_http_transfer_clear (FsHttpTransfer *transfer);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FsHttpTransfer, _fs_http_transfer_clear)

typedef enum {
  FS_HTTP_RUN_NONE = 0,
  /* Run every transfer even after one failed (default: the first failure
   * cancels the others: a pull or push is all or nothing). */
  FS_HTTP_RUN_KEEP_GOING = 1 << 0,
  /* An UPLOAD the server had counts its size as progress (a bar then ends
   * at the total even when nothing had to be sent). */
  FS_HTTP_RUN_COUNT_SKIPPED = 1 << 1,
  /* The sources were hashed moments ago (their pages are still the ones
   * hashed): uploads are not hashed again. */
  FS_HTTP_RUN_TRUSTED_SOURCES = 1 << 2,
} FsHttpRunFlags;

/* Called in the thread of _fs_http_run(), about ten times a second while
 * bytes move and once at the end: body bytes so far, transfers done. */
typedef void (*FsHttpProgressFunc) (guint64 bytes, guint n_done, guint n_total, gpointer user_data);

/* Runs @transfers on up to `connections` worker threads and returns when all
 * are done. FALSE with the first failure's error (each transfer keeps its
 * own) if any failed or @cancellable was cancelled. */
gboolean _fs_http_run (FsHttp *http,
                       FsHttpTransfer *transfers,
                       guint n_transfers,
                       FsHttpRunFlags flags,
                       FsHttpProgressFunc progress,
                       gpointer progress_data,
                       GCancellable *cancellable,
                       GError **error);

/* Opens the file of @transfer, whose fd is -1, on the worker thread that
 * runs it, when its body is needed (an UPLOAD the server has needs none):
 * a descriptor, closed by the run after the transfer, or -1 with @error. */
typedef int (*FsHttpOpenFunc) (FsHttpTransfer *transfer, gpointer user_data, GError **error);
/* Called on the worker thread after a GET or PUT of @transfer succeeded,
 * with the descriptor of its file still open (a GET may set the file's
 * metadata there); FALSE with @error fails the transfer. */
typedef gboolean (*FsHttpDoneFunc) (FsHttpTransfer *transfer,
                                    int fd,
                                    gpointer user_data,
                                    GError **error);

typedef struct {
  FsHttpOpenFunc open; /* nullable */
  FsHttpDoneFunc done; /* nullable */
  gpointer user_data;
} FsHttpRunHooks;

/* _fs_http_run() with @hooks (nullable). */
gboolean _fs_http_run_full (FsHttp *http,
                            FsHttpTransfer *transfers,
                            guint n_transfers,
                            FsHttpRunFlags flags,
                            const FsHttpRunHooks *hooks,
                            FsHttpProgressFunc progress,
                            gpointer progress_data,
                            GCancellable *cancellable,
                            GError **error);

/* ---- fs-http-ac.c: entry name -> manifest ------------------------------------ */

/* SHA-256 of "fscache-entry\0" NAMESPACE "\0" NAME, in hexadecimal. */
void _fs_http_ac_key (const char *namespace_, const char *name, char out[FS_HTTP_DIGEST_LEN + 1]);

typedef struct {
  char manifest[FS_HTTP_DIGEST_LEN + 1]; /* SHA-256 of the manifest blob */
  guint64 manifest_size;
  FsHttpEncoding encoding; /* where this entry's blobs (manifest included) are */
} FsHttpAcDocument;

/* The document (JSON, docs/format.md). */
GBytes *_fs_http_ac_document_format (const FsHttpAcDocument *doc,
                                     const char *namespace_,
                                     const char *name);
/* Parses a document defensively; it must name @namespace_ and @name. */
gboolean _fs_http_ac_document_parse (GBytes *data,
                                     const char *namespace_,
                                     const char *name,
                                     FsHttpAcDocument *out,
                                     GError **error);

/* GET BASE/ac/<key>: *out_document is NULL when the server has none (404). */
gboolean _fs_http_ac_get (FsHttp *http,
                          const char *key,
                          GBytes **out_document,
                          GCancellable *cancellable,
                          GError **error);
gboolean _fs_http_ac_put (FsHttp *http,
                          const char *key,
                          GBytes *document,
                          GCancellable *cancellable,
                          GError **error);

G_END_DECLS

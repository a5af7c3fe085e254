/* fs-http.c: the HTTP client of the remote tier (DESIGN §9)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The server: anything that answers GET, HEAD and PUT on paths under a base
 * URL and keeps what it is given (nginx or Apache with WebDAV, bazel-remote,
 * an object store with an HTTP front), in the layout of Bazel's HTTP remote
 * cache:
 *
 *   BASE/cas/<sha256>       a blob: the bytes whose SHA-256 is <sha256>
 *   BASE/cas.zst/<sha256>   the same bytes compressed with zstd (one or more
 *                           frames); <sha256> is still the digest of the
 *                           uncompressed bytes. Never under cas/, where Bazel
 *                           and other clients expect the bytes themselves.
 *   BASE/ac/<key>           a small JSON document naming an entry's manifest
 *                           (_fs_http_ac_document_format), the only object
 *                           that is ever replaced
 *
 * Every download is checked while it streams: size and SHA-256 of the
 * (uncompressed) bytes against what the caller expects. A difference, a
 * body cut short, a status other than 200, a timeout or a cancellation is an
 * error that names the URL and the reason; the caller discards what was
 * written. Uploads are hashed too (verify_uploads): a source that does not
 * match its digest makes the PUT fail before its last byte is sent, so the
 * server never stores a wrong blob under a digest. Every PUT has a
 * Content-Length (a zstd blob is compressed into a temporary file first;
 * see "PUT" below for why never chunked).
 *
 * Threads. libsoup 3.2's rules (docs: "Client thread safety"): a session is
 * configured in the thread that creates it, before any request; after that
 * only the calls that send messages may be made from other threads, and the
 * synchronous ones need no main context. So the session is created and
 * configured once in _fs_http_new() (with a private main context pushed as
 * the thread default, so that libsoup's idle-connection timers never land in
 * the application's main context), and every transfer is a blocking
 * soup_session_send() on the calling thread, which also does the hashing,
 * (de)compression and file I/O of that transfer. _fs_http_run() spreads
 * many transfers over `connections` worker threads, which share the
 * session's pool of kept-alive connections; the work of several transfers
 * then runs on several cores. bench/README.md compares this with async
 * calls on one thread.
 *
 * Timeouts. `timeout` seconds bound connecting and every wait for the next
 * bytes (libsoup's I/O timeout); `min_speed` bounds a trickle that never
 * quite stops: over each window of `timeout` seconds a transfer must move
 * at least min_speed × timeout bytes. A timeout is G_IO_ERROR_TIMED_OUT.
 *
 * Credentials are never in the URL (the URL is stored in cache.info, which
 * every user of a shared cache can read) and never logged. They come from,
 * in this order:
 *   1. FSCACHE_REMOTE_TOKEN: a bearer token ("Authorization: Bearer TOKEN");
 *   2. FSCACHE_REMOTE_USER and FSCACHE_REMOTE_PASSWORD: basic authentication;
 *   3. the file named by options->credentials_file, whose first line that
 *      is neither empty nor a comment (#) is one of
 *        bearer TOKEN
 *        basic USER:PASSWORD
 *        TOKEN                 (a file holding just a token)
 * and are sent with every request (no 401 round trip first). Redirects are
 * not followed (a redirect to another host would carry them there): a 3xx is
 * an error. Proxies come from the environment only (proxy_resolver_from_env).
 *
 * Restarts. libsoup sends a request again by itself when a kept-alive
 * connection turns out to be closed before any response (an idle connection
 * the server dropped). It forgets a streamed request body then, so each PUT
 * sets a fresh body stream (from offset 0) in its "restarted" handler.
 *
 * SHA-256 is OpenSSL's (libcrypto, with the CPU's SHA extensions), behind
 * the four sha256_* helpers below; fs-digest.c will replace them.
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <openssl/evp.h>
#include <zstd.h>

#include "fs-http-private.h"
#include "fs-meta-private.h"
#include "fs-util-private.h"

/* Buffer of one transfer's reads and writes. */
#define FS_HTTP_BUFFER_SIZE (256 * 1024)
/* How often _fs_http_run() reports progress. */
#define FS_HTTP_PROGRESS_INTERVAL_US (100 * 1000)

/* ---- SHA-256 ---------------------------------------------------------------------- */

typedef struct {
  EVP_MD_CTX *ctx;
} Sha256;

static void
sha256_init (Sha256 *sha)
{
  sha->ctx = EVP_MD_CTX_new ();
  if (sha->ctx == NULL || EVP_DigestInit_ex (sha->ctx, EVP_sha256 (), NULL) != 1)
    g_error ("libcrypto: cannot start a SHA-256");
}

static void
sha256_update (Sha256 *sha, const void *data, gsize len)
{
  if (len > 0 && EVP_DigestUpdate (sha->ctx, data, len) != 1)
    g_error ("libcrypto: SHA-256 update failed");
}

/* Finishes the digest into @out (hexadecimal) and frees the context. */
static void
sha256_finish_hex (Sha256 *sha, char out[FS_HTTP_DIGEST_LEN + 1])
{
  static const char hex[] = "0123456789abcdef";
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;

  if (EVP_DigestFinal_ex (sha->ctx, md, &len) != 1 || len != 32)
    g_error ("libcrypto: SHA-256 final failed");
  for (guint i = 0; i < 32; i++)
    {
      out[2 * i] = hex[md[i] >> 4];
      out[2 * i + 1] = hex[md[i] & 0xf];
    }
  out[FS_HTTP_DIGEST_LEN] = '\0';
  EVP_MD_CTX_free (sha->ctx);
  sha->ctx = NULL;
}

static void
sha256_clear (Sha256 *sha)
{
  if (sha->ctx != NULL)
    EVP_MD_CTX_free (sha->ctx);
  sha->ctx = NULL;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Sha256, sha256_clear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZSTD_DCtx, ZSTD_freeDCtx)

/* ---- the client ------------------------------------------------------------------- */

struct _FsHttp {
  SoupSession *session;
  GMainContext *context; /* thread default while the session was created */
  char *base;            /* ends in '/' */
  char *authorization;   /* the Authorization header's value, or NULL */
  char *tmp_dir;         /* NULL: g_get_tmp_dir () */
  FsHttpOptions options; /* its strings are not kept */
  guint restarts;        /* atomic */
};

void
_fs_http_options_init (FsHttpOptions *options)
{
  memset (options, 0, sizeof *options);
  options->connections = FS_HTTP_DEFAULT_CONNECTIONS;
  options->timeout = FS_HTTP_DEFAULT_TIMEOUT;
  options->min_speed = FS_HTTP_DEFAULT_MIN_SPEED;
  options->upload_encoding = FS_HTTP_ENCODING_PLAIN;
  options->zstd_level = FS_HTTP_DEFAULT_ZSTD_LEVEL;
  options->verify_uploads = TRUE;
}

gboolean
_fs_http_digest_is_valid (const char *digest)
{
  if (digest == NULL)
    return FALSE;
  for (guint i = 0; i < FS_HTTP_DIGEST_LEN; i++)
    if (!((digest[i] >= '0' && digest[i] <= '9') || (digest[i] >= 'a' && digest[i] <= 'f')))
      return FALSE;
  return digest[FS_HTTP_DIGEST_LEN] == '\0';
}

/* A bearer token: visible ASCII, no spaces (nothing that could end or
 * split a header). */
static gboolean
token_is_valid (const char *token)
{
  if (*token == '\0')
    return FALSE;
  for (const char *p = token; *p != '\0'; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f)
      return FALSE;
  return TRUE;
}

static gboolean
text_has_control (const char *s)
{
  for (const char *p = s; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || (guchar) *p == 0x7f)
      return TRUE;
  return FALSE;
}

static char *
basic_header (const char *user, const char *password)
{
  g_autofree char *pair = g_strconcat (user, ":", password, NULL);
  g_autofree char *b64 = g_base64_encode ((const guchar *) pair, strlen (pair));
  char *header = g_strconcat ("Basic ", b64, NULL);

  explicit_bzero (pair, strlen (pair));
  explicit_bzero (b64, strlen (b64));
  return header;
}

/* The credentials of @path as an Authorization header value. The messages
 * name the file and the line, never its content. */
static gboolean
read_credentials_file (const char *path, char **out_header, GError **error)
{
  g_autofree char *data = NULL;
  fs_autofd fd = -1;
  gsize len = 0;
  int errsv = 0;
  char *line;
  char *saveptr = NULL;
  guint lineno = 0;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return _fs_throw_errno (error, errno, _ ("Cannot read the credentials file %s"), path);
  if (!_fs_read_small_fd (fd, &data, &len, &errsv))
    {
      if (errsv == EFBIG)
        return _fs_throw_errno (error, errsv, _ ("Credentials file %s is too large"), path);
      return _fs_throw_errno (error, errsv, _ ("Cannot read the credentials file %s"), path);
    }
  if (memchr (data, '\0', len) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("Credentials file %s is not text"), path);
      return FALSE;
    }

  for (line = strtok_r (data, "\n", &saveptr); line != NULL; line = strtok_r (NULL, "\n", &saveptr))
    {
      char *s = g_strstrip (line);
      lineno++;
      if (*s == '\0' || *s == '#')
        continue;
      if (g_str_has_prefix (s, "bearer ") || g_str_has_prefix (s, "bearer\t"))
        {
          char *token = g_strchug (s + 7);
          if (!token_is_valid (token))
            break;
          *out_header = g_strconcat ("Bearer ", token, NULL);
        }
      else if (g_str_has_prefix (s, "basic ") || g_str_has_prefix (s, "basic\t"))
        {
          char *pair = g_strchug (s + 6);
          char *colon = strchr (pair, ':');
          if (colon == NULL || colon == pair || text_has_control (pair))
            break;
          *colon = '\0';
          *out_header = basic_header (pair, colon + 1);
        }
      else if (token_is_valid (s) && strcmp (s, "bearer") != 0 && strcmp (s, "basic") != 0)
        *out_header = g_strconcat ("Bearer ", s, NULL);
      else
        break;
      explicit_bzero (data, len);
      return TRUE;
    }
  explicit_bzero (data, len);
  if (line == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 _ ("Credentials file %s holds no credentials"), path);
  else
    g_set_error (
      error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      _ ("Credentials file %s, line %u: expected “bearer TOKEN” or “basic USER:PASSWORD”"), path,
      lineno);
  return FALSE;
}

static gboolean
find_credentials (const FsHttpOptions *options, char **out_header, GError **error)
{
  const char *token = g_getenv ("FSCACHE_REMOTE_TOKEN");
  const char *user = g_getenv ("FSCACHE_REMOTE_USER");

  *out_header = NULL;
  if (token != NULL && *token != '\0')
    {
      if (!token_is_valid (token))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _ ("FSCACHE_REMOTE_TOKEN holds characters a token cannot have"));
          return FALSE;
        }
      *out_header = g_strconcat ("Bearer ", token, NULL);
      return TRUE;
    }
  if (user != NULL && *user != '\0')
    {
      const char *password = g_getenv ("FSCACHE_REMOTE_PASSWORD");
      if (password == NULL)
        password = "";
      if (strchr (user, ':') != NULL || text_has_control (user) || text_has_control (password))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _ ("FSCACHE_REMOTE_USER or FSCACHE_REMOTE_PASSWORD holds characters "
                                  "they cannot have"));
          return FALSE;
        }
      *out_header = basic_header (user, password);
      return TRUE;
    }
  if (options->credentials_file != NULL && *options->credentials_file != '\0')
    return read_credentials_file (options->credentials_file, out_header, error);
  return TRUE;
}

/* Proxies as curl and Bazel take them: from the environment only
 * (https_proxy or HTTPS_PROXY for https, http_proxy for http, then
 * all_proxy or ALL_PROXY; no_proxy or NO_PROXY lists the hosts to reach
 * directly), never from desktop settings: GIO's default resolver loads
 * libproxy and GSettings into the process and asks them for every new
 * connection. NULL: connect directly. */
static GProxyResolver *
proxy_resolver_from_env (const char *base)
{
  gboolean https = g_ascii_strncasecmp (base, "https:", 6) == 0;
  const char *proxy = https ? g_getenv ("https_proxy") : g_getenv ("http_proxy");
  const char *no_proxy = g_getenv ("no_proxy");
  g_auto (GStrv) ignore = NULL;

  if ((proxy == NULL || *proxy == '\0') && https)
    proxy = g_getenv ("HTTPS_PROXY");
  /* Not HTTP_PROXY: a CGI program gets it from a request's "Proxy:" header. */
  if (proxy == NULL || *proxy == '\0')
    proxy = g_getenv ("all_proxy");
  if (proxy == NULL || *proxy == '\0')
    proxy = g_getenv ("ALL_PROXY");
  if (proxy == NULL || *proxy == '\0')
    return NULL;
  if (no_proxy == NULL)
    no_proxy = g_getenv ("NO_PROXY");
  if (no_proxy != NULL)
    {
      ignore = g_strsplit (no_proxy, ",", 0);
      for (guint i = 0; ignore[i] != NULL; i++)
        {
          char *h = g_strstrip (ignore[i]);
          /* curl's ".example.org" is GIO's "*.example.org". */
          if (h[0] == '.')
            {
              char *star = g_strconcat ("*", h, NULL);
              g_free (ignore[i]);
              ignore[i] = star;
            }
        }
    }
  return g_simple_proxy_resolver_new (proxy, ignore);
}

/* The base URL with a trailing '/', or NULL and an error. */
static char *
check_url (const char *url, GError **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *scheme;

  if (url == NULL || *url == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _ ("No remote URL is set"));
      return NULL;
    }
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("Invalid remote URL “%s”: %s"), url, local_error->message);
      return NULL;
    }
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("Invalid remote URL “%s”: only http and https are supported"), url);
      return NULL;
    }
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("Invalid remote URL “%s”: no host"), url);
      return NULL;
    }
  if (g_uri_get_userinfo (uri) != NULL)
    {
      /* Not even the URL in the message: it holds the password. */
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _ ("The remote URL must not hold a user name or password: set "
                              "FSCACHE_REMOTE_TOKEN, FSCACHE_REMOTE_USER and "
                              "FSCACHE_REMOTE_PASSWORD, or a credentials file"));
      return NULL;
    }
  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("Invalid remote URL “%s”: no query or fragment allowed"), url);
      return NULL;
    }
  if (g_str_has_suffix (url, "/"))
    return g_strdup (url);
  return g_strconcat (url, "/", NULL);
}

FsHttp *
_fs_http_new (const FsHttpOptions *options, GError **error)
{
  g_autofree char *base = NULL;
  g_autofree char *authorization = NULL;
  g_autofree char *user_agent = NULL;
  FsHttp *http;

  _fs_i18n_init ();

  base = check_url (options->url, error);
  if (base == NULL)
    return NULL;
  if (options->connections < 1 || options->connections > FS_HTTP_MAX_CONNECTIONS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("Remote connections must be between 1 and %u, not %u"),
                   FS_HTTP_MAX_CONNECTIONS, options->connections);
      return NULL;
    }
  if (options->timeout < 1)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _ ("The remote timeout must be at least one second"));
      return NULL;
    }
  if (options->zstd_level < ZSTD_minCLevel () || options->zstd_level > ZSTD_maxCLevel ())
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("The zstd level must be between %d and %d"), ZSTD_minCLevel (),
                   ZSTD_maxCLevel ());
      return NULL;
    }
  if (!find_credentials (options, &authorization, error))
    return NULL;

  http = g_new0 (FsHttp, 1);
  http->base = g_steal_pointer (&base);
  http->authorization = g_steal_pointer (&authorization);
  http->options = *options;
  http->tmp_dir = g_strdup (options->tmp_dir);
  http->options.url = NULL;
  http->options.credentials_file = NULL;
  http->options.tmp_dir = NULL;

  /* Created and configured under a private thread-default context: the
   * session keeps it, and so do the timers of its idle connections. */
  user_agent = g_strdup_printf ("libfscache/%s", PACKAGE_VERSION);
  http->context = g_main_context_new ();
  g_main_context_push_thread_default (http->context);
  http->session = soup_session_new_with_options ("max-conns", (int) options->connections,
                                                 "max-conns-per-host", (int) options->connections,
                                                 "timeout", options->timeout, "idle-timeout",
                                                 options->timeout, "user-agent", user_agent, NULL);
  /* Ask for the bytes as stored (no Accept-Encoding: the sizes and digests
   * are of those), and answer a 401 with an error instead of a prompt. */
  soup_session_remove_feature_by_type (http->session, SOUP_TYPE_CONTENT_DECODER);
  soup_session_remove_feature_by_type (http->session, SOUP_TYPE_AUTH_MANAGER);
  {
    g_autoptr (GProxyResolver) proxy = proxy_resolver_from_env (http->base);
    soup_session_set_proxy_resolver (http->session, proxy);
  }
  g_main_context_pop_thread_default (http->context);

  g_debug ("remote %s: %u connections, timeout %u s, minimum %" G_GUINT64_FORMAT " B/s%s",
           http->base, options->connections, options->timeout, options->min_speed,
           http->authorization != NULL ? ", with credentials" : "");
  return http;
}

void
_fs_http_free (FsHttp *http)
{
  if (http == NULL)
    return;
  g_main_context_push_thread_default (http->context);
  soup_session_abort (http->session);
  g_clear_object (&http->session);
  g_main_context_pop_thread_default (http->context);
  g_main_context_unref (http->context);
  if (http->authorization != NULL)
    explicit_bzero (http->authorization, strlen (http->authorization));
  g_free (http->authorization);
  g_free (http->base);
  g_free (http->tmp_dir);
  g_free (http);
}

const char *
_fs_http_get_url (FsHttp *http)
{
  return http->base;
}

guint
_fs_http_get_restart_count (FsHttp *http)
{
  return (guint) g_atomic_int_get (&http->restarts);
}

static const char *
encoding_prefix (FsHttpEncoding encoding)
{
  switch (encoding)
    {
    case FS_HTTP_ENCODING_PLAIN:
      return "cas/";
    case FS_HTTP_ENCODING_ZSTD:
      return "cas.zst/";
    default:
      g_assert_not_reached ();
    }
}

static char *
blob_url (FsHttp *http, FsHttpEncoding encoding, const char *digest)
{
  return g_strconcat (http->base, encoding_prefix (encoding), digest, NULL);
}

static SoupMessage *
message_new (FsHttp *http, const char *method, const char *url)
{
  SoupMessage *msg = soup_message_new (method, url);

  g_assert (msg != NULL); /* built from a checked base and a hexadecimal name */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  if (http->authorization != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  http->authorization);
  return msg;
}

/* An error for an HTTP status we did not want. */
static gboolean
throw_status (GError **error, const char *method, const char *url, SoupMessage *msg)
{
  guint status = soup_message_get_status (msg);
  const char *reason = soup_message_get_reason_phrase (msg);
  GIOErrorEnum code = G_IO_ERROR_FAILED;

  if (reason == NULL || *reason == '\0')
    reason = soup_status_get_phrase (status);
  if (reason == NULL)
    reason = "";
  if (status == SOUP_STATUS_NOT_FOUND)
    code = G_IO_ERROR_NOT_FOUND;
  else if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    code = G_IO_ERROR_PERMISSION_DENIED;
  else if (status == SOUP_STATUS_REQUEST_TIMEOUT || status == SOUP_STATUS_GATEWAY_TIMEOUT)
    code = G_IO_ERROR_TIMED_OUT;

  if (code == G_IO_ERROR_PERMISSION_DENIED)
    g_set_error (error, G_IO_ERROR, code, _ ("%s %s: HTTP %u %s (check the remote credentials)"),
                 method, url, status, reason);
  else
    g_set_error (error, G_IO_ERROR, code, _ ("%s %s: HTTP %u %s"), method, url, status, reason);
  return FALSE;
}

/* Prefixes an error of libsoup or GIO with the request. */
static gboolean
throw_prefixed (GError **error, GError *local_error, const char *method, const char *url)
{
  g_propagate_prefixed_error (error, local_error, "%s %s: ", method, url);
  return FALSE;
}

/* ---- progress and the minimum speed ----------------------------------------------- */

typedef struct {
  guint timeout;
  guint64 min_speed;
  gint64 window_start;
  guint64 window_bytes;
  guint64 *progress; /* atomic counter of _fs_http_run, or NULL */
} Meter;

static void
meter_init (Meter *meter, FsHttp *http, guint64 *progress)
{
  meter->timeout = http->options.timeout;
  meter->min_speed = http->options.min_speed;
  meter->window_start = g_get_monotonic_time ();
  meter->window_bytes = 0;
  meter->progress = progress;
}

/* Counts @n bytes; fails when the last window of `timeout` seconds moved
 * fewer than min_speed bytes per second. */
static gboolean
meter_add (Meter *meter, gsize n, const char *method, const char *url, GError **error)
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

/* ---- a blob as a request body ----------------------------------------------------- */

/* A GInputStream over @size bytes of a file descriptor (pread from offset
 * 0), optionally hashed and checked against a digest before its last bytes
 * are handed out, optionally compressed with zstd. Only the blocking read is
 * implemented: libsoup splices a synchronous message's body with blocking
 * reads. */
#define FS_TYPE_HTTP_BODY_STREAM (fs_http_body_stream_get_type ())
G_DECLARE_FINAL_TYPE (FsHttpBodyStream, fs_http_body_stream, FS, HTTP_BODY_STREAM, GInputStream)

struct _FsHttpBodyStream {
  GInputStream parent_instance;

  int fd; /* borrowed */
  guint64 size;
  guint64 offset; /* source bytes read */
  const char *url;
  const char *digest; /* NULL: no check */
  Sha256 sha;
  ZSTD_CCtx *cctx; /* NULL: plain */
  Meter *meter;

  guint8 *src; /* source bytes (plain: also what is handed out) */
  gsize src_size, src_len, src_pos;
  guint8 *out; /* zstd: compressed bytes to hand out */
  gsize out_size, out_len, out_pos;
  gboolean src_done; /* all @size bytes read (and checked) */
  gboolean finished; /* nothing more to hand out */
  guint64 sent;      /* bytes handed out */
  GError *error;     /* the first error it returned (libsoup wraps errors) */
};

G_DEFINE_FINAL_TYPE (FsHttpBodyStream, fs_http_body_stream, G_TYPE_INPUT_STREAM)

/* Reads the next source block; checks the digest with the last one. */
static gboolean
body_stream_read_source (FsHttpBodyStream *self, GError **error)
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
  if (self->digest != NULL)
    sha256_update (&self->sha, self->src, (gsize) n);
  if (self->offset == self->size)
    {
      self->src_done = TRUE;
      if (self->digest != NULL)
        {
          char got[FS_HTTP_DIGEST_LEN + 1];
          sha256_finish_hex (&self->sha, got);
          if (strcmp (got, self->digest) != 0)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _ ("PUT %s: the source does not match its digest (its SHA-256 is %s)"),
                           self->url, got);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* zstd: fills self->out with the next compressed bytes. */
static gboolean
body_stream_compress (FsHttpBodyStream *self, GError **error)
{
  self->out_len = self->out_pos = 0;
  while (self->out_len == 0 && !self->finished)
    {
      ZSTD_inBuffer in;
      ZSTD_outBuffer out = { self->out, self->out_size, 0 };
      ZSTD_EndDirective mode;
      size_t ret;

      if (self->src_pos == self->src_len && !self->src_done)
        if (!body_stream_read_source (self, error))
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
body_stream_read (FsHttpBodyStream *self,
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
          if (!body_stream_read_source (self, error))
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
          if (!body_stream_compress (self, error))
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
  if (self->meter != NULL && !meter_add (self->meter, count, "PUT", self->url, error))
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
  gssize n = body_stream_read (self, buffer, count, cancellable, &local_error);

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

  sha256_clear (&self->sha);
  g_clear_error (&self->error);
  ZSTD_freeCCtx (self->cctx);
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

static GInputStream *
body_stream_new (FsHttp *http,
                 FsHttpEncoding encoding,
                 int fd,
                 guint64 size,
                 const char *url,
                 const char *digest,
                 Meter *meter,
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
      self->digest = digest;
      sha256_init (&self->sha);
      if (size == 0)
        {
          char got[FS_HTTP_DIGEST_LEN + 1];
          sha256_finish_hex (&self->sha, got);
          if (strcmp (got, digest) != 0)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _ ("PUT %s: the source does not match its digest (its SHA-256 is %s)"),
                           url, got);
              return NULL;
            }
        }
    }
  if (encoding == FS_HTTP_ENCODING_ZSTD)
    {
      self->cctx = ZSTD_createCCtx ();
      if (self->cctx == NULL)
        g_error ("zstd: out of memory");
      ZSTD_CCtx_setParameter (self->cctx, ZSTD_c_compressionLevel, http->options.zstd_level);
      ZSTD_CCtx_setParameter (self->cctx, ZSTD_c_checksumFlag, 0);
      ZSTD_CCtx_setPledgedSrcSize (self->cctx, size);
      self->out_size = ZSTD_CStreamOutSize ();
      self->out = g_malloc (self->out_size);
    }
  else
    self->finished = size == 0;
  return G_INPUT_STREAM (g_steal_pointer (&self));
}

/* ---- PUT -------------------------------------------------------------------------- */

/* Every PUT carries a Content-Length. A body cut short by an error (a
 * source that does not match its digest, a cancellation) then ends with
 * the connection, which libsoup does not reuse after an error, and the
 * server keeps nothing. With chunked encoding libsoup would still end the
 * body properly when it drops the stream (GOutputStream closes itself on
 * dispose and writes the last chunk), and the server would store a
 * truncated blob: so a zstd blob is compressed into a temporary file first
 * (which also checks its digest before anything is sent), then sent. */

typedef struct {
  FsHttp *http;
  int fd;
  guint64 size;
  const char *url;
  const char *digest; /* NULL: not checked */
  Meter *meter;
  GBytes *bytes;      /* a body from memory instead of @fd */
  GInputStream *body; /* the current one */
  GError *error;      /* from making a body again */
} PutBody;

static gboolean
put_body_set (PutBody *pb, SoupMessage *msg, GError **error)
{
  if (pb->bytes != NULL)
    {
      soup_message_set_request_body_from_bytes (msg, "application/json", pb->bytes);
      return TRUE;
    }
  g_clear_object (&pb->body);
  pb->body = body_stream_new (pb->http, FS_HTTP_ENCODING_PLAIN, pb->fd, pb->size, pb->url,
                              pb->digest, pb->meter, error);
  if (pb->body == NULL)
    return FALSE;
  soup_message_set_request_body (msg, "application/octet-stream", pb->body, (gssize) pb->size);
  return TRUE;
}

static void
put_restarted_cb (SoupMessage *msg, gpointer user_data)
{
  PutBody *pb = user_data;

  g_atomic_int_inc (&pb->http->restarts);
  g_debug ("PUT %s: restarted; setting its body again", pb->url);
  if (pb->error == NULL)
    put_body_set (pb, msg, &pb->error);
}

static gboolean
put_stream (FsHttp *http,
            const char *url,
            SoupMessage *msg,
            PutBody *pb,
            GCancellable *cancellable,
            GError **error)
{
  g_autoptr (GInputStream) response = NULL;
  g_autoptr (GError) local_error = NULL;
  guint status;
  gulong handler;

  handler = g_signal_connect (msg, "restarted", G_CALLBACK (put_restarted_cb), pb);
  response = soup_session_send (http->session, msg, cancellable, &local_error);
  g_signal_handler_disconnect (msg, handler);
  if (pb->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&pb->error));
      return FALSE;
    }
  if (response == NULL)
    {
      /* Our own error rather than libsoup's copy of it. */
      if (pb->body != NULL && FS_HTTP_BODY_STREAM (pb->body)->error != NULL)
        {
          g_propagate_error (error, g_error_copy (FS_HTTP_BODY_STREAM (pb->body)->error));
          return FALSE;
        }
      return throw_prefixed (error, g_steal_pointer (&local_error), "PUT", url);
    }
  /* The answer to a PUT is a few bytes at most; read them so that the
   * connection can be used again. */
  if (!g_input_stream_skip (response, 64 * 1024, cancellable, &local_error) ||
      !g_input_stream_close (response, cancellable, &local_error))
    {
      if (local_error != NULL)
        return throw_prefixed (error, g_steal_pointer (&local_error), "PUT", url);
    }
  status = soup_message_get_status (msg);
  if (status != SOUP_STATUS_OK && status != SOUP_STATUS_CREATED && status != SOUP_STATUS_NO_CONTENT)
    return throw_status (error, "PUT", url, msg);
  return TRUE;
}

/* An unnamed file in the temporary folder, read and written by us only. */
static int
open_tmpfile (FsHttp *http, GError **error)
{
  const char *dir = http->tmp_dir != NULL ? http->tmp_dir : g_get_tmp_dir ();
  g_autofree char *template = NULL;
  int fd;

  fd = open (dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0)
    return fd;
  /* A file system without O_TMPFILE: a named file, unlinked at once. */
  template = g_build_filename (dir, "fscache-upload-XXXXXX", NULL);
  fd = g_mkstemp_full (template, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return _fs_throw_errno (error, errno, _ ("Cannot create a temporary file in %s"), dir), -1;
  unlink (template);
  return fd;
}

/* Compresses the @size bytes of @fd into a temporary file, checking their
 * digest; returns the file (at offset 0) and its size. */
static int
compress_to_tmpfile (FsHttp *http,
                     int fd,
                     guint64 size,
                     const char *url,
                     const char *digest,
                     guint64 *out_size,
                     GCancellable *cancellable,
                     GError **error)
{
  g_autoptr (GInputStream) z = NULL;
  g_autofree guint8 *buf = NULL;
  fs_autofd tmp = -1;
  guint64 written = 0;

  z = body_stream_new (http, FS_HTTP_ENCODING_ZSTD, fd, size, url, digest, NULL, error);
  if (z == NULL)
    return -1;
  tmp = open_tmpfile (http, error);
  if (tmp < 0)
    return -1;
  buf = g_malloc (FS_HTTP_BUFFER_SIZE);
  for (;;)
    {
      gssize n = g_input_stream_read (z, buf, FS_HTTP_BUFFER_SIZE, cancellable, error);
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      if (!_fs_write_all (tmp, buf, (gsize) n, (off_t) written))
        return _fs_throw_errno (error, errno, "PUT %s: %s", url,
                                _ ("Cannot write a temporary file")),
               -1;
      written += (guint64) n;
    }
  *out_size = written;
  return _fs_steal_fd (&tmp);
}

static gboolean
blob_put (FsHttp *http,
          FsHttpEncoding encoding,
          const char *digest,
          guint64 size,
          int fd,
          guint64 *progress,
          guint64 *out_wire_bytes,
          GCancellable *cancellable,
          GError **error)
{
  g_autofree char *url = blob_url (http, encoding, digest);
  g_autoptr (SoupMessage) msg = NULL;
  fs_autofd compressed = -1;
  struct stat st;
  Meter meter;
  PutBody pb = { 0 };
  gboolean ok;

  if (fstat (fd, &st) < 0)
    return _fs_throw_errno (error, errno, "PUT %s: %s", url, _ ("Cannot read the blob"));
  if (!S_ISREG (st.st_mode) || (guint64) st.st_size != size)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("PUT %s: the source has %" G_GUINT64_FORMAT " bytes, not %" G_GUINT64_FORMAT),
                   url, (guint64) st.st_size, size);
      return FALSE;
    }

  pb.http = http;
  pb.url = url;
  pb.meter = &meter;
  if (encoding == FS_HTTP_ENCODING_ZSTD)
    {
      compressed =
        compress_to_tmpfile (http, fd, size, url, http->options.verify_uploads ? digest : NULL,
                             &pb.size, cancellable, error);
      if (compressed < 0)
        return FALSE;
      pb.fd = compressed;
    }
  else
    {
      pb.fd = fd;
      pb.size = size;
      pb.digest = http->options.verify_uploads ? digest : NULL;
    }

  meter_init (&meter, http, progress);
  msg = message_new (http, SOUP_METHOD_PUT, url);
  if (!put_body_set (&pb, msg, error))
    return FALSE;
  ok = put_stream (http, url, msg, &pb, cancellable, error);
  if (ok && out_wire_bytes != NULL)
    *out_wire_bytes = FS_HTTP_BODY_STREAM (pb.body)->sent;
  g_clear_object (&pb.body);
  g_debug ("PUT %s: %s", url, ok ? "done" : "failed");
  return ok;
}

gboolean
_fs_http_blob_put (FsHttp *http,
                   FsHttpEncoding encoding,
                   const char *digest,
                   guint64 size,
                   int fd,
                   guint64 *out_wire_bytes,
                   GCancellable *cancellable,
                   GError **error)
{
  g_return_val_if_fail (_fs_http_digest_is_valid (digest), FALSE);
  return blob_put (http, encoding, digest, size, fd, NULL, out_wire_bytes, cancellable, error);
}

/* ---- HEAD ------------------------------------------------------------------------- */

static gboolean
blob_exists (FsHttp *http,
             FsHttpEncoding encoding,
             const char *digest,
             guint64 size,
             gboolean *out_exists,
             GCancellable *cancellable,
             GError **error)
{
  g_autofree char *url = blob_url (http, encoding, digest);
  g_autoptr (SoupMessage) msg = message_new (http, SOUP_METHOD_HEAD, url);
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GBytes) nothing = NULL; /* the body of a HEAD: empty */
  SoupMessageHeaders *headers;
  guint status;

  nothing = soup_session_send_and_read (http->session, msg, cancellable, &local_error);
  if (nothing == NULL)
    return throw_prefixed (error, g_steal_pointer (&local_error), "HEAD", url);
  status = soup_message_get_status (msg);
  if (status == SOUP_STATUS_NOT_FOUND)
    {
      *out_exists = FALSE;
      return TRUE;
    }
  if (status != SOUP_STATUS_OK)
    return throw_status (error, "HEAD", url, msg);
  headers = soup_message_get_response_headers (msg);
  *out_exists = TRUE;
  if (encoding == FS_HTTP_ENCODING_PLAIN && size != G_MAXUINT64 &&
      soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) soup_message_headers_get_content_length (headers) != size)
    {
      /* A truncated or wrong blob: send ours over it. */
      g_debug ("HEAD %s: %" G_GINT64_FORMAT " bytes, not %" G_GUINT64_FORMAT "; counted as missing",
               url, soup_message_headers_get_content_length (headers), size);
      *out_exists = FALSE;
    }
  return TRUE;
}

gboolean
_fs_http_blob_exists (FsHttp *http,
                      FsHttpEncoding encoding,
                      const char *digest,
                      guint64 size,
                      gboolean *out_exists,
                      GCancellable *cancellable,
                      GError **error)
{
  g_return_val_if_fail (_fs_http_digest_is_valid (digest), FALSE);
  return blob_exists (http, encoding, digest, size, out_exists, cancellable, error);
}

/* ---- GET -------------------------------------------------------------------------- */

typedef struct {
  int fd;
  guint64 size;    /* expected */
  guint64 written; /* uncompressed bytes so far */
  const char *url;
  Sha256 *sha;
} Sink;

/* Hashes and writes @len uncompressed bytes. */
static gboolean
sink_write (Sink *sink, const guint8 *data, gsize len, GError **error)
{
  if (len > sink->size - sink->written)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("GET %s: the blob is longer than the expected %" G_GUINT64_FORMAT " bytes"),
                   sink->url, sink->size);
      return FALSE;
    }
  sha256_update (sink->sha, data, len);
  while (len > 0)
    {
      gssize n = pwrite (sink->fd, data, len, (off_t) sink->written);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return _fs_throw_errno (error, errno, "GET %s: %s", sink->url,
                                  _ ("Cannot write the blob"));
        }
      data += n;
      len -= (gsize) n;
      sink->written += (guint64) n;
    }
  return TRUE;
}

/* Reads the body to its end into @sink, decompressing a zstd blob; the
 * bytes received are counted in @out_wire. */
static gboolean
read_body (GInputStream *body,
           FsHttpEncoding encoding,
           Sink *sink,
           Meter *meter,
           guint64 *out_wire,
           GCancellable *cancellable,
           GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (ZSTD_DCtx) dctx = NULL;
  g_autofree guint8 *buf = NULL;
  g_autofree guint8 *zbuf = NULL;
  gsize buf_size = FS_HTTP_BUFFER_SIZE;
  gsize zbuf_size = 0;
  size_t zret = 0;

  *out_wire = 0;
  /* A plain blob needs no more than its size (and one byte to see that
   * nothing follows). */
  if (encoding == FS_HTTP_ENCODING_PLAIN)
    buf_size = (gsize) CLAMP (sink->size + 1, 4096, FS_HTTP_BUFFER_SIZE);
  buf = g_malloc (buf_size);
  if (encoding == FS_HTTP_ENCODING_ZSTD)
    {
      dctx = ZSTD_createDCtx ();
      if (dctx == NULL)
        g_error ("zstd: out of memory");
      zbuf_size = ZSTD_DStreamOutSize ();
      zbuf = g_malloc (zbuf_size);
    }

  for (;;)
    {
      gssize n = g_input_stream_read (body, buf, buf_size, cancellable, &local_error);
      ZSTD_inBuffer in = { buf, 0, 0 };

      if (n < 0)
        return throw_prefixed (error, g_steal_pointer (&local_error), "GET", sink->url);
      if (n == 0)
        break;
      *out_wire += (guint64) n;
      if (!meter_add (meter, (gsize) n, "GET", sink->url, error))
        return FALSE;
      if (dctx == NULL)
        {
          if (!sink_write (sink, buf, (gsize) n, error))
            return FALSE;
          continue;
        }
      in.size = (size_t) n;
      while (in.pos < in.size)
        {
          ZSTD_outBuffer out = { zbuf, zbuf_size, 0 };
          zret = ZSTD_decompressStream (dctx, &out, &in);
          if (ZSTD_isError (zret))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _ ("GET %s: not a valid zstd stream: %s"), sink->url,
                           ZSTD_getErrorName (zret));
              return FALSE;
            }
          if (!sink_write (sink, zbuf, out.pos, error))
            return FALSE;
        }
    }

  if (dctx != NULL && *out_wire == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("GET %s: the zstd stream is empty"), sink->url);
      return FALSE;
    }
  if (dctx != NULL && zret != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("GET %s: the zstd stream is cut short"), sink->url);
      return FALSE;
    }
  return TRUE;
}

static gboolean
blob_get (FsHttp *http,
          FsHttpEncoding encoding,
          const char *digest,
          guint64 size,
          int fd,
          guint64 *progress,
          guint64 *out_wire_bytes,
          GCancellable *cancellable,
          GError **error)
{
  g_autofree char *url = blob_url (http, encoding, digest);
  g_autoptr (SoupMessage) msg = message_new (http, SOUP_METHOD_GET, url);
  /* Dropped unfinished, it is closed and its connection not reused. */
  g_autoptr (GInputStream) body = NULL;
  g_autoptr (GError) local_error = NULL;
  g_auto (Sha256) sha = { NULL };
  SoupMessageHeaders *headers;
  Sink sink = { fd, size, 0, url, &sha };
  char got[FS_HTTP_DIGEST_LEN + 1];
  guint64 wire = 0;
  Meter meter;

  body = soup_session_send (http->session, msg, cancellable, &local_error);
  if (body == NULL)
    return throw_prefixed (error, g_steal_pointer (&local_error), "GET", url);
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    return throw_status (error, "GET", url, msg);
  headers = soup_message_get_response_headers (msg);
  if (encoding == FS_HTTP_ENCODING_PLAIN &&
      soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) soup_message_headers_get_content_length (headers) != size)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("GET %s: the server has %" G_GINT64_FORMAT
                      " bytes, expected %" G_GUINT64_FORMAT),
                   url, soup_message_headers_get_content_length (headers), size);
      return FALSE;
    }

  meter_init (&meter, http, progress);
  sha256_init (&sha);
  if (!read_body (body, encoding, &sink, &meter, &wire, cancellable, error))
    {
      g_debug ("GET %s: failed", url);
      return FALSE;
    }
  if (sink.written != size)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("GET %s: the blob ended after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                      " bytes"),
                   url, sink.written, size);
      return FALSE;
    }
  sha256_finish_hex (&sha, got);
  if (strcmp (got, digest) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("GET %s: the blob does not match its digest (its SHA-256 is %s)"), url, got);
      return FALSE;
    }
  /* Closed at the end of the body: the connection goes back to the pool. */
  if (!g_input_stream_close (body, cancellable, &local_error))
    return throw_prefixed (error, g_steal_pointer (&local_error), "GET", url);
  if (out_wire_bytes != NULL)
    *out_wire_bytes = wire;
  g_debug ("GET %s: verified", url);
  return TRUE;
}

gboolean
_fs_http_blob_get (FsHttp *http,
                   FsHttpEncoding encoding,
                   const char *digest,
                   guint64 size,
                   int fd,
                   guint64 *out_wire_bytes,
                   GCancellable *cancellable,
                   GError **error)
{
  g_return_val_if_fail (_fs_http_digest_is_valid (digest), FALSE);
  return blob_get (http, encoding, digest, size, fd, NULL, out_wire_bytes, cancellable, error);
}

/* ---- many at once ----------------------------------------------------------------- */

void
_fs_http_transfer_clear (FsHttpTransfer *transfer)
{
  g_clear_error (&transfer->error);
}

typedef struct {
  FsHttp *http;
  FsHttpTransfer *transfers;
  guint n_transfers;
  gboolean keep_going;
  GCancellable *stop; /* cancelled by the caller's cancellable or a failure */
  gint next;          /* atomic: the next transfer to start */
  guint64 bytes;      /* atomic: body bytes moved */

  GMutex mutex; /* protects what follows */
  GCond cond;
  guint n_done;
  guint n_workers;
  GError *first_error; /* the first failure that is not a cancellation */
} Run;

static void
run_one (Run *run, FsHttpTransfer *t)
{
  FsHttp *http = run->http;
  GError **error = &t->error;

  if (!_fs_http_digest_is_valid (t->digest))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _ ("Invalid blob digest “%s”"),
                   t->digest);
      return;
    }
  if (g_cancellable_set_error_if_cancelled (run->stop, error))
    return;
  switch (t->op)
    {
    case FS_HTTP_OP_EXISTS:
      blob_exists (http, t->encoding, t->digest, t->size, &t->exists, run->stop, error);
      break;
    case FS_HTTP_OP_GET:
      blob_get (http, t->encoding, t->digest, t->size, t->fd, &run->bytes, &t->wire_bytes,
                run->stop, error);
      break;
    case FS_HTTP_OP_UPLOAD:
      if (!blob_exists (http, t->encoding, t->digest, t->size, &t->exists, run->stop, error))
        break;
      if (t->exists)
        break;
      G_GNUC_FALLTHROUGH;
    case FS_HTTP_OP_PUT:
      blob_put (http, t->encoding, t->digest, t->size, t->fd, &run->bytes, &t->wire_bytes,
                run->stop, error);
      break;
    default:
      g_assert_not_reached ();
    }
}

static gpointer
run_worker (gpointer data)
{
  Run *run = data;

  for (;;)
    {
      gint i = g_atomic_int_add (&run->next, 1);
      FsHttpTransfer *t;

      if (i < 0 || (guint) i >= run->n_transfers)
        break;
      t = &run->transfers[i];
      run_one (run, t);

      g_mutex_lock (&run->mutex);
      t->done = TRUE;
      run->n_done++;
      if (t->error != NULL && !g_error_matches (t->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          if (run->first_error == NULL)
            run->first_error = g_error_copy (t->error);
          if (!run->keep_going)
            g_cancellable_cancel (run->stop);
        }
      /* No wake-up of the caller per transfer (a context switch per small
       * blob): it looks every FS_HTTP_PROGRESS_INTERVAL_US, and is woken
       * when the last worker ends. */
      g_mutex_unlock (&run->mutex);
    }

  g_mutex_lock (&run->mutex);
  run->n_workers--;
  g_cond_signal (&run->cond);
  g_mutex_unlock (&run->mutex);
  return NULL;
}

static void
run_caller_cancelled (GCancellable *cancellable, gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

gboolean
_fs_http_run (FsHttp *http,
              FsHttpTransfer *transfers,
              guint n_transfers,
              FsHttpRunFlags flags,
              FsHttpProgressFunc progress,
              gpointer progress_data,
              GCancellable *cancellable,
              GError **error)
{
  Run run = { 0 };
  g_autoptr (GPtrArray) threads = g_ptr_array_new ();
  guint n_threads = MIN (http->options.connections, n_transfers);
  gulong handler = 0;
  guint64 reported_bytes = G_MAXUINT64;
  guint reported_done = G_MAXUINT;
  guint n_failed = 0;

  for (guint i = 0; i < n_transfers; i++)
    {
      g_clear_error (&transfers[i].error);
      transfers[i].done = FALSE;
      transfers[i].exists = FALSE;
      transfers[i].wire_bytes = 0;
    }

  run.http = http;
  run.transfers = transfers;
  run.n_transfers = n_transfers;
  run.keep_going = (flags & FS_HTTP_RUN_KEEP_GOING) != 0;
  run.stop = g_cancellable_new ();
  g_mutex_init (&run.mutex);
  g_cond_init (&run.cond);
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (run_caller_cancelled),
                                     g_object_ref (run.stop), g_object_unref);

  run.n_workers = n_threads;
  for (guint i = 0; i < n_threads; i++)
    g_ptr_array_add (threads, g_thread_new ("fscache-http", run_worker, &run));

  g_mutex_lock (&run.mutex);
  for (;;)
    {
      gboolean finished = run.n_workers == 0;
      guint64 bytes = __atomic_load_n (&run.bytes, __ATOMIC_RELAXED);
      guint n_done = run.n_done;

      if (progress != NULL && (bytes != reported_bytes || n_done != reported_done))
        {
          g_mutex_unlock (&run.mutex);
          progress (bytes, n_done, n_transfers, progress_data);
          reported_bytes = bytes;
          reported_done = n_done;
          g_mutex_lock (&run.mutex);
          continue;
        }
      if (finished)
        break;
      g_cond_wait_until (&run.cond, &run.mutex,
                         g_get_monotonic_time () + FS_HTTP_PROGRESS_INTERVAL_US);
    }
  g_mutex_unlock (&run.mutex);

  for (guint i = 0; i < threads->len; i++)
    g_thread_join (threads->pdata[i]);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, handler);

  for (guint i = 0; i < n_transfers; i++)
    if (transfers[i].error != NULL)
      n_failed++;

  g_clear_object (&run.stop);
  g_mutex_clear (&run.mutex);
  g_cond_clear (&run.cond);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      g_clear_error (&run.first_error);
      return FALSE;
    }
  if (run.first_error != NULL)
    {
      g_propagate_error (error, run.first_error);
      return FALSE;
    }
  if (n_failed > 0)
    {
      /* Only cancellations: cannot happen without a cancelled caller, but
       * never report success for a transfer that did not run. */
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _ ("Operation was cancelled"));
      return FALSE;
    }
  return TRUE;
}

/* ---- ac --------------------------------------------------------------------------- */

void
_fs_http_ac_key (const char *namespace_, const char *name, char out[FS_HTTP_DIGEST_LEN + 1])
{
  static const char tag[] = "fscache-entry";
  Sha256 sha;

  sha256_init (&sha);
  sha256_update (&sha, tag, sizeof tag); /* with its NUL */
  sha256_update (&sha, namespace_, strlen (namespace_) + 1);
  sha256_update (&sha, name, strlen (name));
  sha256_finish_hex (&sha, out);
}

#define AC_FORMAT_VERSION 1

static void
append_json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const char *p = s; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

GBytes *
_fs_http_ac_document_format (const FsHttpAcDocument *doc, const char *namespace_, const char *name)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "{\"fscache-ac\": %d, \"namespace\": ", AC_FORMAT_VERSION);
  append_json_string (out, namespace_);
  g_string_append (out, ", \"name\": ");
  append_json_string (out, name);
  g_string_append_printf (out,
                          ", \"manifest\": \"%s\", \"manifest-size\": %" G_GUINT64_FORMAT
                          ", \"blobs\": \"%s\"}\n",
                          doc->manifest, doc->manifest_size,
                          doc->encoding == FS_HTTP_ENCODING_ZSTD ? "cas.zst" : "cas");
  return g_string_free_to_bytes (out);
}

static const char *
get_string_member (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
get_uint_member (JsonObject *object, const char *member, guint64 *out)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    return FALSE;
  *out = (guint64) json_node_get_int (node);
  return TRUE;
}

gboolean
_fs_http_ac_document_parse (GBytes *data,
                            const char *namespace_,
                            const char *name,
                            FsHttpAcDocument *out,
                            GError **error)
{
  g_autoptr (JsonObject) object = NULL;
  gsize len = 0;
  const char *text = g_bytes_get_data (data, &len);
  const char *s;
  guint64 version = 0;

  if (len > FS_HTTP_AC_MAX_SIZE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The ac document of “%s” is too large (%" G_GSIZE_FORMAT " bytes)"), name,
                   len);
      return FALSE;
    }
  object = len > 0 ? _fs_meta_parse_object (text, len) : NULL;
  if (object == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The ac document of “%s” is not a JSON object"), name);
      return FALSE;
    }
  if (!get_uint_member (object, "fscache-ac", &version) || version != AC_FORMAT_VERSION)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The ac document of “%s” has an unknown format"), name);
      return FALSE;
    }
  s = get_string_member (object, "namespace");
  if (s == NULL || strcmp (s, namespace_) != 0 ||
      (s = get_string_member (object, "name")) == NULL || strcmp (s, name) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The ac document of “%s” names another entry"), name);
      return FALSE;
    }
  s = get_string_member (object, "manifest");
  if (!_fs_http_digest_is_valid (s) ||
      !get_uint_member (object, "manifest-size", &out->manifest_size))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The ac document of “%s” has no valid manifest digest and size"), name);
      return FALSE;
    }
  memcpy (out->manifest, s, FS_HTTP_DIGEST_LEN + 1);
  s = get_string_member (object, "blobs");
  if (s == NULL || strcmp (s, "cas") == 0)
    out->encoding = FS_HTTP_ENCODING_PLAIN;
  else if (strcmp (s, "cas.zst") == 0)
    out->encoding = FS_HTTP_ENCODING_ZSTD;
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The ac document of “%s” names an unknown blob prefix"), name);
      return FALSE;
    }
  return TRUE;
}

gboolean
_fs_http_ac_get (FsHttp *http,
                 const char *key,
                 GBytes **out_document,
                 GCancellable *cancellable,
                 GError **error)
{
  g_autofree char *url = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GInputStream) body = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *buf = NULL;
  SoupMessageHeaders *headers;
  gsize len = 0;

  g_return_val_if_fail (_fs_http_digest_is_valid (key), FALSE);
  *out_document = NULL;
  url = g_strconcat (http->base, "ac/", key, NULL);
  msg = message_new (http, SOUP_METHOD_GET, url);
  body = soup_session_send (http->session, msg, cancellable, &local_error);
  if (body == NULL)
    return throw_prefixed (error, g_steal_pointer (&local_error), "GET", url);
  if (soup_message_get_status (msg) == SOUP_STATUS_NOT_FOUND)
    {
      g_input_stream_close (body, NULL, NULL);
      return TRUE;
    }
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_input_stream_close (body, NULL, NULL);
      return throw_status (error, "GET", url, msg);
    }
  headers = soup_message_get_response_headers (msg);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > FS_HTTP_AC_MAX_SIZE)
    {
      g_input_stream_close (body, NULL, NULL);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("GET %s: the document is too large (%" G_GINT64_FORMAT " bytes)"), url,
                   soup_message_headers_get_content_length (headers));
      return FALSE;
    }
  /* One byte more than allowed tells a document that is too large. */
  buf = g_malloc (FS_HTTP_AC_MAX_SIZE + 1);
  if (!g_input_stream_read_all (body, buf, FS_HTTP_AC_MAX_SIZE + 1, &len, cancellable,
                                &local_error))
    {
      g_input_stream_close (body, NULL, NULL);
      return throw_prefixed (error, g_steal_pointer (&local_error), "GET", url);
    }
  if (len > FS_HTTP_AC_MAX_SIZE)
    {
      g_input_stream_close (body, NULL, NULL);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("GET %s: the document is too large"), url);
      return FALSE;
    }
  if (!g_input_stream_close (body, cancellable, &local_error))
    return throw_prefixed (error, g_steal_pointer (&local_error), "GET", url);
  *out_document = g_bytes_new_take (g_steal_pointer (&buf), len);
  return TRUE;
}

gboolean
_fs_http_ac_put (FsHttp *http,
                 const char *key,
                 GBytes *document,
                 GCancellable *cancellable,
                 GError **error)
{
  g_autofree char *url = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  PutBody pb = { 0 };

  g_return_val_if_fail (_fs_http_digest_is_valid (key), FALSE);
  url = g_strconcat (http->base, "ac/", key, NULL);
  msg = message_new (http, SOUP_METHOD_PUT, url);
  pb.http = http;
  pb.url = url;
  pb.bytes = document;
  put_body_set (&pb, msg, NULL);
  return put_stream (http, url, msg, &pb, cancellable, error);
}

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
 *                           (fs-http-ac.c), the only object that is ever
 *                           replaced
 *
 * The client is four files, one floor each: fs-http-body.c (the meter of a
 * transfer and a blob as a request body), this file (the session,
 * credentials, proxies, and one request: HEAD, GET or PUT of a blob, GET or
 * PUT of a small document), fs-http-run.c (many transfers at once on
 * worker threads) and fs-http-ac.c (the ac documents).
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
 * calls on one thread. The client is reference counted: a cache keeps one
 * reference (fs-store.c), each running transfer another, so closing the
 * cache never frees a session under a transfer.
 *
 * Timeouts. `timeout` seconds bound connecting and every wait for the next
 * bytes (libsoup's I/O timeout); `min_speed` bounds a trickle that never
 * quite stops (fs-http-body.c). A timeout is G_IO_ERROR_TIMED_OUT.
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
 * SHA-256 is the library's (fs-digest.c: libcrypto, with the CPU's SHA
 * extensions).
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <zstd.h>

#include "fs-http-body-private.h"
#include "fs-http-private.h"
#include "fs-util-private.h"

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
  gatomicrefcount ref_count;
  GMutex first_lock;     /* protects the two below */
  GCond first_done;      /* signalled when the first request is sent, or a waiter cancelled */
  gboolean first_flying; /* the session's first request is being sent */
  gboolean warm;         /* a request has been sent: the host's addresses are known (atomic) */
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
  if (!_fs_http_find_credentials (options, &authorization, error))
    return NULL;

  http = g_new0 (FsHttp, 1);
  g_atomic_ref_count_init (&http->ref_count);
  g_mutex_init (&http->first_lock);
  g_cond_init (&http->first_done);
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

FsHttp *
_fs_http_ref (FsHttp *http)
{
  g_atomic_ref_count_inc (&http->ref_count);
  return http;
}

void
_fs_http_unref (FsHttp *http)
{
  if (http == NULL || !g_atomic_ref_count_dec (&http->ref_count))
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
  g_mutex_clear (&http->first_lock);
  g_cond_clear (&http->first_done);
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

guint
_fs_http_get_connections (FsHttp *http)
{
  return http->options.connections;
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

/* libsoup shares one GNetworkAddress per host among the connections of a
 * session, and GIO (2.74) fills that address's list of socket addresses on
 * its first enumeration without a lock: connections opened at the same
 * time by several threads before any has looked the host up race there
 * and lose a list (LeakSanitizer saw it when a push to a server that is
 * down opened 8 connections at once). So the session's first request goes
 * alone: whoever sends it is "flying" until soup_session_send() returns
 * (the connection made or failed, the host looked up), and the requests
 * that start meanwhile wait for it — cancellably: a waiter's cancellable
 * wakes it. A first request that was cancelled may not have looked the
 * host up: the next request goes alone in turn. */
static void
first_request_wake (GCancellable *cancellable, gpointer data)
{
  FsHttp *http = data;

  g_mutex_lock (&http->first_lock);
  g_cond_broadcast (&http->first_done);
  g_mutex_unlock (&http->first_lock);
}

/* Returns FALSE (cancelled) or TRUE, with *@out_first telling whether
 * the caller sends the first request, to give to request_end(). */
static gboolean
request_begin (FsHttp *http, GCancellable *cancellable, gboolean *out_first, GError **error)
{
  gboolean waited_in_vain;
  gulong handler = 0;

  *out_first = FALSE;
  if (g_atomic_int_get (&http->warm))
    return TRUE;
  /* (Called at once when @cancellable is cancelled already.) */
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (first_request_wake), http, NULL);
  g_mutex_lock (&http->first_lock);
  while (http->first_flying && !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&http->first_done, &http->first_lock);
  waited_in_vain = http->first_flying;
  if (!waited_in_vain && !g_atomic_int_get (&http->warm))
    http->first_flying = *out_first = TRUE;
  g_mutex_unlock (&http->first_lock);
  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);
  return !waited_in_vain || !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static void
request_end (FsHttp *http, gboolean first, const GError *error)
{
  if (!first)
    return;
  g_mutex_lock (&http->first_lock);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_atomic_int_set (&http->warm, TRUE);
  http->first_flying = FALSE;
  g_cond_broadcast (&http->first_done);
  g_mutex_unlock (&http->first_lock);
}

/* soup_session_send() behind the gate of the first request. */
static GInputStream *
session_send (FsHttp *http, SoupMessage *msg, GCancellable *cancellable, GError **error)
{
  GError *local_error = NULL;
  GInputStream *body;
  gboolean first;

  if (!request_begin (http, cancellable, &first, error))
    return NULL;
  body = soup_session_send (http->session, msg, cancellable, &local_error);
  request_end (http, first, local_error);
  if (body == NULL)
    g_propagate_error (error, local_error);
  return body;
}

/* soup_session_send_and_read() behind the same gate. */
static GBytes *
session_send_and_read (FsHttp *http, SoupMessage *msg, GCancellable *cancellable, GError **error)
{
  GError *local_error = NULL;
  GBytes *body;
  gboolean first;

  if (!request_begin (http, cancellable, &first, error))
    return NULL;
  body = soup_session_send_and_read (http->session, msg, cancellable, &local_error);
  request_end (http, first, local_error);
  if (body == NULL)
    g_propagate_error (error, local_error);
  return body;
}

/* Prefixes an error of libsoup or GIO with the request. */
static gboolean
throw_prefixed (GError **error, GError *local_error, const char *method, const char *url)
{
  g_propagate_prefixed_error (error, local_error, "%s %s: ", method, url);
  return FALSE;
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
  FsHttpMeter *meter;
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
  pb->body =
    _fs_http_body_stream_new (pb->fd, pb->size, pb->url, pb->digest, FALSE, 0, pb->meter, error);
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
  response = session_send (http, msg, cancellable, &local_error);
  g_signal_handler_disconnect (msg, handler);
  if (pb->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&pb->error));
      return FALSE;
    }
  if (response == NULL)
    {
      /* Our own error rather than libsoup's copy of it. */
      const GError *body_error =
        pb->body != NULL ? _fs_http_body_stream_get_error (FS_HTTP_BODY_STREAM (pb->body)) : NULL;

      if (body_error != NULL)
        {
          g_propagate_error (error, g_error_copy (body_error));
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

  z = _fs_http_body_stream_new (fd, size, url, digest, TRUE, http->options.zstd_level, NULL, error);
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

gboolean
_fs_http_blob_put_counted (FsHttp *http,
                           FsHttpEncoding encoding,
                           const char *digest,
                           guint64 size,
                           int fd,
                           gboolean verify,
                           guint64 *progress,
                           guint64 *out_wire_bytes,
                           GCancellable *cancellable,
                           GError **error)
{
  g_autofree char *url = blob_url (http, encoding, digest);
  g_autoptr (SoupMessage) msg = NULL;
  fs_autofd compressed = -1;
  struct stat st;
  FsHttpMeter meter;
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
      compressed = compress_to_tmpfile (http, fd, size, url,
                                        verify && http->options.verify_uploads ? digest : NULL,
                                        &pb.size, cancellable, error);
      if (compressed < 0)
        return FALSE;
      pb.fd = compressed;
    }
  else
    {
      pb.fd = fd;
      pb.size = size;
      pb.digest = verify && http->options.verify_uploads ? digest : NULL;
    }

  _fs_http_meter_init (&meter, http->options.timeout, http->options.min_speed, progress);
  msg = message_new (http, SOUP_METHOD_PUT, url);
  if (!put_body_set (&pb, msg, error))
    return FALSE;
  ok = put_stream (http, url, msg, &pb, cancellable, error);
  if (ok && out_wire_bytes != NULL)
    *out_wire_bytes = _fs_http_body_stream_get_sent (FS_HTTP_BODY_STREAM (pb.body));
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
  return _fs_http_blob_put_counted (http, encoding, digest, size, fd, TRUE, NULL, out_wire_bytes,
                                    cancellable, error);
}

/* ---- HEAD ------------------------------------------------------------------------- */

gboolean
_fs_http_blob_exists (FsHttp *http,
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

  g_return_val_if_fail (_fs_http_digest_is_valid (digest), FALSE);
  nothing = session_send_and_read (http, msg, cancellable, &local_error);
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

/* ---- GET -------------------------------------------------------------------------- */

typedef struct {
  int fd;
  guint64 size;    /* expected */
  guint64 written; /* uncompressed bytes so far */
  const char *url;
  FsDigest *hasher;
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
  _fs_digest_update (sink->hasher, data, len);
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
           FsHttpMeter *meter,
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
      if (!_fs_http_meter_add (meter, (gsize) n, "GET", sink->url, error))
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

gboolean
_fs_http_blob_get_counted (FsHttp *http,
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
  g_autoptr (FsDigest) hasher = _fs_digest_new ();
  SoupMessageHeaders *headers;
  Sink sink = { fd, size, 0, url, hasher };
  guint8 md[FS_DIGEST_SIZE];
  char got[FS_DIGEST_HEX_SIZE];
  guint64 wire = 0;
  FsHttpMeter meter;

  body = session_send (http, msg, cancellable, &local_error);
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

  _fs_http_meter_init (&meter, http->options.timeout, http->options.min_speed, progress);
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
  _fs_digest_finish (hasher, md);
  _fs_digest_to_hex (md, got);
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
  return _fs_http_blob_get_counted (http, encoding, digest, size, fd, NULL, out_wire_bytes,
                                    cancellable, error);
}

/* ---- small documents ------------------------------------------------------------- */

gboolean
_fs_http_document_get (FsHttp *http,
                       const char *path,
                       gsize max_size,
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

  *out_document = NULL;
  url = g_strconcat (http->base, path, NULL);
  msg = message_new (http, SOUP_METHOD_GET, url);
  body = session_send (http, msg, cancellable, &local_error);
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
      (guint64) soup_message_headers_get_content_length (headers) > max_size)
    {
      g_input_stream_close (body, NULL, NULL);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("GET %s: the document is too large (%" G_GINT64_FORMAT " bytes)"), url,
                   soup_message_headers_get_content_length (headers));
      return FALSE;
    }
  /* One byte more than allowed tells a document that is too large. */
  buf = g_malloc (max_size + 1);
  if (!g_input_stream_read_all (body, buf, max_size + 1, &len, cancellable, &local_error))
    {
      g_input_stream_close (body, NULL, NULL);
      return throw_prefixed (error, g_steal_pointer (&local_error), "GET", url);
    }
  if (len > max_size)
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
_fs_http_document_put (FsHttp *http,
                       const char *path,
                       GBytes *document,
                       GCancellable *cancellable,
                       GError **error)
{
  g_autofree char *url = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  PutBody pb = { 0 };

  url = g_strconcat (http->base, path, NULL);
  msg = message_new (http, SOUP_METHOD_PUT, url);
  pb.http = http;
  pb.url = url;
  pb.bytes = document;
  put_body_set (&pb, msg, NULL);
  return put_stream (http, url, msg, &pb, cancellable, error);
}

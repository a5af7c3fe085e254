/* bench-http.c: the remote tier's HTTP client, timed (bench/bench-http.py runs it)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   bench-http MODE URL LIST [--connections N] [--zstd] [--level L] [--no-verify]
 *
 * LIST has one blob per line, "SHA256 SIZE PATH": the source of a PUT, the
 * destination of a GET. MODE:
 *
 *   put        _fs_http_run() of PUTs (no HEAD)
 *   upload     _fs_http_run() of UPLOADs (HEAD, then PUT when missing)
 *   get        _fs_http_run() of GETs into PATH, verified: worker threads,
 *              each a blocking soup_session_send() (the library's design)
 *   get-async  the same GETs as async calls on one thread, at most N at a
 *              time (the design the library did not take; here to compare)
 *   head       _fs_http_run() of HEADs
 *
 * Prints one JSON line: mode, files, bytes, wire bytes, seconds (wall clock
 * of the transfers alone), cpu_s (user + system time of the whole process),
 * requests per second, MB/s.
 */

#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <libsoup/soup.h>
#include <openssl/evp.h>

#include "fs-http-private.h"

typedef struct {
  char digest[FS_HTTP_DIGEST_LEN + 1];
  guint64 size;
  char *path;
} Item;

static GArray *
read_list (const char *path)
{
  g_autofree char *data = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;
  GArray *items = g_array_new (FALSE, TRUE, sizeof (Item));

  if (!g_file_get_contents (path, &data, NULL, &error))
    g_error ("%s", error->message);
  lines = g_strsplit (data, "\n", 0);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], " ", 3);
      Item item = { { 0 } };
      if (g_strv_length (f) != 3)
        continue;
      g_strlcpy (item.digest, f[0], sizeof item.digest);
      item.size = g_ascii_strtoull (f[1], NULL, 10);
      item.path = g_strdup (f[2]);
      g_array_append_val (items, item);
    }
  return items;
}

/* ---- the async comparison: GETs on one thread ------------------------------------- */

typedef struct _Async Async;

typedef struct {
  Async *async;
  Item *item;
  SoupMessage *msg;
  GInputStream *body;
  EVP_MD_CTX *sha;
  int fd;
  guint64 written;
  guint8 *buf;
} AsyncGet;

struct _Async {
  SoupSession *session;
  const char *base;
  GArray *items;
  guint next;
  guint running;
  guint64 wire;
  GError *error;
  GMainLoop *loop;
};

static void async_start_next (Async *a);

#define ASYNC_BUF (256 * 1024)

static void
async_get_done (AsyncGet *g, GError *error)
{
  Async *a = g->async;

  if (error != NULL && a->error == NULL)
    a->error = g_error_copy (error);
  if (g->sha != NULL)
    {
      guint8 md[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      char hex[FS_HTTP_DIGEST_LEN + 1];
      EVP_DigestFinal_ex (g->sha, md, &len);
      for (guint i = 0; i < 32; i++)
        g_snprintf (hex + 2 * i, 3, "%02x", md[i]);
      if (error == NULL && (g->written != g->item->size || strcmp (hex, g->item->digest) != 0) &&
          a->error == NULL)
        a->error =
          g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: digest mismatch", g->item->path);
      EVP_MD_CTX_free (g->sha);
    }
  if (g->body != NULL)
    g_input_stream_close (g->body, NULL, NULL);
  g_clear_object (&g->body);
  g_clear_object (&g->msg);
  if (g->fd >= 0)
    close (g->fd);
  g_free (g->buf);
  g_free (g);
  a->running--;
  async_start_next (a);
  if (a->running == 0)
    g_main_loop_quit (a->loop);
}

static void
async_read_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  AsyncGet *g = data;
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n < 0)
    {
      async_get_done (g, error);
      return;
    }
  if (n == 0)
    {
      async_get_done (g, NULL);
      return;
    }
  g->async->wire += (guint64) n;
  EVP_DigestUpdate (g->sha, g->buf, (size_t) n);
  if (pwrite (g->fd, g->buf, (size_t) n, (off_t) g->written) != n)
    g_error ("write failed");
  g->written += (guint64) n;
  g_input_stream_read_async (g->body, g->buf, ASYNC_BUF, G_PRIORITY_DEFAULT, NULL, async_read_cb,
                             g);
}

static void
async_send_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  AsyncGet *g = data;
  g_autoptr (GError) error = NULL;

  g->body = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (g->body == NULL)
    {
      async_get_done (g, error);
      return;
    }
  if (soup_message_get_status (g->msg) != SOUP_STATUS_OK)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "HTTP %u",
                   soup_message_get_status (g->msg));
      async_get_done (g, error);
      return;
    }
  g->sha = EVP_MD_CTX_new ();
  EVP_DigestInit_ex (g->sha, EVP_sha256 (), NULL);
  g->buf = g_malloc (ASYNC_BUF);
  g_input_stream_read_async (g->body, g->buf, ASYNC_BUF, G_PRIORITY_DEFAULT, NULL, async_read_cb,
                             g);
}

static void
async_start_next (Async *a)
{
  AsyncGet *g;
  Item *item;
  g_autofree char *url = NULL;

  if (a->next >= a->items->len || a->error != NULL)
    return;
  item = &g_array_index (a->items, Item, a->next++);
  g = g_new0 (AsyncGet, 1);
  g->async = a;
  g->item = item;
  g->fd = open (item->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (g->fd < 0)
    g_error ("open %s failed", item->path);
  url = g_strconcat (a->base, "cas/", item->digest, NULL);
  g->msg = soup_message_new (SOUP_METHOD_GET, url);
  a->running++;
  soup_session_send_async (a->session, g->msg, G_PRIORITY_DEFAULT, NULL, async_send_cb, g);
}

static gboolean
run_async_get (const char *base, GArray *items, guint connections, guint64 *wire, GError **error)
{
  Async a = { 0 };

  a.session = soup_session_new_with_options ("max-conns", (int) connections, "max-conns-per-host",
                                             (int) connections, "timeout", 30, NULL);
  soup_session_remove_feature_by_type (a.session, SOUP_TYPE_CONTENT_DECODER);
  a.base = base;
  a.items = items;
  a.loop = g_main_loop_new (NULL, FALSE);
  for (guint i = 0; i < connections; i++)
    async_start_next (&a);
  if (a.running > 0)
    g_main_loop_run (a.loop);
  g_main_loop_unref (a.loop);
  g_object_unref (a.session);
  *wire = a.wire;
  if (a.error != NULL)
    {
      g_propagate_error (error, a.error);
      return FALSE;
    }
  return TRUE;
}

/* ---- main ------------------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsHttp) http = NULL;
  g_autoptr (GArray) items = NULL;
  g_autofree FsHttpTransfer *transfers = NULL;
  int connections = FS_HTTP_DEFAULT_CONNECTIONS;
  int level = FS_HTTP_DEFAULT_ZSTD_LEVEL;
  gboolean zstd = FALSE, no_verify = FALSE;
  GOptionEntry entries[] = {
    { "connections", 'c', 0, G_OPTION_ARG_INT, &connections, "connections", "N" },
    { "zstd", 'z', 0, G_OPTION_ARG_NONE, &zstd, "blobs under cas.zst/", NULL },
    { "level", 'l', 0, G_OPTION_ARG_INT, &level, "zstd level", "L" },
    { "no-verify", 0, 0, G_OPTION_ARG_NONE, &no_verify, "do not hash uploads", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODE URL LIST");
  FsHttpOptions options;
  const char *mode;
  FsHttpOp op;
  guint64 bytes = 0, wire = 0;
  gint64 t0, t1;
  double secs, cpu;
  struct rusage ru;
  guint n_requests;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 4)
    {
      g_printerr ("usage: bench-http MODE URL LIST [options]\n");
      return 2;
    }
  mode = argv[1];
  items = read_list (argv[3]);
  for (guint i = 0; i < items->len; i++)
    bytes += g_array_index (items, Item, i).size;

  if (g_str_equal (mode, "get-async"))
    {
      g_autofree char *base =
        g_str_has_suffix (argv[2], "/") ? g_strdup (argv[2]) : g_strconcat (argv[2], "/", NULL);
      t0 = g_get_monotonic_time ();
      if (!run_async_get (base, items, (guint) connections, &wire, &error))
        g_error ("%s", error->message);
      t1 = g_get_monotonic_time ();
      n_requests = items->len;
    }
  else
    {
      if (g_str_equal (mode, "put"))
        op = FS_HTTP_OP_PUT;
      else if (g_str_equal (mode, "upload"))
        op = FS_HTTP_OP_UPLOAD;
      else if (g_str_equal (mode, "get"))
        op = FS_HTTP_OP_GET;
      else if (g_str_equal (mode, "head"))
        op = FS_HTTP_OP_EXISTS;
      else
        {
          g_printerr ("unknown mode %s\n", mode);
          return 2;
        }
      _fs_http_options_init (&options);
      options.url = argv[2];
      options.connections = (guint) connections;
      options.zstd_level = level;
      options.verify_uploads = !no_verify;
      http = _fs_http_new (&options, &error);
      if (http == NULL)
        g_error ("%s", error->message);
      transfers = g_new0 (FsHttpTransfer, items->len);
      for (guint i = 0; i < items->len; i++)
        {
          Item *item = &g_array_index (items, Item, i);
          transfers[i].op = op;
          transfers[i].encoding = zstd ? FS_HTTP_ENCODING_ZSTD : FS_HTTP_ENCODING_PLAIN;
          memcpy (transfers[i].digest, item->digest, sizeof item->digest);
          transfers[i].size = item->size;
          if (op == FS_HTTP_OP_GET)
            transfers[i].fd = open (item->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
          else if (op == FS_HTTP_OP_EXISTS)
            transfers[i].fd = -1;
          else
            transfers[i].fd = open (item->path, O_RDONLY | O_CLOEXEC);
          if (op != FS_HTTP_OP_EXISTS && transfers[i].fd < 0)
            g_error ("cannot open %s", item->path);
        }
      t0 = g_get_monotonic_time ();
      if (!_fs_http_run (http, transfers, items->len, FS_HTTP_RUN_NONE, NULL, NULL, NULL, &error))
        g_error ("%s", error->message);
      t1 = g_get_monotonic_time ();
      n_requests = 0;
      for (guint i = 0; i < items->len; i++)
        {
          wire += transfers[i].wire_bytes;
          n_requests += op == FS_HTTP_OP_UPLOAD && !transfers[i].exists ? 2 : 1;
          if (transfers[i].fd >= 0)
            close (transfers[i].fd);
        }
    }

  secs = (double) (t1 - t0) / G_USEC_PER_SEC;
  getrusage (RUSAGE_SELF, &ru);
  cpu = (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6 +
        (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
  g_print ("{\"mode\": \"%s\", \"connections\": %d, \"zstd\": %s, \"level\": %d, \"verify\": %s, "
           "\"files\": %u, \"bytes\": %" G_GUINT64_FORMAT ", \"wire_bytes\": %" G_GUINT64_FORMAT
           ", \"seconds\": %.4f, \"cpu_s\": %.3f, \"requests\": %u, \"rps\": %.1f, "
           "\"mb_s\": %.1f}\n",
           mode, connections, zstd ? "true" : "false", level, no_verify ? "false" : "true",
           items->len, bytes, wire, secs, cpu, n_requests, n_requests / secs, bytes / secs / 1e6);
  for (guint i = 0; i < items->len; i++)
    g_free (g_array_index (items, Item, i).path);
  return 0;
}

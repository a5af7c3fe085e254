/* fs-http-run.c: many transfers of the HTTP client at once
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * _fs_http_run() spreads a list of transfers (HEAD, GET, PUT, or HEAD then
 * PUT) over up to `connections` worker threads, each making blocking
 * requests through the client's one session (fs-http.c says why threads),
 * and reports progress from the calling thread about ten times a second.
 * The first failure cancels the others (a pull or a push is all or
 * nothing) unless FS_HTTP_RUN_KEEP_GOING. Files can be opened on the worker
 * thread just before their transfer and finished there just after it
 * (FsHttpRunHooks), so that a run of 100,000 files never holds more than
 * `connections` of them open, and a pull writes each file's metadata from
 * the thread that wrote its content.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fs-http-private.h"
#include "fs-util-private.h"

/* How often _fs_http_run() reports progress. */
#define FS_HTTP_PROGRESS_INTERVAL_US (100 * 1000)

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
  gboolean count_skipped;
  gboolean trusted_sources;
  const FsHttpRunHooks *hooks; /* or NULL */
  GCancellable *stop;          /* cancelled by the caller's cancellable or a failure */
  gint next;                   /* atomic: the next transfer to start */
  guint64 bytes;               /* atomic: body bytes moved */

  GMutex mutex; /* protects what follows */
  GCond cond;
  guint n_done;
  guint n_workers;
  GError *first_error; /* the first failure that is not a cancellation */
} Run;

/* A GET or PUT of @t, on the file the hooks open when @t has none. */
static void
run_body (Run *run, FsHttpTransfer *t, gboolean get)
{
  const FsHttpRunHooks *hooks = run->hooks;
  GError **error = &t->error;
  fs_autofd opened = -1;
  int fd = t->fd;
  gboolean ok;

  if (fd < 0 && hooks != NULL && hooks->open != NULL)
    {
      fd = opened = hooks->open (t, hooks->user_data, error);
      if (fd < 0)
        return;
    }
  if (get)
    ok = _fs_http_blob_get_counted (run->http, t->encoding, t->digest, t->size, fd, &run->bytes,
                                    &t->wire_bytes, run->stop, error);
  else
    ok = _fs_http_blob_put_counted (run->http, t->encoding, t->digest, t->size, fd,
                                    !run->trusted_sources, &run->bytes, &t->wire_bytes, run->stop,
                                    error);
  if (ok && hooks != NULL && hooks->done != NULL)
    hooks->done (t, fd, hooks->user_data, error);
}

static void
run_one (Run *run, FsHttpTransfer *t)
{
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
      _fs_http_blob_exists (run->http, t->encoding, t->digest, t->size, &t->exists, run->stop,
                            error);
      break;
    case FS_HTTP_OP_GET:
      run_body (run, t, TRUE);
      break;
    case FS_HTTP_OP_UPLOAD:
      if (!_fs_http_blob_exists (run->http, t->encoding, t->digest, t->size, &t->exists, run->stop,
                                 error))
        break;
      if (t->exists)
        {
          if (run->count_skipped)
            __atomic_fetch_add (&run->bytes, t->size, __ATOMIC_RELAXED);
          break;
        }
      G_GNUC_FALLTHROUGH;
    case FS_HTTP_OP_PUT:
      run_body (run, t, FALSE);
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
_fs_http_run_full (FsHttp *http,
                   FsHttpTransfer *transfers,
                   guint n_transfers,
                   FsHttpRunFlags flags,
                   const FsHttpRunHooks *hooks,
                   FsHttpProgressFunc progress,
                   gpointer progress_data,
                   GCancellable *cancellable,
                   GError **error)
{
  Run run = { 0 };
  g_autoptr (GPtrArray) threads = g_ptr_array_new ();
  guint n_threads = MIN (_fs_http_get_connections (http), n_transfers);
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
  run.count_skipped = (flags & FS_HTTP_RUN_COUNT_SKIPPED) != 0;
  run.trusted_sources = (flags & FS_HTTP_RUN_TRUSTED_SOURCES) != 0;
  run.hooks = hooks;
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
  return _fs_http_run_full (http, transfers, n_transfers, flags, NULL, progress, progress_data,
                            cancellable, error);
}

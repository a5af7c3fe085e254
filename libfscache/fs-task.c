/* fs-task.c: the shape of every asynchronous call
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "fs-task-private.h"

/* The one shape of every task here: owned by @source, tagged, @data its
 * task data freed with @data_free, @func run in a worker thread. */
void
_fs_task_run_in_thread (gpointer source,
                        gpointer source_tag,
                        int io_priority,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data,
                        gpointer data,
                        GDestroyNotify data_free,
                        GTaskThreadFunc func)
{
  g_autoptr (GTask) task = g_task_new (source, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_priority (task, io_priority);
  if (data != NULL)
    g_task_set_task_data (task, data, data_free);
  g_task_run_in_thread (task, func);
}

/* The same for a call whose effect can't be taken back once done (a
 * commit, a release): finish reports what happened even if @cancellable
 * fired meanwhile. */
void
_fs_task_run_to_the_end (gpointer source,
                         gpointer source_tag,
                         int io_priority,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data,
                         gpointer data,
                         GDestroyNotify data_free,
                         GTaskThreadFunc func)
{
  g_autoptr (GTask) task = g_task_new (source, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_priority (task, io_priority);
  g_task_set_check_cancellable (task, FALSE);
  if (data != NULL)
    g_task_set_task_data (task, data, data_free);
  g_task_run_in_thread (task, func);
}

void
_fs_task_return_boolean (GTask *task, gboolean ok, GError *error)
{
  if (!ok)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
_fs_task_return_entry (GTask *task, FsCacheEntry *entry, GError *error)
{
  if (entry == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entry, g_object_unref);
}

void
_fs_task_return_object (GTask *task, gpointer object, GError *error)
{
  if (object == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, object, g_object_unref);
}

/* The task data of @result, or NULL with @error set. */
gpointer
_fs_task_finish_boolean (gpointer source, GAsyncResult *result, gpointer source_tag, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  return g_task_get_task_data (G_TASK (result));
}

gpointer
_fs_task_finish_pointer (gpointer source, GAsyncResult *result, gpointer source_tag, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Always through a source attached to the caller's context: never called
 * directly from the worker, even when that context is the global default. */
static void
invoke_in (GMainContext *context,
           int priority,
           GSourceFunc func,
           gpointer data,
           GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, priority);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "[fscache] progress");
  g_source_attach (source, context);
  g_source_unref (source);
}

typedef struct {
  GDestroyNotify free_func;
  gpointer data;
} FreeEvent;

static gboolean
free_in_context (gpointer p)
{
  FreeEvent *event = p;

  event->free_func (event->data);
  return G_SOURCE_REMOVE;
}

void
_fs_progress_relay_init (FsProgressRelay *relay,
                         GFileProgressCallback progress,
                         gpointer progress_data,
                         GDestroyNotify progress_data_free,
                         int priority)
{
  relay->progress = progress;
  relay->progress_data = progress_data;
  relay->progress_data_free = progress_data_free;
  relay->context = g_main_context_ref_thread_default ();
  relay->priority = priority;
}

void
_fs_progress_relay_clear (FsProgressRelay *relay)
{
  if (relay->progress_data_free != NULL)
    {
      /* Freed in the caller's context too, after the progress events
       * queued before it (same priority, attached earlier). */
      FreeEvent *event = g_new (FreeEvent, 1);
      event->free_func = relay->progress_data_free;
      event->data = relay->progress_data;
      invoke_in (relay->context, relay->priority, free_in_context, event, g_free);
    }
  g_clear_pointer (&relay->context, g_main_context_unref);
}

typedef struct {
  GFileProgressCallback progress;
  gpointer progress_data;
  goffset current;
  goffset total;
} ProgressEvent;

static gboolean
progress_in_context (gpointer p)
{
  ProgressEvent *event = p;

  event->progress (event->current, event->total, event->progress_data);
  return G_SOURCE_REMOVE;
}

/* In the worker thread (@user_data: the task, whose data starts with a
 * ProgressRelay): hand the report to the caller's main context. An event
 * carries what it needs, so it may run after the task is gone. */
void
_fs_progress_from_thread (goffset current, goffset total, gpointer user_data)
{
  GTask *task = user_data;
  FsProgressRelay *relay = g_task_get_task_data (task);
  ProgressEvent *event = g_new (ProgressEvent, 1);

  event->progress = relay->progress;
  event->progress_data = relay->progress_data;
  event->current = current;
  event->total = total;
  invoke_in (relay->context, g_task_get_priority (task), progress_in_context, event, g_free);
}

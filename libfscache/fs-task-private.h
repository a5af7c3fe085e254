/* fs-task-private.h: the shape of every asynchronous call
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GIO's convention, once: a GTask owned by the source object, with its
 * source tag, priority and typed task data (freed by its own function),
 * running the synchronous call in a worker thread; finish checks the task
 * with g_task_is_valid() and the tag. Results that own a lock (entries) are
 * returned with their destroy function.
 */

#pragma once

#include "fscache.h"

G_BEGIN_DECLS

void _fs_task_run_in_thread (gpointer source,
                             gpointer source_tag,
                             int io_priority,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data,
                             gpointer data,
                             GDestroyNotify data_free,
                             GTaskThreadFunc func);
/* The same for a call whose effect can't be taken back once done (a
 * commit, a release): finish reports what happened even if the
 * cancellable fired meanwhile. */
void _fs_task_run_to_the_end (gpointer source,
                              gpointer source_tag,
                              int io_priority,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data,
                              gpointer data,
                              GDestroyNotify data_free,
                              GTaskThreadFunc func);

void _fs_task_return_boolean (GTask *task, gboolean ok, GError *error);
void _fs_task_return_entry (GTask *task, FsCacheEntry *entry, GError *error);
/* A GObject result (transfer full), or @error when it is NULL. */
void _fs_task_return_object (GTask *task, gpointer object, GError *error);

/* The task data of @result (never NULL for a task with data), or NULL with
 * @error set. */
gpointer _fs_task_finish_boolean (gpointer source,
                                  GAsyncResult *result,
                                  gpointer source_tag,
                                  GError **error);
gpointer _fs_task_finish_pointer (gpointer source,
                                  GAsyncResult *result,
                                  gpointer source_tag,
                                  GError **error);

/* The first member of the task data of a call with progress: the caller's
 * callback, relayed to the caller's thread-default main context. */
typedef struct {
  GFileProgressCallback progress;
  gpointer progress_data;
  GDestroyNotify progress_data_free;
  GMainContext *context;
  int priority;
} FsProgressRelay;

void _fs_progress_relay_init (FsProgressRelay *relay,
                              GFileProgressCallback progress,
                              gpointer progress_data,
                              GDestroyNotify progress_data_free,
                              int priority);
void _fs_progress_relay_clear (FsProgressRelay *relay);
/* A GFileProgressCallback for the worker thread, @user_data the task
 * whose data starts with an FsProgressRelay. */
void _fs_progress_from_thread (goffset current, goffset total, gpointer user_data);

G_END_DECLS

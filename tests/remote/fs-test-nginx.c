/* fs-test-nginx.c: a real nginx (WebDAV) for the C tests of the remote tier
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "fs-test-nginx.h"

/* The meson "skipped" exit status, used by the fixture program. */
#define SKIP_STATUS 77

static const char *
fixture_program (void)
{
  const char *path = g_getenv ("FSCACHE_NGINX_FIXTURE");

  if (path == NULL)
    g_error ("FSCACHE_NGINX_FIXTURE is not set (run the test through meson)");
  return path;
}

FsTestNginx *
fs_test_nginx_start (const char *dir, const FsTestNginxOptions *options)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_auto (GStrv) fields = NULL;
  FsTestNginxOptions none = { 0 };
  FsTestNginx *nx;

  if (options == NULL)
    options = &none;
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);

  g_ptr_array_add (argv, g_strdup ("/usr/bin/python3"));
  g_ptr_array_add (argv, g_strdup (fixture_program ()));
  g_ptr_array_add (argv, g_strdup ("serve"));
  g_ptr_array_add (argv, g_strdup (dir));
  if (options->basic_user != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--basic"));
      g_ptr_array_add (argv, g_strconcat (options->basic_user, ":", options->basic_password, NULL));
    }
  if (options->bearer != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--bearer"));
      g_ptr_array_add (argv, g_strdup (options->bearer));
    }
  if (options->limit_rate != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--limit-rate"));
      g_ptr_array_add (argv, g_strdup (options->limit_rate));
    }
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_newv ((const char *const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (line == NULL)
    {
      g_subprocess_wait (proc, NULL, &error);
      g_assert_no_error (error);
      if (g_subprocess_get_if_exited (proc) && g_subprocess_get_exit_status (proc) == SKIP_STATUS)
        {
          g_test_skip ("nginx is not installed");
          return NULL;
        }
      g_error ("the nginx fixture did not start (see its messages above)");
    }

  fields = g_strsplit (line, " ", 0);
  g_assert_cmpuint (g_strv_length (fields), ==, 2);
  nx = g_new0 (FsTestNginx, 1);
  nx->dir = g_strdup (dir);
  nx->root = g_build_filename (dir, "root", NULL);
  nx->port = (guint) g_ascii_strtoull (fields[0], NULL, 10);
  nx->pid = (GPid) g_ascii_strtoll (fields[1], NULL, 10);
  g_assert_cmpuint (nx->port, >, 0);
  g_assert_cmpint (nx->pid, >, 1);
  nx->url = g_strdup_printf ("http://127.0.0.1:%u/", nx->port);
  nx->fixture = g_steal_pointer (&proc);
  return nx;
}

void
fs_test_nginx_stop (FsTestNginx *nx)
{
  g_autoptr (GError) error = NULL;

  if (nx == NULL)
    return;
  /* End of file on its stdin: the fixture stops nginx by its PID. */
  g_output_stream_close (g_subprocess_get_stdin_pipe (nx->fixture), NULL, NULL);
  g_subprocess_wait (nx->fixture, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&nx->fixture);
  g_free (nx->dir);
  g_free (nx->root);
  g_free (nx->url);
  g_free (nx);
}

void
fs_test_nginx_kill (FsTestNginx *nx)
{
  /* The group: killing the master alone leaves its workers serving. */
  if (kill (-nx->pid, SIGKILL) < 0)
    g_assert_cmpint (errno, ==, ESRCH);
  /* The master is the fixture program's child: it reaps it and exits. */
  g_subprocess_wait (nx->fixture, NULL, NULL);
  /* The workers are reparented and reaped by init: wait until the group is
   * gone, so that no worker still holds the listening socket (at most 5 s,
   * then the test goes on and says so). */
  for (int i = 0; i < 500 && kill (-nx->pid, 0) == 0; i++)
    g_usleep (10 * 1000);
  if (kill (-nx->pid, 0) == 0)
    g_test_message ("nginx: workers of group %d still there after 5 s", (int) nx->pid);
}

char *
fs_test_nginx_url (FsTestNginx *nx, const char *location)
{
  return g_strconcat (nx->url, location, NULL);
}

char *
fs_test_nginx_path (FsTestNginx *nx, const char *rel)
{
  return g_build_filename (nx->root, rel, NULL);
}

/* A request to /__sync, then waits for its line: after it, the lines of
 * every request answered before are in the log (nginx_fixture.py sync()). */
static guint
count_sync_lines (const char *log)
{
  g_autofree char *data = NULL;
  guint n = 0;

  if (!g_file_get_contents (log, &data, NULL, NULL))
    return 0;
  for (const char *p = data; (p = strstr (p, " /__sync ")) != NULL; p++)
    n++;
  return n;
}

static void
sync_log (FsTestNginx *nx)
{
  g_autofree char *log = g_build_filename (nx->dir, "access.log", NULL);
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GError) error = NULL;
  static const char request[] = "GET /__sync HTTP/1.0\r\nHost: localhost\r\n\r\n";
  char buf[1024];
  guint before = count_sync_lines (log);
  gint64 deadline;

  conn = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) nx->port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  while (g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buf, sizeof buf,
                              NULL, &error) > 0)
    ;
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (count_sync_lines (log) <= before)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (5000);
    }
}

static void
for_each_request (FsTestNginx *nx,
                  const char *method,
                  const char *prefix,
                  guint status,
                  GHashTable *connections,
                  guint *count)
{
  g_autofree char *log = g_build_filename (nx->dir, "access.log", NULL);
  g_autofree char *data = NULL;
  g_auto (GStrv) lines = NULL;

  if (nx->fixture != NULL && kill (nx->pid, 0) == 0)
    sync_log (nx);
  if (!g_file_get_contents (log, &data, NULL, NULL))
    return;
  lines = g_strsplit (data, "\n", 0);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], " ", 0);
      if (g_strv_length (f) != 8 || g_str_equal (f[1], "/__sync"))
        continue;
      if (method != NULL && !g_str_equal (f[0], method))
        continue;
      if (!g_str_has_prefix (f[1], prefix))
        continue;
      if (status != 0 && g_ascii_strtoull (f[2], NULL, 10) != status)
        continue;
      (*count)++;
      if (connections != NULL)
        g_hash_table_add (connections, g_strdup (f[5]));
    }
}

guint
fs_test_nginx_count (FsTestNginx *nx, const char *method, const char *prefix, guint status)
{
  guint n = 0;

  for_each_request (nx, method, prefix, status, NULL, &n);
  return n;
}

guint
fs_test_nginx_count_connections (FsTestNginx *nx, const char *method, const char *prefix)
{
  g_autoptr (GHashTable) conns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n = 0;

  for_each_request (nx, method, prefix, 0, conns, &n);
  return g_hash_table_size (conns);
}

/* fscache-run.c: running a command on an entry, for `load` and `ensure`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <glib/gi18n.h>

#include "fscache-util.h"

/* In the child: the signals the tool blocked (to cancel its wait) and
 * ignored (while CMD runs) are CMD's again. */
static void
run_child_setup (gpointer data)
{
  sigset_t all;

  sigemptyset (&all);
  sigaddset (&all, SIGINT);
  sigaddset (&all, SIGTERM);
  sigaddset (&all, SIGHUP);
  pthread_sigmask (SIG_UNBLOCK, &all, NULL);
  signal (SIGINT, SIG_DFL);
  signal (SIGQUIT, SIG_DFL);
}

int
fs_tool_run_command (FsTool *tool, char **cmd, const char *name, const char *path)
{
  g_autoptr (GPtrArray) child_argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) envp = g_get_environ ();
  g_autofree char *cache_dir = fs_tool_absolute_cache_dir (tool);
  struct sigaction ignore = { 0 }, old_int, old_quit;
  int wait_status = 0;
  gboolean spawned;

  for (char **a = cmd; *a != NULL; a++)
    {
      g_auto (GStrv) parts = g_strsplit (*a, "{}", -1);
      g_ptr_array_add (child_argv, g_strjoinv (path, parts));
    }
  g_ptr_array_add (child_argv, NULL);
  envp = g_environ_setenv (envp, "FSCACHE_ENTRY", path, TRUE);
  envp = g_environ_setenv (envp, "FSCACHE_ENTRY_NAME", name, TRUE);
  envp = g_environ_setenv (envp, "FSCACHE_DIR", cache_dir, TRUE);

  /* Like system(): the terminal's ^C and ^\ are for CMD, which decides. */
  ignore.sa_handler = SIG_IGN;
  sigemptyset (&ignore.sa_mask);
  sigaction (SIGINT, &ignore, &old_int);
  sigaction (SIGQUIT, &ignore, &old_quit);
  fflush (stdout);
  spawned = g_spawn_sync (NULL, (char **) child_argv->pdata, envp,
                          G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN |
                            G_SPAWN_LEAVE_DESCRIPTORS_OPEN,
                          run_child_setup, NULL, NULL, NULL, &wait_status, &error);
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGQUIT, &old_quit, NULL);
  if (!spawned)
    {
      fs_tool_error (_ ("Cannot run %s: %s"), cmd[0], error->message);
      return g_error_matches (error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT) ? 127 : 126;
    }
  if (WIFEXITED (wait_status))
    return WEXITSTATUS (wait_status);
  if (WIFSIGNALED (wait_status))
    return 128 + WTERMSIG (wait_status);
  return FS_TOOL_EXIT_FAILURE;
}

/* fs-test-nginx.h: a real nginx (WebDAV) for the C tests of the remote tier
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A thin C face of tests/remote/nginx_fixture.py (its docstring lists the
 * server's locations and the access log's fields): the fixture program
 * starts nginx on 127.0.0.1 on a free port with everything inside @dir,
 * prints "PORT PID", and stops nginx (SIGQUIT to PID, then SIGKILL to its
 * process group) when its standard input closes, which also happens when
 * the test process dies.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  const char *basic_user; /* with basic_password: auth_basic on every location */
  const char *basic_password;
  const char *bearer;     /* "Authorization: Bearer TOKEN" required */
  const char *limit_rate; /* of /slow/ (default "1k") */
} FsTestNginxOptions;

typedef struct {
  char *dir;
  char *root; /* the folder served at / (and /slow/) */
  char *url;  /* "http://127.0.0.1:PORT/" */
  guint port;
  GPid pid; /* nginx's master process, leader of its process group */
  GSubprocess *fixture;
} FsTestNginx;

/* Starts nginx in @dir (created). NULL after g_test_skip() when nginx is not
 * installed; any other failure fails the test. */
FsTestNginx *fs_test_nginx_start (const char *dir, const FsTestNginxOptions *options);
/* Stops nginx (if it still runs) and frees @nx. */
void fs_test_nginx_stop (FsTestNginx *nx);
/* Kills master and workers at once (SIGKILL to the group): the server died. */
void fs_test_nginx_kill (FsTestNginx *nx);
/* url + @location ("slow/", "e500/", …). */
char *fs_test_nginx_url (FsTestNginx *nx, const char *location);
/* root/@rel. */
char *fs_test_nginx_path (FsTestNginx *nx, const char *rel);
/* Requests in the access log with @method (NULL: any) whose path starts
 * with @prefix and whose status is @status (0: any). */
guint fs_test_nginx_count (FsTestNginx *nx, const char *method, const char *prefix, guint status);
/* Distinct connections that carried such requests. */
guint fs_test_nginx_count_connections (FsTestNginx *nx, const char *method, const char *prefix);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FsTestNginx, fs_test_nginx_stop)

G_END_DECLS

/* fs-http-credentials.c: the remote's credentials as an Authorization header
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * From the environment (FSCACHE_REMOTE_TOKEN, or FSCACHE_REMOTE_USER and
 * FSCACHE_REMOTE_PASSWORD), else from the file named by
 * options->credentials_file ("bearer TOKEN", "basic USER:PASSWORD" or a
 * bare token on its first line that is not a comment); never from
 * cache.info. Messages name the variable or the file and line, never the
 * secret; buffers that held one are wiped. fs-http.c says more.
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fs-http-private.h"
#include "fs-util-private.h"

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

gboolean
_fs_http_find_credentials (const FsHttpOptions *options, char **out_header, GError **error)
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

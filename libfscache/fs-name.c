/* fs-name.c: entry names
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "fscache.h"
#include "fs-name-private.h"
#include "fs-util-private.h"

gboolean
_fs_name_check (const char *name, GError **error)
{
  gsize len;
  const char *why = NULL;

  len = strlen (name);
  if (len == 0)
    why = _ ("it is empty");
  else if (len > FS_NAME_MAX)
    why = _ ("it is longer than 255 bytes");
  else if (!g_utf8_validate (name, (gssize) len, NULL))
    why = _ ("it is not valid UTF-8");
  else if (strchr (name, '/') != NULL)
    why = _ ("it contains “/”");
  else if (g_str_equal (name, ".") || g_str_equal (name, ".."))
    why = _ ("it is “.” or “..”");
  else if (g_str_has_prefix (name, "uuid-"))
    why = _ ("names starting with “uuid-” are reserved");

  if (why != NULL)
    {
      g_autofree char *shown = g_utf8_make_valid (name, (gssize) MIN (len, 64));
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INVALID_NAME,
                   _ ("Invalid entry name “%s%s”: %s"), shown, len > 64 ? "…" : "", why);
      return FALSE;
    }
  return TRUE;
}

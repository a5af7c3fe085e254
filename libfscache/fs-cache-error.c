/* fs-cache-error.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "fs-cache-error.h"
#include "fs-util-private.h"

/**
 * fs_cache_error_quark:
 *
 * The error domain of libfscache: see [error@FsCache.CacheError].
 *
 * Returns: the quark of %FS_CACHE_ERROR
 *
 * Since: 1.0
 */
/* clang-format off */
G_DEFINE_QUARK (fs-cache-error-quark, fs_cache_error)
/* clang-format on */

/**
 * fs_cache_name_is_valid:
 * @name: an entry name
 * @error: return location for a #GError
 *
 * Checks that @name can name an entry: 1 to 255 bytes of valid UTF-8,
 * without `/`, not `.` or `..`, and not starting with `uuid-` (reserved for
 * anonymous entries). No valid name can reach outside the cache.
 *
 * Returns: %TRUE if @name is valid, else %FALSE with @error set to
 *   %FS_CACHE_ERROR_INVALID_NAME
 *
 * Since: 1.0
 */
gboolean
fs_cache_name_is_valid (const char *name, GError **error)
{
  gsize len;
  const char *why = NULL;

  g_return_val_if_fail (name != NULL, FALSE);

  _fs_i18n_init ();

  len = strlen (name);
  if (len == 0)
    why = _ ("it is empty");
  else if (len > 255)
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

/* fuzz-name.c: name validation (fs_cache_name_is_valid)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "fscache.h"
#include "fuzz-common.h"

/* DESIGN §4, read independently: 1–255 bytes of valid UTF-8 (no NUL), no
 * "/", not "." or "..", not starting with "uuid-". */
static gboolean
reference (const char *name)
{
  size_t len = strlen (name);

  if (len == 0 || len > 255)
    return FALSE;
  if (!g_utf8_validate (name, -1, NULL))
    return FALSE;
  if (strchr (name, '/') != NULL)
    return FALSE;
  if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return FALSE;
  if (strncmp (name, "uuid-", 5) == 0)
    return FALSE;
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *name = g_strndup ((const char *) data, size); /* stops at a NUL */
  g_autoptr (GError) error = NULL;
  gboolean valid = fs_cache_name_is_valid (name, &error);

  FUZZ_CHECK (valid == reference (name));
  FUZZ_CHECK (valid == (error == NULL));
  if (!valid)
    {
      FUZZ_CHECK (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INVALID_NAME));
      /* the message is printable whatever the name was */
      FUZZ_CHECK (g_utf8_validate (error->message, -1, NULL));
    }
  else
    {
      /* a valid name is one path component inside objects/ */
      g_autofree char *path = g_build_filename ("/cache/objects", name, NULL);
      g_autofree char *canon = g_canonicalize_filename (path, "/");
      g_autofree char *parent = g_path_get_dirname (canon);
      FUZZ_CHECK (g_str_equal (parent, "/cache/objects"));
    }
  /* without an error location as well */
  FUZZ_CHECK (fs_cache_name_is_valid (name, NULL) == valid);
  return 0;
}

/* fs-manifest-helper.c: the library's manifest of a directory, for the
 * Python tests (which compare it with their own reading of the format)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   fs-manifest-helper build DIR [THREADS]    the manifest's bytes on stdout
 *   fs-manifest-helper verify DIR FILE        the differences, one per line
 */

#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs-manifest-private.h"
#include "fs-util-private.h"

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  if (argc >= 3 && strcmp (argv[1], "build") == 0)
    {
      guint threads = argc > 3 ? (guint) atoi (argv[3]) : 0;
      g_autoptr (FsCacheManifest) m =
        _fs_manifest_build_at (AT_FDCWD, argv[2], FS_MANIFEST_BUILD_NONE, threads, NULL, &error);
      GBytes *bytes;
      gsize len = 0;
      const void *data;

      if (m == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      bytes = fs_cache_manifest_get_bytes (m);
      data = g_bytes_get_data (bytes, &len);
      return fwrite (data, 1, len, stdout) == len && fflush (stdout) == 0 ? 0 : 1;
    }
  if (argc == 4 && strcmp (argv[1], "verify") == 0)
    {
      g_autoptr (GPtrArray) diffs = NULL;
      g_autoptr (FsCacheManifest) m = NULL;
      g_autoptr (GBytes) bytes = NULL;
      g_autofree char *data = NULL;
      gsize len = 0;

      if (!g_file_get_contents (argv[3], &data, &len, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      bytes = g_bytes_new_take (g_steal_pointer (&data), len);
      m = fs_cache_manifest_new_from_bytes (bytes, &error);
      if (m == NULL ||
          !_fs_manifest_verify_at (AT_FDCWD, argv[2], m, 0, NULL, NULL, &diffs, NULL, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      for (guint i = 0; i < diffs->len; i++)
        {
          g_autofree char *line = fs_cache_difference_to_string (diffs->pdata[i]);
          printf ("%s\n", line);
        }
      return diffs->len == 0 ? 0 : 3;
    }
  fprintf (stderr, "usage: %s build DIR [THREADS] | verify DIR MANIFEST\n", argv[0]);
  return 2;
}

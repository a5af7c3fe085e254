/* fuzz-object-info.c: the parser of object.info (_fs_meta_parse_object_info)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "fs-meta-private.h"
#include "fs-util-private.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *boot_id = NULL;
  guint64 value = 0;

  fuzz_check_read_as_file (data, size);
  /* with and without the boot id */
  if (_fs_meta_parse_object_info ((const char *) data, size, &value, NULL))
    {
      guint64 again = 0;
      FUZZ_CHECK (_fs_meta_parse_object_info ((const char *) data, size, &again, &boot_id));
      FUZZ_CHECK (again == value);
      FUZZ_CHECK (value <= (guint64) G_MAXINT64);
      {
        /* what we write for it parses back the same */
        const char *id =
          boot_id != NULL && strlen (boot_id) == 32 && strspn (boot_id, "0123456789abcdef") == 32
            ? boot_id
            : "00000000000040008000000000000000";
        g_autofree char *out_id = NULL;
        gsize len = 0;
        g_autofree char *text = _fs_meta_format_object_info (id, value, NULL, &len);
        guint64 back = 0;

        FUZZ_CHECK (text != NULL && len == strlen (text));
        FUZZ_CHECK (_fs_meta_parse_object_info (text, len, &back, &out_id));
        FUZZ_CHECK (back == value);
        FUZZ_CHECK (g_strcmp0 (out_id, id) == 0);
      }
    }
  else
    FUZZ_CHECK (!_fs_meta_parse_object_info ((const char *) data, size, &value, &boot_id));

  /* the tree digest: the fast path and json-glib agree on it */
  {
    g_autofree char *fast = NULL;
    g_autofree char *slow = NULL;
    g_autofree char *b1 = NULL;
    g_autofree char *b2 = NULL;
    guint64 s1 = 0, s2 = 0;
    gboolean ok1 = _fs_meta_parse_object_info_full ((const char *) data, size, &s1, &b1, &fast);
    gboolean ok2 = FALSE;

    /* (json-glib is never given more than FS_META_MAX_SIZE: the readers
     * refuse larger files before parsing.) */
    if (size <= FS_META_MAX_SIZE && memchr (data, '\0', size) == NULL &&
        g_utf8_validate_len ((const char *) data, size, NULL))
      {
        ok2 = _fs_meta_parse_object_info_json ((const char *) data, size, &s2, &b2, &slow);
        FUZZ_CHECK (ok1 == ok2);
        if (ok1)
          FUZZ_CHECK (g_strcmp0 (fast, slow) == 0);
      }
    FUZZ_CHECK (fast == NULL || (strlen (fast) == 64 && strspn (fast, "0123456789abcdef") == 64));
  }
  return 0;
}

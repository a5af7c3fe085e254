/* fuzz-intent.c: the parser of journal/size.intent (_fs_meta_parse_intent)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "fs-meta-private.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FsIntent intent;
  char buf[FS_INTENT_WIDTH + 1];
  FsIntent back;

  fuzz_check_read_as_file (data, size);
  memset (&intent, 0xa5, sizeof intent);
  if (!_fs_meta_parse_intent ((const char *) data, size, &intent))
    return 0;

  if (intent.pending)
    {
      FUZZ_CHECK (memchr (intent.record, '\0', sizeof intent.record) != NULL);
      FUZZ_CHECK ((g_str_has_prefix (intent.record, "uuid-") && strlen (intent.record) == 37) ||
                  (g_str_has_prefix (intent.record, "bat-") && strlen (intent.record) == 36));
      /* the record named can never be a path */
      FUZZ_CHECK (strchr (intent.record, '/') == NULL && strstr (intent.record, "..") == NULL);
    }

  /* formats back (at the fixed width, when it fits) to the same intent */
  _fs_meta_format_intent (&intent, buf);
  FUZZ_CHECK (strlen (buf) == FS_INTENT_WIDTH);
  FUZZ_CHECK (_fs_meta_parse_intent (buf, FS_INTENT_WIDTH, &back));
  FUZZ_CHECK (back.pending == intent.pending && back.recount == intent.recount);
  FUZZ_CHECK (memchr (intent.boot, '\0', sizeof intent.boot) != NULL);
  FUZZ_CHECK (strcmp (back.boot, intent.boot) == 0);
  if (intent.pending)
    FUZZ_CHECK (strcmp (back.record, intent.record) == 0 && back.old_size == intent.old_size &&
                back.new_size == intent.new_size && back.after == intent.after);
  return 0;
}

/* fuzz-record.c: the parser of journal records (_fs_meta_parse_record)
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
  FsRecord record;

  fuzz_check_read_as_file (data, size);
  memset (&record, 0xa5, sizeof record);
  if (!_fs_meta_parse_record ((const char *) data, size, &record))
    return 0;

  FUZZ_CHECK (record.op == FS_RECORD_OP_NONE || record.op == FS_RECORD_OP_STORE ||
              record.op == FS_RECORD_OP_REMOVE);
  if (record.op == FS_RECORD_OP_NONE)
    {
      FUZZ_CHECK (size == 0);
      return 0;
    }
  /* the name is a C string of 1–255 bytes taken from the input */
  FUZZ_CHECK (memchr (record.name, '\0', sizeof record.name) != NULL);
  FUZZ_CHECK (strlen (record.name) >= 1 && strlen (record.name) <= 255);
  FUZZ_CHECK (size >= strlen (record.name) &&
              memcmp (data + size - strlen (record.name), record.name, strlen (record.name)) == 0);
  {
    gsize len = 0;
    g_autofree char *text = _fs_meta_format_record (&record, &len);
    FsRecord back;

    FUZZ_CHECK (text != NULL && len == strlen (text));
    /* what the formatter writes for it parses back to the same record */
    FUZZ_CHECK (_fs_meta_parse_record (text, len, &back));
    FUZZ_CHECK (back.op == record.op && back.accounted == record.accounted &&
                back.size == record.size && strcmp (back.name, record.name) == 0);
  }
  return 0;
}

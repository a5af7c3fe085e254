/* fuzz-cache-size.c: the parser of cache.size (_fs_meta_parse_size)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "fs-meta-private.h"
#include "fuzz-common.h"

/* The format, read independently: JSON white space, then a decimal
 * number without sign, leading zero (except "0" itself), fraction or
 * exponent that fits in 64 bits, then JSON white space. */
static gboolean
reference (const char *d, size_t n, guint64 *out)
{
  size_t i = 0, end = n;
  guint64 v = 0;

  while (i < n && strchr (" \t\r\n", d[i]) != NULL && d[i] != '\0')
    i++;
  while (end > i && strchr (" \t\r\n", d[end - 1]) != NULL && d[end - 1] != '\0')
    end--;
  if (i == end || (d[i] == '0' && end - i > 1))
    return FALSE;
  for (; i < end; i++)
    {
      if (d[i] < '0' || d[i] > '9')
        return FALSE;
      if (v > G_MAXUINT64 / 10 ||
          (v == G_MAXUINT64 / 10 && (guint64) (d[i] - '0') > G_MAXUINT64 % 10))
        return FALSE;
      v = v * 10 + (guint64) (d[i] - '0');
    }
  *out = v;
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *d = (const char *) data;
  guint64 got = 0, want = 0;
  gboolean ok, ref;

  fuzz_check_read_as_file (data, size);
  ok = _fs_meta_parse_size (d, size, &got);
  ref = reference (d, size, &want);

  FUZZ_CHECK (ok == ref);
  if (ok)
    {
      char buf[FS_SIZE_FILE_WIDTH + 1];
      guint64 again = 0;

      FUZZ_CHECK (got == want);
      /* what we write parses back to the same value, at the fixed width */
      _fs_meta_format_size (got, buf);
      FUZZ_CHECK (strlen (buf) == FS_SIZE_FILE_WIDTH);
      FUZZ_CHECK (_fs_meta_parse_size (buf, FS_SIZE_FILE_WIDTH, &again));
      FUZZ_CHECK (again == got);
    }
  return 0;
}

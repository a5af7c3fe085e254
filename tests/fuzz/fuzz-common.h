/* fuzz-common.h: shared bits of the libFuzzer harnesses
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each harness feeds the bytes it is given to one parser of the library,
 * exactly as the library would give it the contents of a file of a shared
 * cache (which anyone who can write the cache can fill), then checks what
 * the parser says against an independent reading of the format: a parse
 * that succeeds must give a value that formats back and parses again to
 * the same value. A mismatch aborts; so does a critical (run them with
 * G_DEBUG=fatal-criticals), a sanitizer report, or a crash.
 */

#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include "fs-util-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                          \
  G_STMT_START                                                                    \
  {                                                                               \
    if (!(cond))                                                                  \
      {                                                                           \
        fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        abort ();                                                                 \
      }                                                                           \
  }                                                                               \
  G_STMT_END

/* The input read back as the library reads a metadata file
 * (_fs_read_small_fd, from a memfd): the same bytes when it is at most
 * FS_META_MAX_SIZE long; longer, refused with EFBIG, which the library
 * treats as a corrupt file (_fs_errno_is_invalid_meta), never as an error.
 * (-max_len in run-fuzzers.sh is above the limit, and each corpus has
 * seeds just over it.) Only inputs of a page or more: a shorter file is
 * one read, and a memfd per input would slow every run down. */
static inline void
fuzz_check_read_as_file (const uint8_t *data, size_t size)
{
  g_autofree char *back = NULL;
  gsize len = 0;
  int errsv = 0;
  int fd;

  if (size < 4096)
    return;
  fd = memfd_create ("fuzz", MFD_CLOEXEC);
  FUZZ_CHECK (fd >= 0);
  FUZZ_CHECK (write (fd, data, size) == (ssize_t) size);
  if (_fs_read_small_fd (fd, &back, &len, &errsv))
    {
      FUZZ_CHECK (size <= FS_META_MAX_SIZE);
      FUZZ_CHECK (len == size && memcmp (back, data, size) == 0 && back[len] == '\0');
    }
  else
    {
      FUZZ_CHECK (size > FS_META_MAX_SIZE);
      FUZZ_CHECK (errsv == EFBIG && _fs_errno_is_invalid_meta (errsv));
      FUZZ_CHECK (back == NULL);
    }
  close (fd);
}

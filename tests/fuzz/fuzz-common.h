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

#include <glib.h>

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

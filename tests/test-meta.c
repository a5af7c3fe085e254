/* test-meta.c: the fast object.info parser agrees with json-glib
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "fs-meta-private.h"

static void
check_agrees (const char *text)
{
  guint64 fast_size = 0, json_size = 0;
  g_autofree char *fast_boot = NULL;
  g_autofree char *json_boot = NULL;
  g_autofree char *fast_digest = NULL;
  g_autofree char *json_digest = NULL;
  gboolean fast, slow;

  fast =
    _fs_meta_parse_object_info_full (text, strlen (text), &fast_size, &fast_boot, &fast_digest);
  slow =
    _fs_meta_parse_object_info_json (text, strlen (text), &json_size, &json_boot, &json_digest);
  if (fast != slow)
    g_error ("parsers disagree on «%s»: fast %d, json-glib %d", text, fast, slow);
  if (fast)
    {
      g_assert_cmpuint (fast_size, ==, json_size);
      g_assert_cmpstr (fast_boot, ==, json_boot);
      g_assert_cmpstr (fast_digest, ==, json_digest);
    }
}

static void
test_known_forms (void)
{
  static const char *const cases[] = {
    "{\"creation-boot-id\": \"3385978550bc45ad85c1e6817fffd0a2\", \"size\": 4096}",
    "{\"size\": 4096, \"creation-boot-id\": \"3385978550bc45ad85c1e6817fffd0a2\"}",
    "{\"size\":0}",
    "{\"creation-boot-id\": \"3385978550bc45ad85c1e6817fffd0a2\", \"size\": 4096, "
    "\"fscache-tree-digest\": "
    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}",
    "{\"size\": 1, \"fscache-tree-digest\": \"E3B0\"}",
    "{\"size\": 1, \"fscache-tree-digest\": 7}",
    " \n{ \"size\" : 12 , \"x\" : null , \"y\": true, \"z\": false }\n",
    "{\"size\": -0}",
    "{\"size\": -1}",
    "{\"size\": 1.0}",
    "{\"size\": 1e3}",
    "{\"size\": 012}",
    "{\"size\": \"12\"}",
    "{\"size\": 12, \"size\": \"x\"}",
    "{\"size\": \"x\", \"size\": 12}",
    "{\"size\": 123456789012345678}",
    "{\"size\": 1234567890123456789}",
    "{\"size\": 99999999999999999999}",
    "{\"size\": 12, \"nested\": {\"a\": [1, 2]}}",
    "{\"size\": 12,}",
    "{\"size\": 12",
    "{\"size\" 12}",
    "{}",
    "[]",
    "12",
    "",
    "{\"size\": 12} x",
    "{\"size\": 12, \"creation-boot-id\": \"a\\\"b\"}",
    "{\"size\": 12, \"creation-boot-id\": 5}",
    "{\"si\\u007ae\": 12}",
    "{\"size\": tru}",
    "{\"size\": 12 /* comment */}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_agrees (cases[i]);
}

/* Random edits of a valid object.info: every result must get the same
 * answer from both parsers. */
static void
test_mutations (void)
{
  static const char base[] =
    "{\"creation-boot-id\": \"3385978550bc45ad85c1e6817fffd0a2\", \"size\": 4096}";
  static const char alphabet[] = "{}[]\":, \t\n-0123456789.eEtrufalsnize\\/x";

  for (int round = 0; round < 20000; round++)
    {
      char text[sizeof base + 8];
      gsize len = sizeof base - 1;
      int edits = g_test_rand_int_range (1, 4);

      memcpy (text, base, sizeof base);
      for (int e = 0; e < edits; e++)
        {
          gsize at = (gsize) g_test_rand_int_range (0, (int) len);
          char c = alphabet[g_test_rand_int_range (0, (int) sizeof alphabet - 1)];
          switch (g_test_rand_int_range (0, 3))
            {
            case 0: /* replace */
              text[at] = c;
              break;
            case 1: /* delete */
              memmove (text + at, text + at + 1, len - at);
              len--;
              break;
            default: /* insert */
              if (len + 1 < sizeof text)
                {
                  memmove (text + at + 1, text + at, len - at + 1);
                  text[at] = c;
                  len++;
                }
            }
          text[len] = '\0';
        }
      check_agrees (text);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/meta/object-info/known-forms", test_known_forms);
  g_test_add_func ("/meta/object-info/mutations", test_mutations);
  return g_test_run ();
}

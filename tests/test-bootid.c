/* test-bootid.c: the hashed boot id (DESIGN §3)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "fs-test-util.h"

/* An independent implementation of the derivation, as DESIGN §3 states it. */
static char *
reference_boot_id (const char *app_id, const char *kernel_boot_id)
{
  g_autoptr (GHmac) hmac =
    g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) kernel_boot_id, strlen (kernel_boot_id));
  guint8 digest[32];
  gsize len = sizeof digest;
  GString *out = g_string_new (NULL);
  guint8 b6;

  g_hmac_update (hmac, (const guchar *) app_id, (gssize) strlen (app_id));
  g_hmac_get_digest (hmac, digest, &len);
  g_assert_cmpuint (len, ==, 32);

  b6 = digest[6];
  digest[6] = (guint8) ((b6 & 0x0f) | 0x40);
  digest[8] = (guint8) ((b6 & 0x0f) | 0x80); /* sic: from byte 6, as osbuild does */

  for (int i = 0; i < 16; i++)
    g_string_append_printf (out, "%02x", digest[i]);
  return g_string_free (out, FALSE);
}

static void
assert_boot_id_shape (const char *id)
{
  g_assert_nonnull (id);
  g_assert_cmpuint (strlen (id), ==, 32);
  for (const char *p = id; *p; p++)
    g_assert_true (g_ascii_isdigit (*p) || (*p >= 'a' && *p <= 'f'));
}

static void
test_compute_example (void)
{
  g_autofree char *id =
    fs_cache_compute_boot_id ("osbuild", "48d711d7-68e6-4109-842f-7a9edb178f12");

  g_assert_cmpstr (id, ==, "3385978550bc45ad85c1e6817fffd0a2");
}

static void
test_compute_second_example (void)
{
  /* Computed with Python's hmac module for the same kernel boot id. */
  g_autofree char *id =
    fs_cache_compute_boot_id (FS_TEST_APP_ID, "48d711d7-68e6-4109-842f-7a9edb178f12");

  g_assert_cmpstr (id, ==, "85f6331444e047bf87c7297867685b89");
}

/* Agrees with the reference on many random inputs. */
static void
test_compute_matches_reference (void)
{
  for (int i = 0; i < 200; i++)
    {
      g_autofree char *app_id = g_strdup_printf ("app-%d-%08x", i, g_test_rand_int ());
      g_autofree char *kernel =
        g_strdup_printf ("%08x-%04x-4%03x-8%03x-%08x%04x", g_test_rand_int (),
                         g_test_rand_int_range (0, 0x10000), g_test_rand_int_range (0, 0x1000),
                         g_test_rand_int_range (0, 0x1000), g_test_rand_int (),
                         g_test_rand_int_range (0, 0x10000));
      g_autofree char *expected = reference_boot_id (app_id, kernel);
      g_autofree char *got = fs_cache_compute_boot_id (app_id, kernel);

      assert_boot_id_shape (got);
      g_assert_cmpstr (got, ==, expected);
      /* byte 6 is 0x4?, byte 8 is 0x8? with the same low nibble as byte 6 */
      g_assert_cmpint (got[12], ==, '4');
      g_assert_cmpint (got[16], ==, '8');
      g_assert_cmpint (got[13], ==, got[17]);
    }
}

static void
test_compute_distinct (void)
{
  const char *kernel = "48d711d7-68e6-4109-842f-7a9edb178f12";
  g_autofree char *a = fs_cache_compute_boot_id ("app-a", kernel);
  g_autofree char *b = fs_cache_compute_boot_id ("app-b", kernel);
  g_autofree char *c = fs_cache_compute_boot_id ("app-a", "11111111-2222-4333-8444-555555555555");

  assert_boot_id_shape (a);
  assert_boot_id_shape (b);
  assert_boot_id_shape (c);
  g_assert_cmpstr (a, !=, b);
  g_assert_cmpstr (a, !=, c);
}

static char *
kernel_boot_id (void)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_file_get_contents ("/proc/sys/kernel/random/boot_id", &contents, NULL, &error))
    return NULL;
  return g_strdup (g_strstrip (contents));
}

static void
test_cache_boot_id (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *kernel = kernel_boot_id ();
  g_autofree char *expected = NULL;

  if (kernel == NULL)
    {
      g_test_skip ("no /proc/sys/kernel/random/boot_id");
      return;
    }

  expected = fs_cache_compute_boot_id (FS_TEST_APP_ID, kernel);
  assert_boot_id_shape (expected);
  g_assert_cmpstr (fs_cache_get_boot_id (fx->cache), ==, expected);
  {
    g_autofree char *reference = reference_boot_id (FS_TEST_APP_ID, kernel);

    g_assert_cmpstr (fs_cache_get_boot_id (fx->cache), ==, reference);
  }
}

static void
test_object_info_boot_id (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *info_path =
    g_build_filename (fx->cache_dir, "objects", "e", "object.info", NULL);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (JsonObject) info = NULL;
  FsCacheCommitStatus status;
  JsonNode *member;

  entry = fs_test_store_commit (fx->cache, "e", 100, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);

  info = fs_test_read_json_object (info_path);
  member = json_object_get_member (info, "creation-boot-id");
  g_assert_nonnull (member);
  g_assert_true (JSON_NODE_HOLDS_VALUE (member));
  g_assert_cmpint (json_node_get_value_type (member), ==, G_TYPE_STRING);
  assert_boot_id_shape (json_node_get_string (member));
  g_assert_cmpstr (json_node_get_string (member), ==, fs_cache_get_boot_id (fx->cache));

  /* and it is the derivation from the running kernel's boot id */
  {
    g_autofree char *kernel = kernel_boot_id ();

    if (kernel != NULL)
      {
        g_autofree char *expected = reference_boot_id (FS_TEST_APP_ID, kernel);

        g_assert_cmpstr (json_node_get_string (member), ==, expected);
      }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bootid/compute/example", test_compute_example);
  g_test_add_func ("/bootid/compute/second-example", test_compute_second_example);
  g_test_add_func ("/bootid/compute/reference", test_compute_matches_reference);
  g_test_add_func ("/bootid/compute/distinct", test_compute_distinct);
  g_test_add ("/bootid/cache", FsTestFixture, NULL, fs_test_fixture_setup_cache, test_cache_boot_id,
              fs_test_fixture_teardown);
  g_test_add ("/bootid/object-info", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_object_info_boot_id, fs_test_fixture_teardown);

  return g_test_run ();
}

/* test-manifest.c: SHA-256, the manifest format, building and verifying
 * manifests (issue 13)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs-cache-manifest-private.h"
#include "fs-digest-private.h"
#include "fs-manifest-private.h"
#include "fs-test-util.h"
#include "fs-util-private.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static void
write_bytes (const char *path, const void *data, gsize len)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
}

static void
write_text (const char *path, const char *text)
{
  write_bytes (path, text, strlen (text));
}

static void
make_dir (const char *path, mode_t mode)
{
  if (mkdir (path, mode) < 0)
    g_error ("mkdir %s: %s", path, g_strerror (errno));
  /* exactly @mode, whatever the umask */
  g_assert_cmpint (chmod (path, mode), ==, 0);
}

static char *
sha256_of (const void *data, gsize len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
}

static char *
sha256_of_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return sha256_of (data, len);
}

/* TRUE when user.* xattrs can be set below @dir. */
static gboolean
have_user_xattrs (const char *dir)
{
  g_autofree char *probe = g_build_filename (dir, ".xattr-probe", NULL);
  gboolean ok;

  write_text (probe, "");
  ok = setxattr (probe, "user.probe", "1", 1, 0) == 0;
  unlink (probe);
  return ok;
}

static void
make_socket (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof addr.sun_path)
    {
      g_assert_cmpint (mknod (path, S_IFSOCK | 0755, 0), ==, 0);
      return;
    }
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  close (fd);
}

static FsCacheManifest *
build (const char *dir, guint n_threads)
{
  g_autoptr (GError) error = NULL;
  FsCacheManifest *m =
    _fs_manifest_build_at (AT_FDCWD, dir, FS_MANIFEST_BUILD_NONE, n_threads, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

static gboolean
bytes_equal (FsCacheManifest *a, FsCacheManifest *b)
{
  return g_bytes_equal (fs_cache_manifest_get_bytes (a), fs_cache_manifest_get_bytes (b));
}

static const char *
kind_nick (FsCacheDifferenceKind kind)
{
  GEnumClass *klass = g_type_class_ref (FS_TYPE_CACHE_DIFFERENCE_KIND);
  GEnumValue *v = g_enum_get_value (klass, (gint) kind);
  const char *nick = v != NULL ? v->value_nick : "?";

  g_type_class_unref (klass);
  return nick;
}

/* The differences as "path:kind path:kind …" in their order. */
static char *
verify (const char *dir, FsCacheManifest *m, guint n_threads)
{
  g_autoptr (GPtrArray) diffs = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) out = g_string_new (NULL);

  g_assert_true (
    _fs_manifest_verify_at (AT_FDCWD, dir, m, n_threads, NULL, NULL, &diffs, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < diffs->len; i++)
    {
      FsCacheDifference *d = diffs->pdata[i];
      g_autofree char *line = fs_cache_difference_to_string (d);

      g_test_message ("difference: %s", line);
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append_printf (out, "%s:%s", fs_cache_difference_get_path (d),
                              kind_nick (fs_cache_difference_get_kind (d)));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
assert_verify (const char *dir, FsCacheManifest *m, const char *expected)
{
  /* One thread and several must find the same. */
  g_autofree char *one = verify (dir, m, 1);
  g_autofree char *many = verify (dir, m, 3);

  g_assert_cmpstr (one, ==, expected);
  g_assert_cmpstr (many, ==, expected);
}

static FsCacheManifestNode *
lookup (FsCacheManifest *m, const char *path)
{
  FsCacheManifestNode *node = fs_cache_manifest_lookup (m, path);

  if (node == NULL)
    g_error ("no node %s in the manifest", path);
  return node;
}

/* Paths of the nodes whose serialized tuples differ between @a and @b (same
 * paths on both sides). */
static char *
changed_nodes (FsCacheManifest *a, FsCacheManifest *b)
{
  g_autoptr (GString) out = g_string_new (NULL);
  guint n = fs_cache_manifest_get_n_nodes (a);

  g_assert_cmpuint (n, ==, fs_cache_manifest_get_n_nodes (b));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (FsCacheManifestNode) x = fs_cache_manifest_get_node (a, i);
      g_autoptr (FsCacheManifestNode) y = fs_cache_manifest_get_node (b, i);

      g_assert_cmpstr (fs_cache_manifest_node_get_path (x), ==,
                       fs_cache_manifest_node_get_path (y));
      if (g_strcmp0 (fs_cache_manifest_node_get_sha256 (x),
                     fs_cache_manifest_node_get_sha256 (y)) != 0 ||
          fs_cache_manifest_node_get_mode (x) != fs_cache_manifest_node_get_mode (y) ||
          fs_cache_manifest_node_get_size (x) != fs_cache_manifest_node_get_size (y) ||
          fs_cache_manifest_node_get_node_type (x) != fs_cache_manifest_node_get_node_type (y))
        {
          if (out->len > 0)
            g_string_append_c (out, ' ');
          g_string_append (out, fs_cache_manifest_node_get_path (x));
        }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* @base/@name, alive as long as @pool. */
static const char *
at_path (GPtrArray *pool, const char *base, const char *name)
{
  char *p = g_build_filename (base, name, NULL);

  g_ptr_array_add (pool, p);
  return p;
}

/* A small tree of every common kind: src/{a, b/, b/c, b/d -> c, e (empty)} */
static char *
make_small_tree (const char *base)
{
  char *src = g_build_filename (base, "src", NULL);
  g_autofree char *a = g_build_filename (src, "a", NULL);
  g_autofree char *b = g_build_filename (src, "b", NULL);
  g_autofree char *c = g_build_filename (src, "b", "c", NULL);
  g_autofree char *d = g_build_filename (src, "b", "d", NULL);
  g_autofree char *e = g_build_filename (src, "e", NULL);

  make_dir (src, 0755);
  write_text (a, "alpha\n");
  make_dir (b, 0750);
  write_text (c, "gamma gamma\n");
  g_assert_cmpint (symlink ("c", d), ==, 0);
  write_text (e, "");
  g_assert_cmpint (chmod (a, 0644), ==, 0);
  g_assert_cmpint (chmod (c, 0600), ==, 0);
  g_assert_cmpint (chmod (e, 0644), ==, 0);
  return src;
}

/* ------------------------------------------------------------------------ */
/* SHA-256                                                                   */

static void
test_digest_vectors (void)
{
  static const struct {
    const char *input;
    const char *hex;
  } vectors[] = {
    { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
  };
  g_autofree char *million = g_strnfill (1000000, 'a');
  g_autoptr (FsDigest) d = _fs_digest_new ();
  guint8 out[FS_DIGEST_SIZE];
  char hex[FS_DIGEST_HEX_SIZE];

  g_test_message ("implementation: %s", _fs_digest_implementation ());
  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      _fs_digest_buffer (vectors[i].input, strlen (vectors[i].input), out);
      _fs_digest_to_hex (out, hex);
      g_assert_cmpstr (hex, ==, vectors[i].hex);

      /* the same through a reused hasher, byte by byte */
      for (const char *p = vectors[i].input; *p != '\0'; p++)
        _fs_digest_update (d, p, 1);
      _fs_digest_finish (d, out);
      _fs_digest_to_hex (out, hex);
      g_assert_cmpstr (hex, ==, vectors[i].hex);
    }

  /* a million a's, in uneven pieces */
  for (gsize pos = 0, step = 1; pos < 1000000; pos += step, step = step * 3 % 65537 + 1)
    _fs_digest_update (d, million + pos, MIN (step, 1000000 - pos));
  _fs_digest_finish (d, out);
  _fs_digest_to_hex (out, hex);
  g_assert_cmpstr (hex, ==, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void
test_digest_hex (void)
{
  static const char good[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  guint8 out[FS_DIGEST_SIZE], marker[FS_DIGEST_SIZE];
  char hex[FS_DIGEST_HEX_SIZE];
  g_autofree char *upper = g_ascii_strup (good, -1);
  g_autofree char *longer = g_strconcat (good, "0", NULL);
  g_autofree char *spaced = g_strconcat (" ", good, NULL);
  g_autofree char *nonhex = g_strdup (good);

  g_assert_true (_fs_digest_from_hex (good, out));
  g_assert_cmpuint (out[0], ==, 0x00);
  g_assert_cmpuint (out[1], ==, 0x11);
  g_assert_cmpuint (out[15], ==, 0xff);
  _fs_digest_to_hex (out, hex);
  g_assert_cmpstr (hex, ==, good);

  memset (marker, 0x5a, sizeof marker);
  memcpy (out, marker, sizeof out);
  nonhex[40] = 'g';
  g_assert_false (_fs_digest_from_hex (upper, out));
  g_assert_false (_fs_digest_from_hex (longer, out));
  g_assert_false (_fs_digest_from_hex (spaced, out));
  g_assert_false (_fs_digest_from_hex (nonhex, out));
  g_assert_false (_fs_digest_from_hex ("", out));
  g_assert_false (_fs_digest_from_hex (NULL, out));
  {
    g_autofree char *shorter = g_strndup (good, 63);
    g_assert_false (_fs_digest_from_hex (shorter, out));
  }
  /* a failed parse leaves the output alone */
  g_assert_cmpmem (out, sizeof out, marker, sizeof marker);
}

static void
test_digest_fd (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *path = g_build_filename (fx->tmpdir, "f", NULL);
  g_autofree char *sparse = g_build_filename (fx->tmpdir, "sparse", NULL);
  g_autofree guint8 *data = g_malloc (3 * FS_DIGEST_BUFFER_SIZE + 7);
  g_autoptr (FsDigest) d = _fs_digest_new ();
  g_autoptr (GError) error = NULL;
  guint8 out[FS_DIGEST_SIZE];
  char hex[FS_DIGEST_HEX_SIZE];
  gsize sizes[] = { 0, 1, FS_DIGEST_BUFFER_SIZE, 3 * FS_DIGEST_BUFFER_SIZE + 7 };

  for (gsize i = 0; i < 3 * FS_DIGEST_BUFFER_SIZE + 7; i++)
    data[i] = (guint8) (i * 31 + i / 977);

  for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      g_autofree char *expected = sha256_of (data, sizes[s]);
      fs_autofd fd = -1;
      guint64 size = 1234;

      write_bytes (path, data, sizes[s]);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      g_assert_cmpint (fd, >=, 0);
      /* the caller's hasher and no buffer, or neither */
      g_assert_true (_fs_digest_fd (d, fd, NULL, NULL, 0, out, &size, NULL, path, &error));
      g_assert_no_error (error);
      _fs_digest_to_hex (out, hex);
      g_assert_cmpstr (hex, ==, expected);
      g_assert_true (_fs_digest_fd (NULL, fd, NULL, NULL, 0, out, &size, NULL, path, &error));
      g_assert_no_error (error);
      _fs_digest_to_hex (out, hex);
      g_assert_cmpstr (hex, ==, expected);
      g_assert_cmpuint (size, ==, sizes[s]);
      /* a small buffer: many chunks */
      {
        guint8 small[1000];
        g_assert_true (
          _fs_digest_fd (d, fd, NULL, small, sizeof small, out, NULL, NULL, path, &error));
        g_assert_no_error (error);
        _fs_digest_to_hex (out, hex);
        g_assert_cmpstr (hex, ==, expected);
      }
    }

  /* A sparse file: holes hashed as the zeros they read as. */
  {
    fs_autofd fd = open (sparse, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    gsize len = 8 * 1024 * 1024 + 5;
    g_autofree guint8 *content = g_malloc0 (len);
    g_autofree char *expected = NULL;
    guint64 size = 0;
    struct stat st;

    g_assert_cmpint (fd, >=, 0);
    /* data at 1 MiB and at 5 MiB, a trailing hole */
    memcpy (content + 1024 * 1024, "middle", 6);
    memcpy (content + 5 * 1024 * 1024, data, 70000);
    g_assert_true (_fs_write_all (fd, "middle", 6, 1024 * 1024));
    g_assert_true (_fs_write_all (fd, data, 70000, 5 * 1024 * 1024));
    g_assert_cmpint (ftruncate (fd, (off_t) len), ==, 0);
    g_assert_cmpint (fstat (fd, &st), ==, 0);
    if ((guint64) st.st_blocks * 512 >= len)
      g_test_message ("the file system did not keep the holes: the plain path is tested");
    expected = sha256_of (content, len);
    g_assert_true (_fs_digest_fd (d, fd, &st, NULL, 0, out, &size, NULL, sparse, &error));
    g_assert_no_error (error);
    _fs_digest_to_hex (out, hex);
    g_assert_cmpstr (hex, ==, expected);
    g_assert_cmpuint (size, ==, len);
  }

  /* Errors name the file; cancellation cancels. */
  {
    g_autoptr (GCancellable) cancellable = g_cancellable_new ();
    fs_autofd fd = open (path, O_RDONLY | O_CLOEXEC);

    g_assert_false (_fs_digest_fd (d, 9999, NULL, NULL, 0, out, NULL, NULL, "nowhere", &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
    g_assert_nonnull (strstr (error->message, "nowhere"));
    g_clear_error (&error);

    g_cancellable_cancel (cancellable);
    g_assert_false (_fs_digest_fd (d, fd, NULL, NULL, 0, out, NULL, cancellable, path, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    /* and the hasher is ready for the next file */
    _fs_digest_update (d, "abc", 3);
    _fs_digest_finish (d, out);
    _fs_digest_to_hex (out, hex);
    g_assert_cmpstr (hex, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
}

static void
on_progress (guint64 n_bytes, gpointer data)
{
  *(guint64 *) data += n_bytes;
}

static void
test_digest_copy (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *dst = g_build_filename (fx->tmpdir, "dst", NULL);
  g_autoptr (GError) error = NULL;
  gsize len = 6 * 1024 * 1024 + 3;
  g_autofree guint8 *content = g_malloc0 (len);
  guint8 out[FS_DIGEST_SIZE];
  char hex[FS_DIGEST_HEX_SIZE];
  gboolean reflinked = TRUE;
  guint64 progress = 0;

  for (int round = 0; round < 2; round++)
    {
      gboolean sparse = round == 1;
      fs_autofd sfd = open (src, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      fs_autofd dfd = -1;
      g_autofree char *expected = NULL;
      g_autofree char *copied = NULL;
      struct stat st, dst_st;

      g_assert_cmpint (sfd, >=, 0);
      memset (content, 0, len);
      if (sparse)
        {
          /* data in the middle only: holes before and after */
          for (gsize i = 0; i < 100000; i++)
            content[2 * 1024 * 1024 + i] = (guint8) (i % 251 + 1);
          g_assert_true (_fs_write_all (sfd, content + 2 * 1024 * 1024, 100000, 2 * 1024 * 1024));
          g_assert_cmpint (ftruncate (sfd, (off_t) len), ==, 0);
        }
      else
        {
          for (gsize i = 0; i < len; i++)
            content[i] = (guint8) (i % 253);
          g_assert_true (_fs_write_all (sfd, content, len, 0));
        }
      g_assert_cmpint (fstat (sfd, &st), ==, 0);
      expected = sha256_of (content, len);

      dfd = open (dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      g_assert_cmpint (dfd, >=, 0);
      progress = 0;
      g_assert_true (_fs_digest_copy_fd (NULL, sfd, dfd, &st, NULL, 0, out, &reflinked, on_progress,
                                         &progress, NULL, src, &error));
      g_assert_no_error (error);
      _fs_digest_to_hex (out, hex);
      g_assert_cmpstr (hex, ==, expected);
      g_assert_cmpuint (progress, ==, len);
      copied = sha256_of_file (dst);
      g_assert_cmpstr (copied, ==, expected);
      g_assert_cmpint (fstat (dfd, &dst_st), ==, 0);
      g_assert_cmpint (dst_st.st_size, ==, (off_t) len);
      if (sparse && !reflinked && (guint64) st.st_blocks * 512 < len)
        /* holes stay holes: the copy uses about what the source uses */
        g_assert_cmpint (dst_st.st_blocks, <=, st.st_blocks + 256);
      g_test_message ("round %d: reflinked %d, blocks %ld -> %ld", round, reflinked,
                      (long) st.st_blocks, (long) dst_st.st_blocks);
    }
}

/* ------------------------------------------------------------------------ */
/* The format                                                                */

static void
test_path_order (void)
{
  /* in the manifest's order */
  static const char *const sorted[] = { ".",  "a",  "a/b", "a/b/c", "a/bc",     "a-b", "a.b",
                                        "a0", "ab", "b",   "b/a",   "\xc3\xa9", "\xff" };

  for (gsize i = 0; i < G_N_ELEMENTS (sorted); i++)
    for (gsize j = 0; j < G_N_ELEMENTS (sorted); j++)
      {
        int c = _fs_manifest_path_compare (sorted[i], sorted[j]);
        if (i < j)
          g_assert_cmpint (c, <, 0);
        else if (i > j)
          g_assert_cmpint (c, >, 0);
        else
          g_assert_cmpint (c, ==, 0);
      }
}

/* A node for raw manifests; path_raw/path_raw_len, when set, replace the
 * bytestring of the path with exactly these bytes. */
typedef struct {
  const char *path;
  char type;
  guint32 mode, uid, gid;
  guint64 size;
  guint32 group, major, minor;
  const char *target;
  int sha_len; /* -1: 32 bytes for 'f', none for the others */
  GVariant *xattrs;
  const char *path_raw;
  gsize path_raw_len;
} Raw;

static const guint8 zero_sha[64];

static GVariant *
raw_node (const Raw *r)
{
  int sha_len = r->sha_len >= 0 ? r->sha_len : (r->type == 'f' ? 32 : 0);

  return g_variant_new ("(@ayyuuutuuu@ay@ay@a(ayay))",
                        r->path_raw != NULL
                          ? g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, r->path_raw,
                                                       r->path_raw_len, 1)
                          : g_variant_new_bytestring (r->path),
                        (guchar) r->type, r->mode, r->uid, r->gid, r->size, r->group, r->major,
                        r->minor, g_variant_new_bytestring (r->target != NULL ? r->target : ""),
                        g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, zero_sha, (gsize) sha_len,
                                                   1),
                        r->xattrs != NULL
                          ? r->xattrs
                          : g_variant_new_array (G_VARIANT_TYPE ("(ayay)"), NULL, 0));
}

static GBytes *
raw_manifest (guint32 version, const Raw *nodes, gsize n)
{
  GVariantBuilder b;
  g_autoptr (GVariant) v = NULL;

  g_variant_builder_init (&b, G_VARIANT_TYPE (FS_MANIFEST_V1_TYPE));
  for (gsize i = 0; i < n; i++)
    g_variant_builder_add_value (&b, raw_node (&nodes[i]));
  v = g_variant_ref_sink (g_variant_new ("(uv)", version, g_variant_builder_end (&b)));
  return g_variant_get_data_as_bytes (v);
}

#define ROOT                                                  \
  {                                                           \
    ".", 'd', 0755, 0, 0, 0, 0, 0, 0, NULL, -1, NULL, NULL, 0 \
  }
#define FILE_NODE(p)                                        \
  {                                                         \
    p, 'f', 0644, 0, 0, 0, 0, 0, 0, NULL, -1, NULL, NULL, 0 \
  }
#define DIR_NODE(p)                                         \
  {                                                         \
    p, 'd', 0755, 0, 0, 0, 0, 0, 0, NULL, -1, NULL, NULL, 0 \
  }

static void
assert_parse_fails (GBytes *bytes, gint code, const char *what)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheManifest) m = fs_cache_manifest_new_from_bytes (bytes, &error);

  g_assert_null (m);
  g_assert_error (error, FS_CACHE_ERROR, code);
  g_test_message ("%s: %s", what, error->message);
}

static void
assert_raw_corrupt (const Raw *nodes, gsize n, const char *what)
{
  g_autoptr (GBytes) bytes = raw_manifest (1, nodes, n);

  assert_parse_fails (bytes, FS_CACHE_ERROR_CORRUPT, what);
}

static void
test_raw_valid (void)
{
  Raw nodes[] = { ROOT,
                  DIR_NODE ("a"),
                  FILE_NODE ("a/b"),
                  FILE_NODE ("a/c"),
                  FILE_NODE ("a-b"),
                  { "l", 'l', 0777, 1, 2, 1, 0, 0, 0, "x", -1, NULL, NULL, 0 } };
  g_autoptr (GBytes) bytes = raw_manifest (1, nodes, G_N_ELEMENTS (nodes));
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheManifest) m = fs_cache_manifest_new_from_bytes (bytes, &error);
  g_autoptr (FsCacheManifestNode) l = NULL;
  g_autofree char *digest = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (fs_cache_manifest_get_n_nodes (m), ==, 6);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (m)), ==, 6);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (m)) == FS_TYPE_CACHE_MANIFEST_NODE);
  digest = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  g_assert_cmpstr (fs_cache_manifest_get_digest (m), ==, digest);
  g_assert_true (g_bytes_equal (fs_cache_manifest_get_bytes (m), bytes));
  l = lookup (m, "l");
  g_assert_cmpint (fs_cache_manifest_node_get_node_type (l), ==, FS_CACHE_NODE_TYPE_SYMLINK);
  g_assert_cmpstr (fs_cache_manifest_node_get_symlink_target (l), ==, "x");
  g_assert_cmpuint (fs_cache_manifest_node_get_uid (l), ==, 1);
  g_assert_cmpuint (fs_cache_manifest_node_get_gid (l), ==, 2);
  g_assert_null (fs_cache_manifest_node_get_sha256 (l));
  g_assert_null (fs_cache_manifest_lookup (m, "a/d"));
  g_assert_null (fs_cache_manifest_lookup (m, ""));
  g_assert_null (fs_cache_manifest_lookup (m, "./a"));
  g_assert_null (fs_cache_manifest_get_node (m, 6));
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (m), 6));
  for (guint i = 0; i < 6; i++)
    {
      g_autoptr (FsCacheManifestNode) node = fs_cache_manifest_get_node (m, i);
      g_autoptr (FsCacheManifestNode) again =
        fs_cache_manifest_lookup (m, fs_cache_manifest_node_get_path (node));

      g_assert_cmpuint (fs_cache_manifest_node_get_position (again), ==, i);
    }

  /* properties */
  {
    g_autofree char *prop_digest = NULL;
    guint64 total = 1;
    guint n = 0;

    g_object_get (m, "digest", &prop_digest, "total-size", &total, "n-nodes", &n, NULL);
    g_assert_cmpstr (prop_digest, ==, digest);
    g_assert_cmpuint (total, ==, 0);
    g_assert_cmpuint (n, ==, 6);
  }
}

static void
test_raw_corrupt (void)
{
  g_autoptr (GVariant) unsorted_x = NULL;
  static const char nul_inside[] = { 'a', 0, 'b', 0 };
  static const char no_nul[] = { 'a', 'b' };

  {
    Raw n[] = { ROOT, FILE_NODE ("b"), FILE_NODE ("a") };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "unsorted");
  }
  {
    Raw n[] = { ROOT, FILE_NODE ("a"), FILE_NODE ("a") };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "duplicate");
  }
  {
    Raw n[] = { ROOT, DIR_NODE ("a"), FILE_NODE ("a/..") };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "..");
  }
  {
    Raw n[] = { ROOT, FILE_NODE ("..") };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), ".. alone");
  }
  {
    Raw n[] = { ROOT, DIR_NODE ("a"), FILE_NODE ("a/.") };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), ". component");
  }
  {
    Raw n[] = { ROOT, FILE_NODE ("/etc") };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "absolute");
  }
  {
    Raw n[] = { ROOT, DIR_NODE ("a"), FILE_NODE ("a//b") };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "empty component");
  }
  {
    Raw n[] = { ROOT, DIR_NODE ("a"), FILE_NODE ("a/") };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "trailing slash");
  }
  {
    Raw n[] = { ROOT, FILE_NODE ("a"), FILE_NODE ("a/b") };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "parent is a file");
  }
  {
    Raw n[] = { ROOT, FILE_NODE ("x/y") };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "parent missing");
  }
  {
    Raw n[] = { FILE_NODE ("a") };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "no root");
  }
  {
    Raw n[] = { { ".", 'f', 0644, 0, 0, 0, 0, 0, 0, NULL, -1, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "root is a file");
  }
  {
    Raw n[] = { ROOT, ROOT };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "two roots");
  }
  {
    Raw n[] = { ROOT, { "", 'f', 0644, 0, 0, 0, 0, 0, 0, NULL, -1, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "empty path");
  }
  {
    Raw n[] = { ROOT, { NULL, 'f', 0644, 0, 0, 0, 0, 0, 0, NULL, -1, NULL, nul_inside, 4 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "NUL inside a path");
  }
  {
    Raw n[] = { ROOT, { NULL, 'f', 0644, 0, 0, 0, 0, 0, 0, NULL, -1, NULL, no_nul, 2 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "path without its NUL");
  }
  {
    g_autofree char *long_name = g_strnfill (256, 'n');
    Raw n[] = { ROOT, FILE_NODE (long_name) };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "component of 256 bytes");
  }
  {
    Raw n[] = { ROOT, { "a", 'x', 0644, 0, 0, 0, 0, 0, 0, NULL, -1, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "unknown type");
  }
  {
    Raw n[] = { ROOT, { "a", 'f', 0100644, 0, 0, 0, 0, 0, 0, NULL, -1, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "type bits in the mode");
  }
  {
    Raw n[] = { ROOT, { "a", 'f', 0644, 0, 0, 0, 0, 0, 0, NULL, 31, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "short sha256");
  }
  {
    Raw n[] = { ROOT, { "a", 'd', 0755, 0, 0, 0, 0, 0, 0, NULL, 32, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "sha256 on a directory");
  }
  {
    Raw n[] = { ROOT, { "a", 'l', 0777, 0, 0, 0, 0, 0, 0, "", -1, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "symlink without target");
  }
  {
    Raw n[] = { ROOT, { "a", 'l', 0777, 0, 0, 5, 0, 0, 0, "x", -1, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "symlink size is not its length");
  }
  {
    Raw n[] = { ROOT, { "a", 'f', 0644, 0, 0, 0, 0, 0, 0, "x", -1, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "target on a file");
  }
  {
    Raw n[] = { ROOT, { "a", 'p', 0644, 0, 0, 3, 0, 0, 0, NULL, -1, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "size on a fifo");
  }
  {
    Raw n[] = { ROOT, { "a", 'f', 0644, 0, 0, 0, 0, 1, 3, NULL, -1, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "device numbers on a file");
  }
  {
    Raw n[] = { ROOT, { "a", 'f', 0644, 0, 0, G_MAXUINT64, 0, 0, 0, NULL, -1, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "absurd size");
  }
  {
    Raw n[] = { ROOT, { "a", 'f', 0644, 0, 0, 0, 1, 0, 0, NULL, -1, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "group of one");
  }
  {
    Raw n[] = { ROOT,
                { "a", 'f', 0644, 0, 0, 0, 2, 0, 0, NULL, -1, NULL, NULL, 0 },
                { "b", 'f', 0644, 0, 0, 0, 2, 0, 0, NULL, -1, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "group 2 before group 1");
  }
  {
    Raw n[] = { ROOT,
                { "a", 'f', 0644, 0, 0, 0, 1, 0, 0, NULL, -1, NULL, NULL, 0 },
                { "b", 'f', 0600, 0, 0, 0, 1, 0, 0, NULL, -1, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "group members differ");
  }
  {
    Raw n[] = { ROOT,
                { "a", 'd', 0755, 0, 0, 0, 1, 0, 0, NULL, -1, NULL, NULL, 0 },
                { "b", 'd', 0755, 0, 0, 0, 1, 0, 0, NULL, -1, NULL, NULL, 0 } };
    assert_raw_corrupt (n, G_N_ELEMENTS (n), "directories in a group");
  }
  {
    GVariantBuilder xb;
    g_variant_builder_init (&xb, G_VARIANT_TYPE (FS_MANIFEST_XATTRS_TYPE));
    g_variant_builder_add (&xb, "(@ay@ay)", g_variant_new_bytestring ("user.b"),
                           g_variant_new_bytestring (""));
    g_variant_builder_add (&xb, "(@ay@ay)", g_variant_new_bytestring ("user.a"),
                           g_variant_new_bytestring (""));
    unsorted_x = g_variant_ref_sink (g_variant_builder_end (&xb));
    {
      Raw n[] = { ROOT, { "a", 'f', 0644, 0, 0, 0, 0, 0, 0, NULL, -1, unsorted_x, NULL, 0 } };
      assert_raw_corrupt (n, G_N_ELEMENTS (n), "xattrs unsorted");
    }
  }
  {
    GVariantBuilder xb;
    g_autoptr (GVariant) x = NULL;
    g_variant_builder_init (&xb, G_VARIANT_TYPE (FS_MANIFEST_XATTRS_TYPE));
    g_variant_builder_add (&xb, "(@ay@ay)", g_variant_new_bytestring (""),
                           g_variant_new_bytestring (""));
    x = g_variant_ref_sink (g_variant_builder_end (&xb));
    {
      Raw n[] = { ROOT, { "a", 'f', 0644, 0, 0, 0, 0, 0, 0, NULL, -1, x, NULL, 0 } };
      assert_raw_corrupt (n, G_N_ELEMENTS (n), "xattr without a name");
    }
  }
  {
    Raw n[] = { ROOT };
    g_autoptr (GBytes) v0 = raw_manifest (0, n, 1);
    g_autoptr (GBytes) v2 = raw_manifest (2, n, 1);
    assert_parse_fails (v0, FS_CACHE_ERROR_CORRUPT, "version 0");
    /* newer: not corrupt, and not ours to judge */
    assert_parse_fails (v2, FS_CACHE_ERROR_INCOMPATIBLE, "version 2");
  }
  {
    /* no nodes at all; the body of another type; not even the file type */
    g_autoptr (GVariant) empty = g_variant_ref_sink (
      g_variant_new ("(uv)", 1,
                     g_variant_new_array (G_VARIANT_TYPE (FS_MANIFEST_NODE_TYPE), NULL, 0)));
    g_autoptr (GVariant) other =
      g_variant_ref_sink (g_variant_new ("(uv)", 1, g_variant_new_string ("hello")));
    g_autoptr (GBytes) b1 = g_variant_get_data_as_bytes (empty);
    g_autoptr (GBytes) b2 = g_variant_get_data_as_bytes (other);
    g_autoptr (GBytes) b3 = g_bytes_new_static ("", 0);
    g_autoptr (GBytes) b4 = g_bytes_new_static ("{\"json\": true}", 14);
    assert_parse_fails (b1, FS_CACHE_ERROR_CORRUPT, "no nodes");
    assert_parse_fails (b2, FS_CACHE_ERROR_CORRUPT, "other body");
    assert_parse_fails (b3, FS_CACHE_ERROR_CORRUPT, "empty");
    assert_parse_fails (b4, FS_CACHE_ERROR_CORRUPT, "JSON");
  }
}

/* Every strict prefix, and every single-byte change, of a real manifest is
 * refused or parses to a manifest that formats back to the same bytes:
 * never a crash, never a manifest whose bytes are not its own. */
static void
test_truncated_and_flipped (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = make_small_tree (fx->tmpdir);
  g_autoptr (FsCacheManifest) m = build (src, 1);
  GBytes *bytes = fs_cache_manifest_get_bytes (m);
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autofree guint8 *copy = g_memdup2 (data, len);
  guint accepted = 0;

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr (GBytes) b = g_bytes_new (data, cut);
      g_autoptr (GError) error = NULL;
      g_autoptr (FsCacheManifest) t = fs_cache_manifest_new_from_bytes (b, &error);

      g_assert_null (t);
      g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT);
    }
  for (gsize pos = 0; pos < len; pos++)
    for (guint bit = 0; bit < 8; bit += 3)
      {
        g_autoptr (GBytes) b = NULL;
        g_autoptr (GError) error = NULL;
        g_autoptr (FsCacheManifest) t = NULL;

        copy[pos] ^= (guint8) (1u << bit);
        b = g_bytes_new (copy, len);
        t = fs_cache_manifest_new_from_bytes (b, &error);
        copy[pos] = data[pos];
        if (t == NULL)
          {
            g_assert_true (error->domain == FS_CACHE_ERROR);
            continue;
          }
        /* e.g. a flipped bit of a mode or of a digest: a different tree */
        accepted++;
        g_assert_false (g_bytes_equal (b, bytes));
        g_assert_cmpstr (fs_cache_manifest_get_digest (t), !=, fs_cache_manifest_get_digest (m));
        {
          g_autofree char *json = fs_cache_manifest_to_json (t, FALSE);
          g_assert_nonnull (json);
        }
      }
  g_test_message ("%" G_GSIZE_FORMAT " bytes; %u single-bit changes still parse", len, accepted);
}

/* GLib's serialization of a manifest's nodes: what the library's own
 * serializer (by hand) must write, byte for byte. */
static GBytes *
glib_serialize (FsCacheManifest *m)
{
  g_autoptr (GVariant) file = NULL;
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE (FS_MANIFEST_V1_TYPE));
  for (guint i = 0; i < fs_cache_manifest_get_n_nodes (m); i++)
    {
      const FsManifestNode *n = _fs_cache_manifest_peek_node (m, i);
      static const char codes[] = { 'f', 'd', 'l', 'p', 's', 'c', 'b' };

      g_variant_builder_add (&b, "(@ayyuuutuuu@ay@ay@a(ayay))", g_variant_new_bytestring (n->path),
                             (guchar) codes[n->type], n->mode, n->uid, n->gid, n->size,
                             n->link_group, n->dev_major, n->dev_minor,
                             g_variant_new_bytestring (n->target),
                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                        n->sha256 != NULL ? n->sha256 : zero_sha,
                                                        n->sha256 != NULL ? FS_DIGEST_SIZE : 0, 1),
                             n->xattrs != NULL
                               ? n->xattrs
                               : g_variant_new_array (G_VARIANT_TYPE ("(ayay)"), NULL, 0));
    }
  file = g_variant_ref_sink (g_variant_new ("(uv)", 1, g_variant_builder_end (&b)));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (file);
      g_variant_unref (file);
      file = swapped;
    }
  return g_variant_get_data_as_bytes (file);
}

static void
assert_same_as_glib (FsCacheManifest *m)
{
  g_autoptr (GBytes) reference = glib_serialize (m);
  GBytes *ours = fs_cache_manifest_get_bytes (m);

  g_assert_cmpmem (g_bytes_get_data (ours, NULL), g_bytes_get_size (ours),
                   g_bytes_get_data (reference, NULL), g_bytes_get_size (reference));
}

/* The serializer against GLib's, with framing offsets of 1, 2 and 4 bytes:
 * small nodes, nodes longer than 255 bytes (long names, xattrs), and an
 * array of nodes longer than 65535 bytes. */
static void
test_serializer (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = make_small_tree (fx->tmpdir);
  g_autofree char *long_name = g_strnfill (250, 'L');
  g_autofree char *long_dir = g_build_filename (src, long_name, NULL);
  g_autofree char *long_link = g_build_filename (src, "long-link", NULL);
  g_autoptr (FsCacheManifest) small = build (src, 1);

  assert_same_as_glib (small);
  g_assert_cmpuint (g_bytes_get_size (fs_cache_manifest_get_bytes (small)), <, 4096);

  make_dir (long_dir, 0755);
  for (int i = 0; i < 300; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s/%s-%03d", long_dir, long_name, i);
      fs_autofd fd = open (name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

      g_assert_cmpint (fd, >=, 0);
      g_assert_true (_fs_write_all (fd, long_name, (gsize) i % 200, 0));
    }
  g_assert_cmpint (symlink (long_name, long_link), ==, 0);
  if (have_user_xattrs (src))
    {
      g_autofree char *big = g_strnfill (1000, 'x');
      g_autofree char *a = g_build_filename (src, "a", NULL);

      g_assert_cmpint (setxattr (a, "user.one", "1", 1, 0), ==, 0);
      g_assert_cmpint (setxattr (a, "user.big", big, 1000, 0), ==, 0);
      g_assert_cmpint (setxattr (long_dir, "user.dir", "", 0, 0), ==, 0);
    }
  {
    g_autoptr (FsCacheManifest) large = build (src, 2);

    assert_same_as_glib (large);
    g_assert_cmpuint (g_bytes_get_size (fs_cache_manifest_get_bytes (large)), >, 65536);
  }
}

/* ------------------------------------------------------------------------ */
/* Building                                                                  */

static void
test_build_small (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = make_small_tree (fx->tmpdir);
  g_autoptr (FsCacheManifest) m = build (src, 1);
  g_autofree char *a_sha = sha256_of ("alpha\n", 6);
  g_autofree char *c_sha = sha256_of ("gamma gamma\n", 12);
  g_autofree char *e_sha = sha256_of ("", 0);
  static const char *const paths[] = { ".", "a", "b", "b/c", "b/d", "e" };
  struct stat st;

  g_assert_cmpuint (fs_cache_manifest_get_n_nodes (m), ==, G_N_ELEMENTS (paths));
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (FsCacheManifestNode) node = fs_cache_manifest_get_node (m, i);
      g_autofree char *full = g_build_filename (src, paths[i], NULL);

      g_assert_cmpstr (fs_cache_manifest_node_get_path (node), ==, paths[i]);
      g_assert_cmpint (lstat (full, &st), ==, 0);
      g_assert_cmpuint (fs_cache_manifest_node_get_mode (node), ==, st.st_mode & 07777);
      g_assert_cmpuint (fs_cache_manifest_node_get_uid (node), ==, st.st_uid);
      g_assert_cmpuint (fs_cache_manifest_node_get_gid (node), ==, st.st_gid);
      g_assert_cmpuint (fs_cache_manifest_node_get_link_group (node), ==, 0);
    }
  {
    g_autoptr (FsCacheManifestNode) a = lookup (m, "a");
    g_autoptr (FsCacheManifestNode) b = lookup (m, "b");
    g_autoptr (FsCacheManifestNode) c = lookup (m, "b/c");
    g_autoptr (FsCacheManifestNode) d = lookup (m, "b/d");
    g_autoptr (FsCacheManifestNode) e = lookup (m, "e");
    g_autoptr (FsCacheManifestNode) root = lookup (m, ".");

    g_assert_cmpint (fs_cache_manifest_node_get_node_type (root), ==, FS_CACHE_NODE_TYPE_DIRECTORY);
    g_assert_cmpuint (fs_cache_manifest_node_get_mode (root), ==, 0755);
    g_assert_cmpint (fs_cache_manifest_node_get_node_type (a), ==, FS_CACHE_NODE_TYPE_REGULAR);
    g_assert_cmpstr (fs_cache_manifest_node_get_sha256 (a), ==, a_sha);
    g_assert_cmpuint (fs_cache_manifest_node_get_size (a), ==, 6);
    g_assert_cmpuint (fs_cache_manifest_node_get_mode (a), ==, 0644);
    g_assert_cmpuint (fs_cache_manifest_node_get_mode (b), ==, 0750);
    g_assert_cmpuint (fs_cache_manifest_node_get_size (b), ==, 0);
    g_assert_null (fs_cache_manifest_node_get_sha256 (b));
    g_assert_cmpstr (fs_cache_manifest_node_get_sha256 (c), ==, c_sha);
    g_assert_cmpuint (fs_cache_manifest_node_get_mode (c), ==, 0600);
    g_assert_cmpint (fs_cache_manifest_node_get_node_type (d), ==, FS_CACHE_NODE_TYPE_SYMLINK);
    g_assert_cmpstr (fs_cache_manifest_node_get_symlink_target (d), ==, "c");
    g_assert_cmpuint (fs_cache_manifest_node_get_size (d), ==, 1);
    g_assert_cmpstr (fs_cache_manifest_node_get_sha256 (e), ==, e_sha);
    g_assert_cmpuint (fs_cache_manifest_get_total_size (m), ==, 6 + 12);
  }

  /* the JSON form parses and says the same */
  {
    g_autofree char *json = fs_cache_manifest_to_json (m, TRUE);
    g_autoptr (JsonParser) parser = json_parser_new ();
    g_autoptr (GError) error = NULL;
    JsonObject *root;
    JsonArray *nodes;
    JsonObject *c;

    g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
    g_assert_no_error (error);
    root = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpint (json_object_get_int_member (root, "format"), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (root, "digest"), ==,
                     fs_cache_manifest_get_digest (m));
    g_assert_cmpint (json_object_get_int_member (root, "total-size"), ==, 18);
    nodes = json_object_get_array_member (root, "nodes");
    g_assert_cmpuint (json_array_get_length (nodes), ==, 6);
    c = json_array_get_object_element (nodes, 3);
    g_assert_cmpstr (json_object_get_string_member (c, "path"), ==, "b/c");
    g_assert_cmpstr (json_object_get_string_member (c, "type"), ==, "regular");
    g_assert_cmpstr (json_object_get_string_member (c, "mode"), ==, "0600");
    g_assert_cmpstr (json_object_get_string_member (c, "sha256"), ==, c_sha);
    g_assert_cmpint (json_object_get_int_member (c, "size"), ==, 12);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (nodes, 4),
                                                    "target"),
                     ==, "c");
    g_assert_false (json_object_has_member (json_array_get_object_element (nodes, 2), "sha256"));
  }
}

static void
test_build_determinism (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = make_small_tree (fx->tmpdir);
  g_autofree char *copy = g_build_filename (fx->tmpdir, "copy", NULL);
  g_autofree char *big = g_build_filename (src, "b", "big", NULL);
  g_autoptr (FsCacheManifest) m1 = NULL;
  g_autoptr (FsCacheManifest) m2 = NULL;
  g_autoptr (FsCacheManifest) m0 = NULL;
  g_autoptr (FsCacheManifest) mc = NULL;
  g_autoptr (GError) error = NULL;

  /* enough files to keep several workers busy, and one large file */
  for (int i = 0; i < 300; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%03d", (i * 7919) % 1000);
      g_autofree char *p = g_build_filename (src, name, NULL);
      g_autofree char *text = g_strdup_printf ("file %d\n", i);
      write_text (p, text);
    }
  fs_test_write_file (big, 3 * 1024 * 1024 + 17);

  m1 = build (src, 1);
  m2 = build (src, 2);
  m0 = build (src, 0);
  g_assert_true (bytes_equal (m1, m2));
  g_assert_true (bytes_equal (m1, m0));
  g_assert_cmpuint (fs_cache_manifest_get_n_nodes (m1), ==, 6 + 300 + 1);

  /* cp -a keeps everything the manifest records */
  {
    const char *argv[] = { "cp", "-a", src, copy, NULL };
    g_assert_true (fs_test_run (argv, NULL, &error));
    g_assert_no_error (error);
  }
  mc = build (copy, 2);
  g_assert_cmpstr (fs_cache_manifest_get_digest (mc), ==, fs_cache_manifest_get_digest (m1));

  /* mtimes are not part of it */
  {
    g_autofree char *a = g_build_filename (copy, "a", NULL);
    struct timespec times[2] = { { 1, 0 }, { 2, 0 } };
    g_autoptr (FsCacheManifest) again = NULL;

    g_assert_cmpint (utimensat (AT_FDCWD, a, times, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_assert_cmpint (utimensat (AT_FDCWD, copy, times, 0), ==, 0);
    again = build (copy, 1);
    g_assert_true (bytes_equal (again, m1));
  }
}

static void
test_build_one_change (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = make_small_tree (fx->tmpdir);
  g_autofree char *c = g_build_filename (src, "b", "c", NULL);
  g_autoptr (FsCacheManifest) before = build (src, 2);
  g_autoptr (FsCacheManifest) after = NULL;
  g_autofree char *changed = NULL;

  write_text (c, "gamma gammA\n"); /* same size */
  g_assert_cmpint (chmod (c, 0600), ==, 0);
  after = build (src, 2);
  g_assert_cmpstr (fs_cache_manifest_get_digest (after), !=, fs_cache_manifest_get_digest (before));
  changed = changed_nodes (before, after);
  g_assert_cmpstr (changed, ==, "b/c");
}

static void
test_build_every_type (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *outside = g_build_filename (fx->tmpdir, "outside", NULL);
  g_autoptr (GPtrArray) pool = g_ptr_array_new_with_free_func (g_free);
  gboolean root = geteuid () == 0;
  gboolean devices = FALSE;
  gboolean xattrs = FALSE;
  gsize big_len = 10000;
  g_autoptr (FsCacheManifest) m = NULL;
  struct stat st;

  make_dir (src, 0755);
#define AT(name) at_path (pool, src, name)
  write_text (AT ("plain"), "plain\n");
  make_dir (AT ("dir"), 0700);
  g_assert_cmpint (symlink ("../plain", AT ("dir/link")), ==, 0);
  g_assert_cmpint (symlink ("/nowhere/at/all", AT ("dangling")), ==, 0);
  g_assert_cmpint (mkfifo (AT ("fifo"), 0640), ==, 0);
  g_assert_cmpint (chmod (AT ("fifo"), 0640), ==, 0);
  make_socket (AT ("sock"));
  write_text (AT ("setuid"), "s\n");
  g_assert_cmpint (chmod (AT ("setuid"), 04755), ==, 0);
  write_text (AT ("setgid"), "g\n");
  g_assert_cmpint (chmod (AT ("setgid"), 02711), ==, 0);
  make_dir (AT ("sticky"), 01777);
  /* hard links: three of one file, two of another, and one whose other
   * link is outside the tree (not a group) */
  write_text (AT ("h1"), "linked\n");
  g_assert_cmpint (link (AT ("h1"), AT ("dir/h2")), ==, 0);
  g_assert_cmpint (link (AT ("h1"), AT ("h3")), ==, 0);
  write_text (AT ("k1"), "other\n");
  g_assert_cmpint (link (AT ("k1"), AT ("k2")), ==, 0);
  write_text (AT ("lonely"), "lonely\n");
  g_assert_cmpint (link (AT ("lonely"), outside), ==, 0);
  /* sparse: a hole, some data, a trailing hole */
  {
    fs_autofd fd = open (AT ("sparse"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    g_assert_cmpint (fd, >=, 0);
    g_assert_true (_fs_write_all (fd, "data", 4, 3 * 1024 * 1024));
    g_assert_cmpint (ftruncate (fd, 9 * 1024 * 1024), ==, 0);
  }
  if (root)
    {
      if (mknod (AT ("chr"), S_IFCHR | 0640, makedev (1, 3)) == 0 &&
          mknod (AT ("blk"), S_IFBLK | 0660, makedev (7, 250)) == 0)
        devices = TRUE;
      else
        g_test_message ("no device nodes here (%s): that part is skipped", g_strerror (errno));
    }
  else
    g_test_message ("not root: no device nodes");
  if (have_user_xattrs (src))
    {
      static const char bin[] = { 'v', 0, 1, 2, (char) 0xff };
      g_autofree char *big = g_strnfill (big_len, 'b');

      xattrs = TRUE;
      const char *plain = AT ("plain");

      g_assert_cmpint (setxattr (plain, "user.zeta", "z", 1, 0), ==, 0);
      g_assert_cmpint (setxattr (plain, "user.alpha", bin, sizeof bin, 0), ==, 0);
      /* larger than a page where the file system allows it (tmpfs), else
       * what fits in an ext4 inode's block */
      if (setxattr (plain, "user.big", big, big_len, 0) < 0)
        {
          big_len = 3000;
          g_assert_cmpint (setxattr (plain, "user.big", big, big_len, 0), ==, 0);
        }
      g_assert_cmpint (setxattr (plain, "user.empty", "", 0, 0), ==, 0);
      g_assert_cmpint (setxattr (AT ("dir"), "user.dir", "d", 1, 0), ==, 0);
    }
  else
    g_test_message ("no user.* xattrs on this file system: that part is skipped");

  m = build (src, 2);
  g_assert_cmpuint (fs_cache_manifest_get_n_nodes (m), ==, 1 + 16 + (devices ? 2 : 0));

  {
    g_autoptr (FsCacheManifestNode) n = lookup (m, "fifo");
    g_assert_cmpint (fs_cache_manifest_node_get_node_type (n), ==, FS_CACHE_NODE_TYPE_FIFO);
    g_assert_cmpuint (fs_cache_manifest_node_get_mode (n), ==, 0640);
    g_assert_cmpuint (fs_cache_manifest_node_get_size (n), ==, 0);
  }
  {
    g_autoptr (FsCacheManifestNode) n = lookup (m, "sock");
    g_assert_cmpint (fs_cache_manifest_node_get_node_type (n), ==, FS_CACHE_NODE_TYPE_SOCKET);
  }
  {
    g_autoptr (FsCacheManifestNode) n = lookup (m, "dangling");
    g_assert_cmpstr (fs_cache_manifest_node_get_symlink_target (n), ==, "/nowhere/at/all");
    g_assert_cmpuint (fs_cache_manifest_node_get_size (n), ==, 15);
  }
  {
    g_autoptr (FsCacheManifestNode) su = lookup (m, "setuid");
    g_autoptr (FsCacheManifestNode) sg = lookup (m, "setgid");
    g_autoptr (FsCacheManifestNode) sticky = lookup (m, "sticky");
    g_assert_cmpuint (fs_cache_manifest_node_get_mode (su), ==, 04755);
    g_assert_cmpuint (fs_cache_manifest_node_get_mode (sg), ==, 02711);
    g_assert_cmpuint (fs_cache_manifest_node_get_mode (sticky), ==, 01777);
  }
  {
    /* groups numbered in the manifest's order: dir/h2 comes first */
    g_autoptr (FsCacheManifestNode) h1 = lookup (m, "h1");
    g_autoptr (FsCacheManifestNode) h2 = lookup (m, "dir/h2");
    g_autoptr (FsCacheManifestNode) h3 = lookup (m, "h3");
    g_autoptr (FsCacheManifestNode) k1 = lookup (m, "k1");
    g_autoptr (FsCacheManifestNode) k2 = lookup (m, "k2");
    g_autoptr (FsCacheManifestNode) lonely = lookup (m, "lonely");
    g_autofree char *sha = sha256_of ("linked\n", 7);

    g_assert_cmpuint (fs_cache_manifest_node_get_link_group (h2), ==, 1);
    g_assert_cmpuint (fs_cache_manifest_node_get_link_group (h1), ==, 1);
    g_assert_cmpuint (fs_cache_manifest_node_get_link_group (h3), ==, 1);
    g_assert_cmpuint (fs_cache_manifest_node_get_link_group (k1), ==, 2);
    g_assert_cmpuint (fs_cache_manifest_node_get_link_group (k2), ==, 2);
    g_assert_cmpuint (fs_cache_manifest_node_get_link_group (lonely), ==, 0);
    g_assert_cmpstr (fs_cache_manifest_node_get_sha256 (h1), ==, sha);
    g_assert_cmpstr (fs_cache_manifest_node_get_sha256 (h2), ==, sha);
    g_assert_cmpstr (fs_cache_manifest_node_get_sha256 (h3), ==, sha);
    /* a linked file's content counts once */
    g_assert_cmpuint (fs_cache_manifest_get_total_size (m), ==,
                      6 + 2 + 2 + 7 + 6 + 7 + 9 * 1024 * 1024);
  }
  {
    g_autoptr (FsCacheManifestNode) n = lookup (m, "sparse");
    g_autofree guint8 *content = g_malloc0 (9 * 1024 * 1024);
    g_autofree char *sha = NULL;

    memcpy (content + 3 * 1024 * 1024, "data", 4);
    sha = sha256_of (content, 9 * 1024 * 1024);
    g_assert_cmpstr (fs_cache_manifest_node_get_sha256 (n), ==, sha);
    g_assert_cmpuint (fs_cache_manifest_node_get_size (n), ==, 9 * 1024 * 1024);
    g_assert_cmpint (stat (AT ("sparse"), &st), ==, 0);
    g_test_message ("sparse: %ld blocks for %ld bytes", (long) st.st_blocks, (long) st.st_size);
  }
  if (devices)
    {
      g_autoptr (FsCacheManifestNode) c = lookup (m, "chr");
      g_autoptr (FsCacheManifestNode) b = lookup (m, "blk");
      g_assert_cmpint (fs_cache_manifest_node_get_node_type (c), ==,
                       FS_CACHE_NODE_TYPE_CHAR_DEVICE);
      g_assert_cmpuint (fs_cache_manifest_node_get_device_major (c), ==, 1);
      g_assert_cmpuint (fs_cache_manifest_node_get_device_minor (c), ==, 3);
      g_assert_cmpint (fs_cache_manifest_node_get_node_type (b), ==,
                       FS_CACHE_NODE_TYPE_BLOCK_DEVICE);
      g_assert_cmpuint (fs_cache_manifest_node_get_device_major (b), ==, 7);
      g_assert_cmpuint (fs_cache_manifest_node_get_device_minor (b), ==, 250);
      g_assert_cmpuint (fs_cache_manifest_node_get_mode (b), ==, 0660 & ~022);
    }
  if (xattrs)
    {
      g_autoptr (FsCacheManifestNode) plain = lookup (m, "plain");
      g_autoptr (FsCacheManifestNode) dir = lookup (m, "dir");
      g_autoptr (FsCacheManifestNode) fifo = lookup (m, "fifo");
      g_auto (GStrv) names = fs_cache_manifest_node_dup_xattr_names (plain);
      g_auto (GStrv) dir_names = fs_cache_manifest_node_dup_xattr_names (dir);
      g_auto (GStrv) none = fs_cache_manifest_node_dup_xattr_names (fifo);
      g_autoptr (GBytes) alpha = fs_cache_manifest_node_dup_xattr (plain, "user.alpha");
      g_autoptr (GBytes) bigv = fs_cache_manifest_node_dup_xattr (plain, "user.big");
      g_autoptr (GBytes) empty = fs_cache_manifest_node_dup_xattr (plain, "user.empty");
      g_autoptr (GBytes) missing = fs_cache_manifest_node_dup_xattr (plain, "user.nope");
      static const char bin[] = { 'v', 0, 1, 2, (char) 0xff };
      const char *expected[] = { "user.alpha", "user.big", "user.empty", "user.zeta", NULL };

      /* sorted by name, values exact (binary, empty, larger than a page) */
      g_assert_cmpstrv (names, expected);
      g_assert_cmpstr (dir_names[0], ==, "user.dir");
      g_assert_null (dir_names[1]);
      g_assert_null (none[0]);
      g_assert_cmpmem (g_bytes_get_data (alpha, NULL), g_bytes_get_size (alpha), bin, sizeof bin);
      g_assert_cmpuint (g_bytes_get_size (bigv), ==, big_len);
      g_assert_cmpuint (g_bytes_get_size (empty), ==, 0);
      g_assert_null (missing);
    }

  /* the same with one thread, and the JSON of every type parses */
  {
    g_autoptr (FsCacheManifest) again = build (src, 1);
    g_autofree char *json = fs_cache_manifest_to_json (m, FALSE);
    g_autoptr (JsonParser) parser = json_parser_new ();

    g_assert_true (bytes_equal (m, again));
    g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
    g_assert_nonnull (strstr (json, "\"type\":\"fifo\""));
    g_assert_nonnull (strstr (json, "\"link-group\":2"));
  }
#undef AT
}

static void
test_build_odd_names (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  static const char *const names[] = { "a",         "a-b",      "a.b",
                                       "a0",        "\xff\xfe", "\xc3\xa9t\xc3\xa9",
                                       "new\nline", " space" };
  g_autoptr (FsCacheManifest) m = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *json = NULL;

  make_dir (src, 0755);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *p = g_build_filename (src, names[i], NULL);
      make_dir (p, 0755);
      g_free (p);
      p = g_build_filename (src, names[i], "f", NULL);
      write_text (p, names[i]);
    }
  m = build (src, 2);
  g_assert_cmpuint (fs_cache_manifest_get_n_nodes (m), ==, 1 + 2 * G_N_ELEMENTS (names));
  /* sorted; every node found again */
  for (guint i = 1; i < fs_cache_manifest_get_n_nodes (m); i++)
    {
      g_autoptr (FsCacheManifestNode) x = fs_cache_manifest_get_node (m, i - 1);
      g_autoptr (FsCacheManifestNode) y = fs_cache_manifest_get_node (m, i);
      g_autoptr (FsCacheManifestNode) z = lookup (m, fs_cache_manifest_node_get_path (y));

      g_assert_cmpint (_fs_manifest_path_compare (fs_cache_manifest_node_get_path (x),
                                                  fs_cache_manifest_node_get_path (y)),
                       <, 0);
      g_assert_cmpuint (fs_cache_manifest_node_get_position (z), ==, i);
    }
  {
    /* "a" and its file come before "a-b", although strcmp puts "a-b" before "a/f" */
    g_autoptr (FsCacheManifestNode) a = lookup (m, "a");
    g_autoptr (FsCacheManifestNode) af = lookup (m, "a/f");
    g_autoptr (FsCacheManifestNode) ab = lookup (m, "a-b");
    guint pos = fs_cache_manifest_node_get_position (a);

    g_assert_cmpuint (fs_cache_manifest_node_get_position (af), ==, pos + 1);
    g_assert_cmpuint (fs_cache_manifest_node_get_position (ab), ==, pos + 2);
  }
  /* a name that is not UTF-8 goes into JSON with its exact bytes beside */
  json = fs_cache_manifest_to_json (m, FALSE);
  g_assert_true (g_utf8_validate (json, -1, NULL));
  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  g_assert_nonnull (strstr (json, "\"path-base64\":\"//4=\""));
}

/* A copy loop fed to the builder, node by node, with the digests it
 * computed while copying: the manifest of the copy, equal to a walk's. */
static gboolean
copy_tree (FsManifestBuilder *b,
           int src_dfd,
           int dst_dfd,
           const char *rel,
           GHashTable *links,
           GError **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  DIR *dir = fdopendir (dup (src_dfd));
  struct dirent *de;

  g_assert_nonnull (dir);
  while ((de = readdir (dir)) != NULL)
    if (!_fs_is_dot_or_dotdot (de->d_name))
      g_ptr_array_add (names, g_strdup (de->d_name));
  closedir (dir);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_autofree char *child =
        strcmp (rel, ".") == 0 ? g_strdup (name) : g_strconcat (rel, "/", name, NULL);
      struct stat st;

      g_assert_cmpint (fstatat (src_dfd, name, &st, AT_SYMLINK_NOFOLLOW), ==, 0);
      if (S_ISDIR (st.st_mode))
        {
          fs_autofd s = openat (src_dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          fs_autofd d = -1;

          g_assert_cmpint (mkdirat (dst_dfd, name, 0700), ==, 0);
          d = openat (dst_dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (!copy_tree (b, s, d, child, links, error))
            return FALSE;
          g_assert_cmpint (fchmod (d, st.st_mode & 07777), ==, 0);
          if (!_fs_manifest_builder_add_fd (b, child, d, NULL, error))
            return FALSE;
        }
      else if (S_ISREG (st.st_mode))
        {
          const char *first = g_hash_table_lookup (links, GUINT_TO_POINTER (st.st_ino));
          fs_autofd s = -1;
          fs_autofd d = -1;
          guint8 digest[FS_DIGEST_SIZE];

          if (first != NULL)
            {
              g_assert_cmpint (linkat (dst_dfd, first, dst_dfd, name, 0), ==, 0);
              if (!_fs_manifest_builder_add_at (b, child, dst_dfd, name, NULL, NULL, error))
                return FALSE;
              continue;
            }
          s = openat (src_dfd, name, O_RDONLY | O_CLOEXEC);
          d = openat (dst_dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
          g_assert_cmpint (s, >=, 0);
          g_assert_cmpint (d, >=, 0);
          if (!_fs_digest_copy_fd (NULL, s, d, &st, NULL, 0, digest, NULL, NULL, NULL, NULL, child,
                                   error))
            return FALSE;
          g_assert_cmpint (fchmod (d, st.st_mode & 07777), ==, 0);
          if (!_fs_manifest_builder_add_fd (b, child, d, digest, error))
            return FALSE;
          if (st.st_nlink > 1)
            g_hash_table_insert (links, GUINT_TO_POINTER (st.st_ino), g_strdup (name));
        }
      else if (S_ISLNK (st.st_mode))
        {
          char target[4096];
          ssize_t n = readlinkat (src_dfd, name, target, sizeof target - 1);

          g_assert_cmpint (n, >, 0);
          target[n] = '\0';
          g_assert_cmpint (symlinkat (target, dst_dfd, name), ==, 0);
          if (!_fs_manifest_builder_add_at (b, child, dst_dfd, name, NULL, NULL, error))
            return FALSE;
        }
      else
        g_assert_not_reached ();
    }
  return TRUE;
}

static void
test_builder_fed (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = make_small_tree (fx->tmpdir);
  g_autofree char *dst = g_build_filename (fx->tmpdir, "dst", NULL);
  g_autofree char *h1 = g_build_filename (src, "h1", NULL);
  g_autofree char *h2 = g_build_filename (src, "h2", NULL);
  g_autofree char *large = g_build_filename (src, "b", "large", NULL);
  g_autoptr (GHashTable) links = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr (FsManifestBuilder) b = NULL;
  g_autoptr (FsCacheManifest) fed = NULL;
  g_autoptr (FsCacheManifest) walked = NULL;
  g_autoptr (FsCacheManifest) source = NULL;
  g_autoptr (GError) error = NULL;
  fs_autofd sfd = -1;
  fs_autofd dfd = -1;

  /* a hard link pair in one directory (the test's copy loop links there) */
  write_text (h1, "hard\n");
  g_assert_cmpint (link (h1, h2), ==, 0);
  fs_test_write_file (large, 700000);

  make_dir (dst, 0755);
  sfd = open (src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  dfd = open (dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  /* no root fd: every file comes with its digest or an fd */
  b = _fs_manifest_builder_new (-1, 2, NULL);
  g_assert_true (copy_tree (b, sfd, dfd, ".", links, &error));
  g_assert_no_error (error);
  g_assert_true (_fs_manifest_builder_add_fd (b, ".", dfd, NULL, &error));
  g_assert_no_error (error);
  fed = _fs_manifest_builder_end (b, &error);
  g_assert_no_error (error);

  walked = build (dst, 2);
  source = build (src, 1);
  g_assert_true (bytes_equal (fed, walked));
  g_assert_cmpstr (fs_cache_manifest_get_digest (fed), ==, fs_cache_manifest_get_digest (source));
  {
    g_autoptr (FsCacheManifestNode) n = lookup (fed, "h2");
    g_assert_cmpuint (fs_cache_manifest_node_get_link_group (n), ==, 1);
  }
}

static void
test_builder_misuse (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = make_small_tree (fx->tmpdir);
  fs_autofd sfd = open (src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_autoptr (GError) error = NULL;

  {
    /* no top directory */
    g_autoptr (FsManifestBuilder) b = _fs_manifest_builder_new (sfd, 1, NULL);
    g_autoptr (FsCacheManifest) m = NULL;
    g_assert_true (_fs_manifest_builder_add_at (b, "a", sfd, "a", NULL, NULL, &error));
    m = _fs_manifest_builder_end (b, &error);
    g_assert_null (m);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }
  {
    /* a path twice */
    g_autoptr (FsManifestBuilder) b = _fs_manifest_builder_new (sfd, 2, NULL);
    g_autoptr (FsCacheManifest) m = NULL;
    g_assert_true (_fs_manifest_builder_add_fd (b, ".", sfd, NULL, &error));
    g_assert_true (_fs_manifest_builder_add_at (b, "a", sfd, "a", NULL, NULL, &error));
    g_assert_true (_fs_manifest_builder_add_at (b, "a", sfd, "a", NULL, NULL, &error));
    m = _fs_manifest_builder_end (b, &error);
    g_assert_null (m);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_clear_error (&error);
  }
  {
    /* a node whose directory is not in the tree */
    g_autoptr (FsManifestBuilder) b = _fs_manifest_builder_new (sfd, 1, NULL);
    g_autoptr (FsCacheManifest) m = NULL;
    g_assert_true (_fs_manifest_builder_add_fd (b, ".", sfd, NULL, &error));
    g_assert_true (_fs_manifest_builder_add_at (b, "x/a", sfd, "a", NULL, zero_sha, &error));
    m = _fs_manifest_builder_end (b, &error);
    g_assert_null (m);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
    g_clear_error (&error);
  }
  {
    /* freed without an end, with work queued */
    g_autoptr (FsManifestBuilder) b = _fs_manifest_builder_new (sfd, 2, NULL);
    for (int i = 0; i < 50; i++)
      g_assert_true (_fs_manifest_builder_add_at (b, i % 2 ? "a" : "e", sfd, i % 2 ? "a" : "e",
                                                  NULL, NULL, &error));
  }
}

static void
test_build_errors (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = make_small_tree (fx->tmpdir);
  g_autofree char *file = g_build_filename (src, "a", NULL);
  g_autofree char *missing = g_build_filename (fx->tmpdir, "missing", NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  FsCacheManifest *m;

  m = _fs_manifest_build_at (AT_FDCWD, missing, FS_MANIFEST_BUILD_NONE, 1, NULL, &error);
  g_assert_null (m);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "missing"));
  g_clear_error (&error);

  m = _fs_manifest_build_at (AT_FDCWD, file, FS_MANIFEST_BUILD_NONE, 1, NULL, &error);
  g_assert_null (m);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
  g_clear_error (&error);

  g_cancellable_cancel (cancellable);
  for (guint threads = 1; threads <= 2; threads++)
    {
      m =
        _fs_manifest_build_at (AT_FDCWD, src, FS_MANIFEST_BUILD_NONE, threads, cancellable, &error);
      g_assert_null (m);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_error (&error);
    }

  if (geteuid () != 0)
    {
      /* an unreadable file fails the build, naming it */
      g_assert_cmpint (chmod (file, 0), ==, 0);
      m = _fs_manifest_build_at (AT_FDCWD, src, FS_MANIFEST_BUILD_NONE, 2, NULL, &error);
      g_assert_null (m);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
      g_assert_nonnull (strstr (error->message, "a"));
      g_clear_error (&error);
      g_assert_cmpint (chmod (file, 0644), ==, 0);
    }
}

/* ------------------------------------------------------------------------ */
/* Verifying                                                                 */

static void
test_verify_intact (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = make_small_tree (fx->tmpdir);
  g_autoptr (FsCacheManifest) m = build (src, 2);

  assert_verify (src, m, "");
}

static void
test_verify_damage (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autoptr (GPtrArray) pool = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (FsCacheManifest) m = NULL;
  gboolean xattrs;

#define AT(name) at_path (pool, src, name)
  make_dir (src, 0755);
  write_text (AT ("flip"), "0123456789");
  write_text (AT ("trunc"), "0123456789");
  write_text (AT ("mode"), "m");
  g_assert_cmpint (chmod (AT ("mode"), 0644), ==, 0);
  g_assert_cmpint (symlink ("old", AT ("link")), ==, 0);
  write_text (AT ("removed"), "r");
  make_dir (AT ("gone"), 0755);
  write_text (AT ("gone/inside"), "i");
  write_text (AT ("typed"), "t");
  write_text (AT ("h1"), "h");
  g_assert_cmpint (link (AT ("h1"), AT ("h2")), ==, 0);
  write_text (AT ("x"), "x");
  xattrs = have_user_xattrs (src);
  if (xattrs)
    g_assert_cmpint (setxattr (AT ("x"), "user.a", "1", 1, 0), ==, 0);
  write_text (AT ("same"), "unchanged");
  m = build (src, 2);
  assert_verify (src, m, "");

  /* one flipped byte, same size */
  write_text (AT ("flip"), "0123456788");
  assert_verify (src, m, "flip:content");
  /* truncated */
  g_assert_cmpint (truncate (AT ("trunc"), 4), ==, 0);
  assert_verify (src, m, "flip:content trunc:content");
  /* every other damage at once */
  g_assert_cmpint (chmod (AT ("mode"), 0600), ==, 0);
  g_assert_cmpint (unlink (AT ("link")), ==, 0);
  g_assert_cmpint (symlink ("new", AT ("link")), ==, 0);
  g_assert_cmpint (unlink (AT ("removed")), ==, 0);
  fs_test_rm_rf (AT ("gone"));
  write_text (AT ("added"), "a");
  make_dir (AT ("added-dir"), 0755);
  write_text (AT ("added-dir/f"), "f");
  g_assert_cmpint (unlink (AT ("typed")), ==, 0);
  make_dir (AT ("typed"), 0755);
  /* a hard link broken: h2 a copy now */
  g_assert_cmpint (unlink (AT ("h2")), ==, 0);
  write_text (AT ("h2"), "h");
  if (xattrs)
    g_assert_cmpint (setxattr (AT ("x"), "user.a", "2", 1, 0), ==, 0);

  {
    g_autofree char *expected = g_strdup_printf (
      "added:extra added-dir:extra added-dir/f:extra flip:content gone:missing "
      "gone/inside:missing h1:hard-links h2:hard-links link:symlink-target mode:mode "
      "removed:missing trunc:content typed:type%s",
      xattrs ? " x:xattrs" : "");
    assert_verify (src, m, expected);
  }
  /* details say what was found and what was expected */
  {
    g_autoptr (GPtrArray) diffs = NULL;
    g_autoptr (GError) error = NULL;

    g_assert_true (_fs_manifest_verify_at (AT_FDCWD, src, m, 1, NULL, NULL, &diffs, NULL, &error));
    for (guint i = 0; i < diffs->len; i++)
      {
        FsCacheDifference *d = diffs->pdata[i];
        const char *path = fs_cache_difference_get_path (d);
        const char *detail = fs_cache_difference_get_detail (d);

        if (strcmp (path, "trunc") == 0)
          g_assert_cmpstr (detail, ==, "size 4, expected 10");
        else if (strcmp (path, "mode") == 0)
          g_assert_cmpstr (detail, ==, "mode 0600, expected 0644");
        else if (strcmp (path, "link") == 0)
          g_assert_cmpstr (detail, ==, "“new”, expected “old”");
        else if (strcmp (path, "typed") == 0)
          g_assert_cmpstr (detail, ==, "directory, expected regular file");
        else if (strcmp (path, "x") == 0)
          g_assert_cmpstr (detail, ==, "user.a differs");
        else if (strcmp (path, "flip") == 0)
          g_assert_true (g_str_has_prefix (detail, "SHA-256 "));
      }
  }
#undef AT
}

static void
test_verify_owner_and_devices (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *f = g_build_filename (src, "f", NULL);
  g_autofree char *chr = g_build_filename (src, "chr", NULL);
  g_autoptr (FsCacheManifest) m = NULL;

  if (geteuid () != 0)
    {
      g_test_skip ("needs root (chown, mknod)");
      return;
    }
  make_dir (src, 0755);
  write_text (f, "f");
  if (mknod (chr, S_IFCHR | 0600, makedev (1, 3)) < 0)
    {
      g_test_skip_printf ("mknod: %s", g_strerror (errno));
      return;
    }
  m = build (src, 1);
  g_assert_cmpint (lchown (f, 1234, 5678), ==, 0);
  g_assert_cmpint (unlink (chr), ==, 0);
  g_assert_cmpint (mknod (chr, S_IFCHR | 0600, makedev (1, 5)), ==, 0);
  assert_verify (src, m, "chr:device f:owner");
}

static void
test_verify_missing_root (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = make_small_tree (fx->tmpdir);
  g_autoptr (FsCacheManifest) m = build (src, 1);

  fs_test_rm_rf (src);
  assert_verify (src, m, ".:missing a:missing b:missing b/c:missing b/d:missing e:missing");
  /* the top replaced by a file */
  write_text (src, "");
  assert_verify (src, m, ".:type a:missing b:missing b/c:missing b/d:missing e:missing");
}

static void
test_verify_unreadable (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = make_small_tree (fx->tmpdir);
  g_autofree char *a = g_build_filename (src, "a", NULL);
  g_autofree char *b = g_build_filename (src, "b", NULL);
  g_autoptr (FsCacheManifest) m = build (src, 1);

  if (geteuid () == 0)
    {
      g_test_skip ("root reads everything");
      return;
    }
  g_assert_cmpint (chmod (a, 0), ==, 0);
  g_assert_cmpint (chmod (b, 0), ==, 0);
  /* what can't be read is said so, and its content is not called missing */
  assert_verify (src, m, "a:mode a:unreadable b:mode b:unreadable");
  g_assert_cmpint (chmod (b, 0750), ==, 0);
  g_assert_cmpint (chmod (a, 0644), ==, 0);
}

static void
test_verify_cancel (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = make_small_tree (fx->tmpdir);
  g_autoptr (FsCacheManifest) m = build (src, 1);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GPtrArray) diffs = NULL;
  g_autoptr (GError) error = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_false (
    _fs_manifest_verify_at (AT_FDCWD, src, m, 2, NULL, NULL, &diffs, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (diffs);
}

/* ------------------------------------------------------------------------ */

int
main (int argc, char **argv)
{
  umask (022);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, FsTestFixture, NULL, fs_test_fixture_setup, func, fs_test_fixture_teardown)

  g_test_add_func ("/digest/vectors", test_digest_vectors);
  g_test_add_func ("/digest/hex", test_digest_hex);
  ADD ("/digest/fd", test_digest_fd);
  ADD ("/digest/copy", test_digest_copy);
  g_test_add_func ("/manifest/format/path-order", test_path_order);
  g_test_add_func ("/manifest/format/valid", test_raw_valid);
  g_test_add_func ("/manifest/format/corrupt", test_raw_corrupt);
  ADD ("/manifest/format/truncated-and-flipped", test_truncated_and_flipped);
  ADD ("/manifest/format/serializer", test_serializer);
  ADD ("/manifest/build/small", test_build_small);
  ADD ("/manifest/build/determinism", test_build_determinism);
  ADD ("/manifest/build/one-change", test_build_one_change);
  ADD ("/manifest/build/every-type", test_build_every_type);
  ADD ("/manifest/build/odd-names", test_build_odd_names);
  ADD ("/manifest/build/errors", test_build_errors);
  ADD ("/manifest/builder/fed-by-a-copy", test_builder_fed);
  ADD ("/manifest/builder/misuse", test_builder_misuse);
  ADD ("/manifest/verify/intact", test_verify_intact);
  ADD ("/manifest/verify/damage", test_verify_damage);
  ADD ("/manifest/verify/owner-and-devices", test_verify_owner_and_devices);
  ADD ("/manifest/verify/missing-root", test_verify_missing_root);
  ADD ("/manifest/verify/unreadable", test_verify_unreadable);
  ADD ("/manifest/verify/cancel", test_verify_cancel);

#undef ADD

  return g_test_run ();
}

/* test-http.c: the remote tier's HTTP client against a real nginx
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every test that needs a server starts its own nginx (tests/remote/
 * fs-test-nginx.h) in its own folder and checks what reached the server in
 * the server's folder and access log. Digests are computed here with GLib's
 * GChecksum, independently of the client's libcrypto.
 */

#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "fs-http-private.h"
#include "fs-test-nginx.h"
#include "fs-test-util.h"

/* ---- what the tests log ----------------------------------------------------------- */

/* Everything the library logs, debug messages included, to check that no
 * secret ever appears in it. */
static GMutex log_mutex;
static GString *log_text;

static GLogWriterOutput
collect_log (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  g_mutex_lock (&log_mutex);
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
      {
        g_string_append (log_text, fields[i].value);
        g_string_append_c (log_text, '\n');
      }
  g_mutex_unlock (&log_mutex);
  return g_log_writer_default (level, fields, n_fields, data);
}

static void
log_clear (void)
{
  g_mutex_lock (&log_mutex);
  g_string_truncate (log_text, 0);
  g_mutex_unlock (&log_mutex);
}

static gboolean
log_contains (const char *needle)
{
  gboolean found;

  g_mutex_lock (&log_mutex);
  found = strstr (log_text->str, needle) != NULL;
  g_mutex_unlock (&log_mutex);
  return found;
}

/* ---- fixture ---------------------------------------------------------------------- */

typedef struct {
  char *tmpdir;
  FsTestNginx *nx;
} Fixture;

/* The credentials come from the environment first: none unless a test sets
 * them. (Only when set: GLib warns about unsetenv() once threads exist.) */
static void
clear_credentials_env (void)
{
  static const char *const vars[] = { "FSCACHE_REMOTE_TOKEN", "FSCACHE_REMOTE_USER",
                                      "FSCACHE_REMOTE_PASSWORD" };
  for (gsize i = 0; i < G_N_ELEMENTS (vars); i++)
    if (g_getenv (vars[i]) != NULL)
      g_unsetenv (vars[i]);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;

  fx->tmpdir = g_dir_make_tmp ("fscache-http-XXXXXX", &error);
  g_assert_no_error (error);
  dir = g_build_filename (fx->tmpdir, "nginx", NULL);
  fx->nx = fs_test_nginx_start (dir, data);
  clear_credentials_env ();
  log_clear ();
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  g_clear_pointer (&fx->nx, fs_test_nginx_stop);
  fs_test_rm_rf (fx->tmpdir);
  g_free (fx->tmpdir);
  clear_credentials_env ();
}

#define NEED_SERVER(fx)   \
  G_STMT_START            \
  {                       \
    if ((fx)->nx == NULL) \
      return;             \
  }                       \
  G_STMT_END

static const FsTestNginxOptions basic_server = { .basic_user = "alice",
                                                 .basic_password = "s3cret:pw" };
static const FsTestNginxOptions bearer_server = { .bearer = "TOKEN-d41d8cd98f00b204" };
static const FsTestNginxOptions fast_slow_server = { .limit_rate = "256k" };
static const FsTestNginxOptions trickle_server = { .limit_rate = "4k" };

/* ---- blobs ------------------------------------------------------------------------ */

typedef enum {
  CONTENT_RANDOM,
  CONTENT_SPARSE, /* a hole: all zeros, no blocks */
  CONTENT_TEXT,   /* compressible */
} Content;

typedef struct {
  char *path;
  char digest[FS_HTTP_DIGEST_LEN + 1];
  guint64 size;
} Blob;

static void
sha256_file (const char *path, char out[FS_HTTP_DIGEST_LEN + 1], guint64 *out_size)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guchar *buf = g_malloc (1 << 20);
  guint64 total = 0;
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  gssize n;

  g_assert_cmpint (fd, >=, 0);
  while ((n = read (fd, buf, 1 << 20)) > 0)
    {
      g_checksum_update (sum, buf, (gsize) n);
      total += (guint64) n;
    }
  g_assert_cmpint (n, ==, 0);
  close (fd);
  g_strlcpy (out, g_checksum_get_string (sum), FS_HTTP_DIGEST_LEN + 1);
  if (out_size != NULL)
    *out_size = total;
}

static void
blob_make (Blob *blob,
           const char *dir,
           const char *name,
           guint64 size,
           Content content,
           guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autofree guint32 *buf = g_malloc (64 * 1024 + 1); /* + the NUL of the last line */
  guint64 done = 0;
  int fd;

  blob->path = g_build_filename (dir, name, NULL);
  blob->size = size;
  fd = open (blob->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  g_assert_cmpint (fd, >=, 0);
  if (content == CONTENT_SPARSE)
    g_assert_cmpint (ftruncate (fd, (off_t) size), ==, 0);
  while (content != CONTENT_SPARSE && done < size)
    {
      gsize n = (gsize) MIN ((guint64) 64 * 1024, size - done);
      if (content == CONTENT_RANDOM)
        for (gsize i = 0; i < 16 * 1024; i++)
          buf[i] = g_rand_int (rand);
      else
        for (gsize i = 0; i < 64 * 1024; i += 32)
          g_snprintf ((char *) buf + i, 33, "line %08u of a text blob....\n",
                      (guint) ((done + i) / 32 + seed));
      g_assert_cmpint (write (fd, buf, n), ==, (gssize) n);
      done += n;
    }
  close (fd);
  sha256_file (blob->path, blob->digest, NULL);
}

static void
blob_clear (Blob *blob)
{
  g_clear_pointer (&blob->path, g_free);
}

static int
open_read (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  return fd;
}

static int
open_write (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  g_assert_cmpint (fd, >=, 0);
  return fd;
}

static FsHttp *
http_new (const char *url, guint connections, FsHttpEncoding encoding)
{
  g_autoptr (GError) error = NULL;
  FsHttpOptions options;
  FsHttp *http;

  _fs_http_options_init (&options);
  options.url = url;
  if (connections > 0)
    options.connections = connections;
  options.upload_encoding = encoding;
  http = _fs_http_new (&options, &error);
  g_assert_no_error (error);
  return http;
}

static void
put_blob (FsHttp *http, FsHttpEncoding encoding, const Blob *blob)
{
  g_autoptr (GError) error = NULL;
  int fd = open_read (blob->path);

  _fs_http_blob_put (http, encoding, blob->digest, blob->size, fd, NULL, NULL, &error);
  g_assert_no_error (error);
  close (fd);
}

/* GET into @out; returns the result, the error in @error. */
static gboolean
get_blob (FsHttp *http, FsHttpEncoding encoding, const Blob *blob, const char *out, GError **error)
{
  int fd = open_write (out);
  gboolean ok = _fs_http_blob_get (http, encoding, blob->digest, blob->size, fd, NULL, NULL, error);

  close (fd);
  return ok;
}

static gboolean
files_equal (const char *a, const char *b)
{
  char da[FS_HTTP_DIGEST_LEN + 1], db[FS_HTTP_DIGEST_LEN + 1];
  guint64 sa, sb;

  sha256_file (a, da, &sa);
  sha256_file (b, db, &sb);
  return sa == sb && strcmp (da, db) == 0;
}

static char *
server_blob_path (Fixture *fx, FsHttpEncoding encoding, const char *digest)
{
  g_autofree char *rel =
    g_strconcat (encoding == FS_HTTP_ENCODING_ZSTD ? "cas.zst/" : "cas/", digest, NULL);
  return fs_test_nginx_path (fx->nx, rel);
}

/* ---- options and credentials (no traffic) ----------------------------------------- */

static void
test_options (void)
{
  static const char *const bad[] = {
    "",
    "ftp://example.org/",
    "http://",
    "http://user:pw@127.0.0.1/",
    "http://127.0.0.1/?a=b",
    "http://127.0.0.1/#x",
    "not a url",
  };
  FsHttpOptions options;

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (FsHttp) http = NULL;

      _fs_http_options_init (&options);
      options.url = bad[i];
      http = _fs_http_new (&options, &error);
      g_assert_null (http);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      /* Never the password of a URL that carries one. */
      g_assert_null (strstr (error->message, ":pw@"));
    }

  {
    g_autoptr (GError) error = NULL;
    g_autoptr (FsHttp) http = NULL;

    _fs_http_options_init (&options);
    g_assert_cmpuint (options.connections, ==, FS_HTTP_DEFAULT_CONNECTIONS);
    g_assert_cmpuint (options.timeout, ==, FS_HTTP_DEFAULT_TIMEOUT);
    g_assert_true (options.verify_uploads);
    options.url = "http://127.0.0.1:1/base";
    http = _fs_http_new (&options, &error);
    g_assert_no_error (error);
    /* A trailing slash is added. */
    g_assert_cmpstr (_fs_http_get_url (http), ==, "http://127.0.0.1:1/base/");
  }
  for (guint connections = 0; connections <= FS_HTTP_MAX_CONNECTIONS + 1;
       connections += FS_HTTP_MAX_CONNECTIONS + 1)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (FsHttp) http = NULL;

      _fs_http_options_init (&options);
      options.url = "http://127.0.0.1:1/";
      options.connections = connections;
      http = _fs_http_new (&options, &error);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (FsHttp) http = NULL;

    _fs_http_options_init (&options);
    options.url = "http://127.0.0.1:1/";
    options.timeout = 0;
    http = _fs_http_new (&options, &error);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_credentials_file_errors (void)
{
  static const char *const bad[] = {
    "",
    "# only a comment\n\n",
    "bearer\n",
    "bearer two words SECRET1\n",
    "basic nocolonSECRET2\n",
    "basic :SECRET3\n",
    "several words SECRET4\n",
  };
  g_autoptr (GError) dir_error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("fscache-http-XXXXXX", &dir_error);
  g_autofree char *path = g_build_filename (dir, "credentials", NULL);
  FsHttpOptions options;

  g_assert_no_error (dir_error);
  _fs_http_options_init (&options);
  options.url = "http://127.0.0.1:1/";
  options.credentials_file = path;

  {
    g_autoptr (GError) error = NULL;
    g_autoptr (FsHttp) http = _fs_http_new (&options, &error);
    g_assert_null (http);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, path));
  }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (FsHttp) http = NULL;

      g_assert_true (g_file_set_contents (path, bad[i], -1, NULL));
      http = _fs_http_new (&options, &error);
      g_assert_null (http);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_nonnull (strstr (error->message, path));
      g_assert_null (strstr (error->message, "SECRET"));
    }
  /* The environment goes first: a broken file is not even read. */
  g_setenv ("FSCACHE_REMOTE_TOKEN", "abc", TRUE);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (FsHttp) http = _fs_http_new (&options, &error);
    g_assert_no_error (error);
    g_assert_nonnull (http);
  }
  g_setenv ("FSCACHE_REMOTE_TOKEN", "two words", TRUE);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (FsHttp) http = _fs_http_new (&options, &error);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_null (http);
  }
  g_unsetenv ("FSCACHE_REMOTE_TOKEN");
  fs_test_rm_rf (dir);
}

/* ---- blobs against nginx ---------------------------------------------------------- */

static void
test_head (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsHttp) http = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *on_server = NULL;
  Blob blob = { 0 };
  gboolean exists = TRUE;

  NEED_SERVER (fx);
  http = http_new (fx->nx->url, 0, FS_HTTP_ENCODING_PLAIN);
  blob_make (&blob, fx->tmpdir, "a", 1000, CONTENT_RANDOM, 1);

  g_assert_true (_fs_http_blob_exists (http, FS_HTTP_ENCODING_PLAIN, blob.digest, blob.size,
                                       &exists, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (exists);

  put_blob (http, FS_HTTP_ENCODING_PLAIN, &blob);
  g_assert_true (_fs_http_blob_exists (http, FS_HTTP_ENCODING_PLAIN, blob.digest, blob.size,
                                       &exists, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (exists);
  /* Size unknown: present. Under the other prefix: missing. */
  g_assert_true (_fs_http_blob_exists (http, FS_HTTP_ENCODING_PLAIN, blob.digest, G_MAXUINT64,
                                       &exists, NULL, &error));
  g_assert_true (exists);
  g_assert_true (_fs_http_blob_exists (http, FS_HTTP_ENCODING_ZSTD, blob.digest, blob.size, &exists,
                                       NULL, &error));
  g_assert_no_error (error);
  g_assert_false (exists);

  /* A truncated blob on the server counts as missing (it will be sent again). */
  on_server = server_blob_path (fx, FS_HTTP_ENCODING_PLAIN, blob.digest);
  g_assert_cmpint (truncate (on_server, 999), ==, 0);
  g_assert_true (_fs_http_blob_exists (http, FS_HTTP_ENCODING_PLAIN, blob.digest, blob.size,
                                       &exists, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (exists);

  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "HEAD", "/cas/", 0), ==, 4);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "HEAD", "/cas.zst/", 404), ==, 1);
  blob_clear (&blob);
}

static void
roundtrip (Fixture *fx, FsHttpEncoding encoding)
{
  static const struct {
    guint64 size;
    Content content;
  } cases[] = {
    { 0, CONTENT_RANDOM },     { 1, CONTENT_RANDOM },         { 1 << 20, CONTENT_RANDOM },
    { 1 << 20, CONTENT_TEXT }, { 100 << 20, CONTENT_SPARSE },
  };
  g_autoptr (FsHttp) http = http_new (fx->nx->url, 0, encoding);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *name = g_strdup_printf ("blob-%zu", i);
      g_autofree char *out = g_strdup_printf ("%s/out-%zu", fx->tmpdir, i);
      g_autofree char *on_server = NULL;
      g_autofree char *elsewhere = NULL;
      Blob blob = { 0 };
      guint64 wire = G_MAXUINT64;
      int fd;

      blob_make (&blob, fx->tmpdir, name, cases[i].size, cases[i].content, (guint32) i);
      fd = open_read (blob.path);
      g_assert_true (
        _fs_http_blob_put (http, encoding, blob.digest, blob.size, fd, &wire, NULL, &error));
      g_assert_no_error (error);
      close (fd);

      on_server = server_blob_path (fx, encoding, blob.digest);
      elsewhere = server_blob_path (fx, 1 - encoding, blob.digest);
      g_assert_true (g_file_test (on_server, G_FILE_TEST_IS_REGULAR));
      /* zstd blobs never land under cas/ (Bazel's meaning), nor plain under cas.zst/. */
      g_assert_false (g_file_test (elsewhere, G_FILE_TEST_EXISTS));
      if (encoding == FS_HTTP_ENCODING_PLAIN)
        {
          g_assert_cmpuint (wire, ==, blob.size);
          g_assert_true (files_equal (on_server, blob.path));
        }
      else
        {
          g_autofree char *z = NULL;
          g_autofree char *plain = g_malloc (blob.size + 1);
          gsize zlen = 0;
          g_assert_true (g_file_get_contents (on_server, &z, &zlen, NULL));
          g_assert_cmpuint (wire, ==, zlen);
          g_assert_cmpuint (ZSTD_decompress (plain, blob.size + 1, z, zlen), ==, blob.size);
          if (cases[i].content != CONTENT_RANDOM)
            g_assert_cmpuint (zlen, <, blob.size / 4 + 64);
        }

      wire = G_MAXUINT64;
      fd = open_write (out);
      g_assert_true (
        _fs_http_blob_get (http, encoding, blob.digest, blob.size, fd, &wire, NULL, &error));
      g_assert_no_error (error);
      close (fd);
      g_assert_true (files_equal (out, blob.path));
      if (encoding == FS_HTTP_ENCODING_PLAIN)
        g_assert_cmpuint (wire, ==, blob.size);
      else
        {
          struct stat st;
          g_assert_cmpint (stat (on_server, &st), ==, 0);
          g_assert_cmpuint (wire, ==, (guint64) st.st_size);
        }
      blob_clear (&blob);
    }
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "PUT", "/cas", 201), ==, G_N_ELEMENTS (cases));
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "GET", "/cas", 200), ==, G_N_ELEMENTS (cases));
}

static void
test_roundtrip_plain (Fixture *fx, gconstpointer data)
{
  NEED_SERVER (fx);
  roundtrip (fx, FS_HTTP_ENCODING_PLAIN);
}

static void
test_roundtrip_zstd (Fixture *fx, gconstpointer data)
{
  NEED_SERVER (fx);
  roundtrip (fx, FS_HTTP_ENCODING_ZSTD);
}

/* Damage done to a blob on the server, and what GET must say. */
typedef enum {
  DAMAGE_FLIP,
  DAMAGE_TRUNCATE,
  DAMAGE_EXTEND,
  DAMAGE_DELETE,
} Damage;

static void
damage_file (const char *path, Damage damage)
{
  struct stat st;
  int fd;

  g_assert_cmpint (stat (path, &st), ==, 0);
  switch (damage)
    {
    case DAMAGE_FLIP:
      {
        guint8 c;
        fd = open (path, O_RDWR | O_CLOEXEC);
        g_assert_cmpint (pread (fd, &c, 1, st.st_size / 2), ==, 1);
        c ^= 0x20;
        g_assert_cmpint (pwrite (fd, &c, 1, st.st_size / 2), ==, 1);
        close (fd);
      }
      break;
    case DAMAGE_TRUNCATE:
      g_assert_cmpint (truncate (path, st.st_size - 100), ==, 0);
      break;
    case DAMAGE_EXTEND:
      fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);
      g_assert_cmpint (write (fd, "more", 4), ==, 4);
      close (fd);
      break;
    case DAMAGE_DELETE:
      g_assert_cmpint (unlink (path), ==, 0);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
test_damaged (Fixture *fx, gconstpointer data)
{
  static const Damage damages[] = { DAMAGE_FLIP, DAMAGE_TRUNCATE, DAMAGE_EXTEND, DAMAGE_DELETE };
  g_autofree char *out = g_build_filename (fx->tmpdir, "out", NULL);

  NEED_SERVER (fx);
  for (FsHttpEncoding encoding = FS_HTTP_ENCODING_PLAIN; encoding <= FS_HTTP_ENCODING_ZSTD;
       encoding++)
    for (gsize i = 0; i < G_N_ELEMENTS (damages); i++)
      {
        g_autoptr (FsHttp) http = http_new (fx->nx->url, 0, encoding);
        g_autoptr (GError) error = NULL;
        g_autofree char *on_server = NULL;
        g_autofree char *url = NULL;
        Blob blob = { 0 };

        g_test_message ("encoding %d, damage %d", encoding, damages[i]);
        blob_make (&blob, fx->tmpdir, "blob", 300 * 1024, CONTENT_TEXT,
                   (guint32) (10 * encoding + i));
        put_blob (http, encoding, &blob);
        on_server = server_blob_path (fx, encoding, blob.digest);
        damage_file (on_server, damages[i]);

        g_assert_false (get_blob (http, encoding, &blob, out, &error));
        g_assert_nonnull (error);
        g_test_message ("%s", error->message);
        url = g_strconcat (fx->nx->url, encoding == FS_HTTP_ENCODING_ZSTD ? "cas.zst/" : "cas/",
                           blob.digest, NULL);
        g_assert_nonnull (strstr (error->message, url));
        if (damages[i] == DAMAGE_DELETE)
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
        else
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        if (encoding == FS_HTTP_ENCODING_PLAIN && damages[i] == DAMAGE_FLIP)
          g_assert_nonnull (strstr (error->message, "digest"));
        blob_clear (&blob);
      }
}

static void
test_status_errors (Fixture *fx, gconstpointer data)
{
  static const struct {
    const char *location;
    const char *status;
    int code;
  } cases[] = {
    { "e404/", "404", G_IO_ERROR_NOT_FOUND },
    { "e500/", "500", G_IO_ERROR_FAILED },
    { "e503/", "503", G_IO_ERROR_FAILED },
  };
  g_autofree char *out = g_build_filename (fx->tmpdir, "out", NULL);
  Blob blob = { 0 };

  NEED_SERVER (fx);
  blob_make (&blob, fx->tmpdir, "blob", 1000, CONTENT_RANDOM, 1);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *base = fs_test_nginx_url (fx->nx, cases[i].location);
      g_autoptr (FsHttp) http = http_new (base, 0, FS_HTTP_ENCODING_PLAIN);
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) doc = NULL;
      gboolean exists = FALSE;
      char key[FS_HTTP_DIGEST_LEN + 1];
      int fd;

      g_assert_false (get_blob (http, FS_HTTP_ENCODING_PLAIN, &blob, out, &error));
      g_assert_error (error, G_IO_ERROR, cases[i].code);
      g_assert_nonnull (strstr (error->message, cases[i].status));
      g_assert_nonnull (strstr (error->message, base));
      g_clear_error (&error);

      fd = open_read (blob.path);
      g_assert_false (_fs_http_blob_put (http, FS_HTTP_ENCODING_PLAIN, blob.digest, blob.size, fd,
                                         NULL, NULL, &error));
      close (fd);
      g_assert_error (error, G_IO_ERROR, cases[i].code);
      g_assert_nonnull (strstr (error->message, cases[i].status));
      g_clear_error (&error);

      _fs_http_ac_key ("ns", "name", key);
      if (cases[i].code == G_IO_ERROR_NOT_FOUND)
        {
          /* 404 is "no such entry" for HEAD and ac: an answer, not an error. */
          g_assert_true (_fs_http_blob_exists (http, FS_HTTP_ENCODING_PLAIN, blob.digest, blob.size,
                                               &exists, NULL, &error));
          g_assert_no_error (error);
          g_assert_false (exists);
          g_assert_true (_fs_http_ac_get (http, key, &doc, NULL, &error));
          g_assert_no_error (error);
          g_assert_null (doc);
        }
      else
        {
          g_assert_false (_fs_http_blob_exists (http, FS_HTTP_ENCODING_PLAIN, blob.digest,
                                                blob.size, &exists, NULL, &error));
          g_assert_error (error, G_IO_ERROR, cases[i].code);
          g_assert_nonnull (strstr (error->message, cases[i].status));
          g_clear_error (&error);
          g_assert_false (_fs_http_ac_get (http, key, &doc, NULL, &error));
          g_assert_error (error, G_IO_ERROR, cases[i].code);
          g_assert_null (doc);
        }
    }
  blob_clear (&blob);
}

/* ---- the server dies, is slow, a transfer is cancelled ---------------------------- */

typedef struct {
  FsHttp *http;
  FsHttpEncoding encoding;
  const Blob *blob;
  const char *out;
  GCancellable *cancellable;
  GError *error;
  gboolean ok;
} GetThread;

static gpointer
get_thread (gpointer data)
{
  GetThread *g = data;
  int fd = open_write (g->out);

  g->ok = _fs_http_blob_get (g->http, g->encoding, g->blob->digest, g->blob->size, fd, NULL,
                             g->cancellable, &g->error);
  close (fd);
  return NULL;
}

/* Waits until @path has at least one byte: the transfer is under way. */
static void
wait_for_bytes (const char *path)
{
  struct stat st;

  for (;;)
    {
      if (stat (path, &st) == 0 && st.st_size > 0)
        return;
      g_usleep (2000);
    }
}

/* A blob of 20 MiB put straight into the server's folder, fetched through
 * /slow/ (256 KiB/s): the transfer lasts over a minute unless interrupted. */
static void
slow_blob (Fixture *fx, Blob *blob)
{
  g_autofree char *on_server = NULL;
  g_autofree char *cas = fs_test_nginx_path (fx->nx, "cas");

  blob_make (blob, fx->tmpdir, "big", 20 << 20, CONTENT_RANDOM, 7);
  on_server = server_blob_path (fx, FS_HTTP_ENCODING_PLAIN, blob->digest);
  g_assert_cmpint (g_mkdir_with_parents (cas, 0755), ==, 0);
  g_assert_cmpint (link (blob->path, on_server), ==, 0);
}

static void
test_server_killed (Fixture *fx, gconstpointer data)
{
  g_autofree char *slow = NULL;
  g_autofree char *out = g_build_filename (fx->tmpdir, "out", NULL);
  g_autoptr (FsHttp) http = NULL;
  g_autoptr (GError) error = NULL;
  GetThread g = { 0 };
  GThread *thread;
  Blob blob = { 0 };
  gboolean exists;

  NEED_SERVER (fx);
  slow_blob (fx, &blob);
  slow = fs_test_nginx_url (fx->nx, "slow/");
  http = http_new (slow, 0, FS_HTTP_ENCODING_PLAIN);
  g = (GetThread){ http, FS_HTTP_ENCODING_PLAIN, &blob, out, NULL, NULL, FALSE };
  thread = g_thread_new ("get", get_thread, &g);
  wait_for_bytes (out);
  fs_test_nginx_kill (fx->nx);
  g_thread_join (thread);

  g_assert_false (g.ok);
  g_assert_nonnull (g.error);
  g_test_message ("%s", g.error->message);
  g_assert_nonnull (strstr (g.error->message, slow));
  g_assert_false (g_error_matches (g.error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&g.error);

  /* And the next request finds nobody. */
  g_assert_false (_fs_http_blob_exists (http, FS_HTTP_ENCODING_PLAIN, blob.digest, blob.size,
                                        &exists, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "HEAD"));
  blob_clear (&blob);
}

typedef struct {
  FsHttp *http;
  const Blob *blob;
  GError *error;
  gboolean ok;
  gint done; /* atomic */
} PutThread;

static gpointer
put_thread (gpointer data)
{
  PutThread *p = data;
  int fd = open_read (p->blob->path);

  p->ok = _fs_http_blob_put (p->http, FS_HTTP_ENCODING_PLAIN, p->blob->digest, p->blob->size, fd,
                             NULL, NULL, &p->error);
  close (fd);
  g_atomic_int_set (&p->done, 1);
  return NULL;
}

/* Whether nginx has started to receive a request body (its temporary file). */
static gboolean
server_receiving (Fixture *fx)
{
  g_autofree char *dir = g_build_filename (fx->nx->dir, "tmp", "body", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *sub = g_build_filename (dir, name, NULL);
      if (!g_file_test (sub, G_FILE_TEST_IS_DIR))
        return TRUE;
      /* nginx spreads its temporary files over levels of folders */
      {
        g_autoptr (GDir) d2 = g_dir_open (sub, 0, NULL);
        if (d2 != NULL && g_dir_read_name (d2) != NULL)
          return TRUE;
      }
    }
  return FALSE;
}

static void
test_server_killed_put (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsHttp) http = NULL;
  g_autofree char *on_server = NULL;
  PutThread p = { 0 };
  GThread *thread;
  Blob blob = { 0 };

  NEED_SERVER (fx);
  blob_make (&blob, fx->tmpdir, "big", (guint64) 512 << 20, CONTENT_SPARSE, 8);
  http = http_new (fx->nx->url, 0, FS_HTTP_ENCODING_PLAIN);
  p = (PutThread){ http, &blob, NULL, FALSE, 0 };
  thread = g_thread_new ("put", put_thread, &p);
  while (!server_receiving (fx) && !g_atomic_int_get (&p.done))
    g_usleep (1000);
  if (g_atomic_int_get (&p.done))
    {
      g_thread_join (thread);
      g_clear_error (&p.error);
      blob_clear (&blob);
      g_test_skip ("the upload ended before the server could be stopped");
      return;
    }
  fs_test_nginx_kill (fx->nx);
  g_thread_join (thread);
  g_assert_false (p.ok);
  g_assert_nonnull (p.error);
  g_test_message ("%s", p.error->message);
  g_assert_nonnull (strstr (p.error->message, "PUT"));
  g_assert_nonnull (strstr (p.error->message, blob.digest));
  g_clear_error (&p.error);
  on_server = server_blob_path (fx, FS_HTTP_ENCODING_PLAIN, blob.digest);
  g_assert_false (g_file_test (on_server, G_FILE_TEST_EXISTS));
  blob_clear (&blob);
}

static void
test_timeout (Fixture *fx, gconstpointer data)
{
  g_autofree char *slow = NULL;
  g_autofree char *out = g_build_filename (fx->tmpdir, "out", NULL);
  g_autofree char *cas = NULL;
  g_autofree char *on_server = NULL;
  g_autoptr (FsHttp) http = NULL;
  g_autoptr (GError) error = NULL;
  FsHttpOptions options;
  Blob blob = { 0 };

  NEED_SERVER (fx);
  /* /slow/ sends 1 KiB/s; one second of timeout, the default minimum speed. */
  blob_make (&blob, fx->tmpdir, "blob", 1 << 20, CONTENT_RANDOM, 3);
  cas = fs_test_nginx_path (fx->nx, "cas");
  on_server = server_blob_path (fx, FS_HTTP_ENCODING_PLAIN, blob.digest);
  g_assert_cmpint (g_mkdir_with_parents (cas, 0755), ==, 0);
  g_assert_cmpint (link (blob.path, on_server), ==, 0);
  slow = fs_test_nginx_url (fx->nx, "slow/");
  _fs_http_options_init (&options);
  options.url = slow;
  options.timeout = 1;
  http = _fs_http_new (&options, &error);
  g_assert_no_error (error);

  g_assert_false (get_blob (http, FS_HTTP_ENCODING_PLAIN, &blob, out, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, slow));
  blob_clear (&blob);
}

/* A trickle that never stops: /slow/ at 4 KiB/s sends something every
 * second, so no wait reaches the 3 s timeout, but the average stays under
 * the minimum speed (10 KiB/s by default) over a window of 3 s. */
static void
test_min_speed (Fixture *fx, gconstpointer data)
{
  g_autofree char *slow = NULL;
  g_autofree char *out = g_build_filename (fx->tmpdir, "out", NULL);
  g_autofree char *cas = NULL;
  g_autofree char *on_server = NULL;
  g_autoptr (FsHttp) http = NULL;
  g_autoptr (GError) error = NULL;
  FsHttpOptions options;
  Blob blob = { 0 };

  NEED_SERVER (fx);
  blob_make (&blob, fx->tmpdir, "blob", 1 << 20, CONTENT_RANDOM, 4);
  cas = fs_test_nginx_path (fx->nx, "cas");
  on_server = server_blob_path (fx, FS_HTTP_ENCODING_PLAIN, blob.digest);
  g_assert_cmpint (g_mkdir_with_parents (cas, 0755), ==, 0);
  g_assert_cmpint (link (blob.path, on_server), ==, 0);
  slow = fs_test_nginx_url (fx->nx, "slow/");
  _fs_http_options_init (&options);
  options.url = slow;
  options.timeout = 3;
  http = _fs_http_new (&options, &error);
  g_assert_no_error (error);

  g_assert_false (get_blob (http, FS_HTTP_ENCODING_PLAIN, &blob, out, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, "too slow"));
  g_assert_nonnull (strstr (error->message, slow));
  blob_clear (&blob);
}

static void
test_cancel (Fixture *fx, gconstpointer data)
{
  g_autofree char *slow = NULL;
  g_autofree char *out = g_build_filename (fx->tmpdir, "out", NULL);
  g_autoptr (FsHttp) http = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GetThread g = { 0 };
  GThread *thread;
  Blob blob = { 0 };

  NEED_SERVER (fx);
  slow_blob (fx, &blob);
  slow = fs_test_nginx_url (fx->nx, "slow/");
  http = http_new (slow, 0, FS_HTTP_ENCODING_PLAIN);
  g = (GetThread){ http, FS_HTTP_ENCODING_PLAIN, &blob, out, cancellable, NULL, FALSE };
  thread = g_thread_new ("get", get_thread, &g);
  wait_for_bytes (out);
  g_cancellable_cancel (cancellable);
  g_thread_join (thread);
  g_assert_false (g.ok);
  g_assert_error (g.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&g.error);
  blob_clear (&blob);
}

/* A cancellation of _fs_http_run() stops its transfers. */
typedef struct {
  FsHttp *http;
  FsHttpTransfer *transfers;
  guint n;
  GCancellable *cancellable;
  GError *error;
  gboolean ok;
} RunThread;

static gpointer
run_thread (gpointer data)
{
  RunThread *r = data;

  r->ok = _fs_http_run (r->http, r->transfers, r->n, FS_HTTP_RUN_NONE, NULL, NULL, r->cancellable,
                        &r->error);
  return NULL;
}

static void
test_cancel_run (Fixture *fx, gconstpointer data)
{
  g_autofree char *slow = NULL;
  g_autoptr (FsHttp) http = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  FsHttpTransfer transfers[3] = { { 0 } };
  g_autofree char *out0 = g_build_filename (fx->tmpdir, "out0", NULL);
  RunThread r = { 0 };
  GThread *thread;
  Blob blob = { 0 };

  NEED_SERVER (fx);
  slow_blob (fx, &blob);
  slow = fs_test_nginx_url (fx->nx, "slow/");
  http = http_new (slow, 2, FS_HTTP_ENCODING_PLAIN);
  for (guint i = 0; i < G_N_ELEMENTS (transfers); i++)
    {
      g_autofree char *out = g_strdup_printf ("%s/out%u", fx->tmpdir, i);
      transfers[i].op = FS_HTTP_OP_GET;
      g_strlcpy (transfers[i].digest, blob.digest, sizeof transfers[i].digest);
      transfers[i].size = blob.size;
      transfers[i].fd = open_write (out);
    }
  r = (RunThread){ http, transfers, G_N_ELEMENTS (transfers), cancellable, NULL, FALSE };
  thread = g_thread_new ("run", run_thread, &r);
  wait_for_bytes (out0);
  g_cancellable_cancel (cancellable);
  g_thread_join (thread);
  g_assert_false (r.ok);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&r.error);
  /* The ones that started were cancelled; the third never ran (two
   * connections: it waits for one). Whether the second reached the server
   * before the cancel is a race: one or two GETs. */
  for (guint i = 0; i < G_N_ELEMENTS (transfers); i++)
    {
      g_assert_error (transfers[i].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      close (transfers[i].fd);
      _fs_http_transfer_clear (&transfers[i]);
    }
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "GET", "/slow/cas/", 0), >=, 1);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "GET", "/slow/cas/", 0), <=, 2);
  blob_clear (&blob);
}

/* ---- credentials ------------------------------------------------------------------ */

static void
check_denied (Fixture *fx, FsHttp *http, const Blob *blob)
{
  g_autoptr (GError) error = NULL;
  gboolean exists;

  g_assert_false (_fs_http_blob_exists (http, FS_HTTP_ENCODING_PLAIN, blob->digest, blob->size,
                                        &exists, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, "401"));
}

static void
check_allowed (Fixture *fx, FsHttp *http, const Blob *blob)
{
  g_autofree char *out = g_build_filename (fx->tmpdir, "out", NULL);
  g_autoptr (GError) error = NULL;

  put_blob (http, FS_HTTP_ENCODING_PLAIN, blob);
  g_assert_true (get_blob (http, FS_HTTP_ENCODING_PLAIN, blob, out, &error));
  g_assert_no_error (error);
  g_assert_true (files_equal (out, blob->path));
}

static FsHttp *
http_with_file (Fixture *fx, const char *content)
{
  g_autofree char *path = g_build_filename (fx->tmpdir, "credentials", NULL);
  g_autoptr (GError) error = NULL;
  FsHttpOptions options;
  FsHttp *http;

  g_assert_true (g_file_set_contents (path, content, -1, NULL));
  _fs_http_options_init (&options);
  options.url = fx->nx->url;
  options.credentials_file = path;
  http = _fs_http_new (&options, &error);
  g_assert_no_error (error);
  return http;
}

static void
test_auth_basic (Fixture *fx, gconstpointer data)
{
  Blob blob = { 0 };

  NEED_SERVER (fx);
  blob_make (&blob, fx->tmpdir, "blob", 5000, CONTENT_RANDOM, 5);

  {
    g_autoptr (FsHttp) http = http_new (fx->nx->url, 0, FS_HTTP_ENCODING_PLAIN);
    check_denied (fx, http, &blob);
  }
  g_setenv ("FSCACHE_REMOTE_USER", "alice", TRUE);
  g_setenv ("FSCACHE_REMOTE_PASSWORD", "wrong", TRUE);
  {
    g_autoptr (FsHttp) http = http_new (fx->nx->url, 0, FS_HTTP_ENCODING_PLAIN);
    check_denied (fx, http, &blob);
  }
  g_setenv ("FSCACHE_REMOTE_PASSWORD", "s3cret:pw", TRUE);
  {
    g_autoptr (FsHttp) http = http_new (fx->nx->url, 0, FS_HTTP_ENCODING_PLAIN);
    check_allowed (fx, http, &blob);
  }
  g_unsetenv ("FSCACHE_REMOTE_USER");
  g_unsetenv ("FSCACHE_REMOTE_PASSWORD");
  {
    g_autoptr (FsHttp) http = http_with_file (fx, "# for the CI\n\nbasic alice:s3cret:pw\n");
    check_allowed (fx, http, &blob);
  }
  {
    g_autoptr (FsHttp) http = http_with_file (fx, "basic alice:other\n");
    check_denied (fx, http, &blob);
  }
  /* The password, and the header that carries it, never in a log message. */
  g_assert_true (log_contains (fx->nx->url));
  g_assert_false (log_contains ("s3cret"));
  g_assert_false (log_contains ("YWxpY2U6czNjcmV0OnB3")); /* base64 of alice:s3cret:pw */
  blob_clear (&blob);
}

static void
test_auth_bearer (Fixture *fx, gconstpointer data)
{
  Blob blob = { 0 };

  NEED_SERVER (fx);
  blob_make (&blob, fx->tmpdir, "blob", 5000, CONTENT_RANDOM, 6);
  {
    g_autoptr (FsHttp) http = http_new (fx->nx->url, 0, FS_HTTP_ENCODING_PLAIN);
    check_denied (fx, http, &blob);
  }
  g_setenv ("FSCACHE_REMOTE_TOKEN", "TOKEN-d41d8cd98f00b204", TRUE);
  {
    g_autoptr (FsHttp) http = http_new (fx->nx->url, 0, FS_HTTP_ENCODING_PLAIN);
    check_allowed (fx, http, &blob);
  }
  g_setenv ("FSCACHE_REMOTE_TOKEN", "TOKEN-wrong", TRUE);
  {
    g_autoptr (FsHttp) http = http_new (fx->nx->url, 0, FS_HTTP_ENCODING_PLAIN);
    check_denied (fx, http, &blob);
  }
  g_unsetenv ("FSCACHE_REMOTE_TOKEN");
  {
    g_autoptr (FsHttp) http = http_with_file (fx, "bearer TOKEN-d41d8cd98f00b204\n");
    check_allowed (fx, http, &blob);
  }
  {
    /* A file that holds just the token (as secrets are often mounted). */
    g_autoptr (FsHttp) http = http_with_file (fx, "TOKEN-d41d8cd98f00b204");
    check_allowed (fx, http, &blob);
  }
  g_assert_true (log_contains (fx->nx->url));
  g_assert_false (log_contains ("d41d8cd98f00b204"));
  blob_clear (&blob);
}

/* ---- proxies ------------------------------------------------------------------------ */

static void
set_env (const char *name, const char *value)
{
  if (value != NULL)
    g_setenv (name, value, TRUE);
  else if (g_getenv (name) != NULL)
    g_unsetenv (name);
}

/* Proxies from the environment, as curl takes them. nginx answers a request
 * for an absolute URL with its default server: a blob of a host that does
 * not exist arrives when, and only when, the request goes through it. */
static void
test_proxy_env (Fixture *fx, gconstpointer data)
{
  static const char *const vars[] = { "http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
                                      "ALL_PROXY",  "no_proxy",    "NO_PROXY" };
  char *saved[G_N_ELEMENTS (vars)] = { NULL };
  g_autofree char *out = g_build_filename (fx->tmpdir, "out", NULL);
  const char *base = "http://fscache-test.invalid/";
  Blob blob = { 0 };

  NEED_SERVER (fx);
  for (gsize i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      saved[i] = g_strdup (g_getenv (vars[i]));
      set_env (vars[i], NULL);
    }
  blob_make (&blob, fx->tmpdir, "blob", 3000, CONTENT_RANDOM, 31);
  {
    g_autoptr (FsHttp) direct = http_new (fx->nx->url, 0, FS_HTTP_ENCODING_PLAIN);
    put_blob (direct, FS_HTTP_ENCODING_PLAIN, &blob);
  }

  for (int pass = 0; pass < 4; pass++)
    {
      g_autoptr (FsHttp) http = NULL;
      g_autoptr (GError) error = NULL;
      gboolean through_proxy = pass < 2;

      set_env ("http_proxy", pass == 0 ? fx->nx->url : NULL);
      set_env ("all_proxy", pass == 1 ? fx->nx->url : NULL);
      /* 2: a proxy, but not for this host; 3: no proxy at all. */
      if (pass == 2)
        {
          set_env ("http_proxy", fx->nx->url);
          set_env ("no_proxy", "localhost, .invalid");
        }
      if (pass == 3)
        set_env ("no_proxy", NULL);
      http = http_new (base, 0, FS_HTTP_ENCODING_PLAIN);
      g_test_message ("pass %d", pass);
      if (through_proxy)
        {
          g_assert_true (get_blob (http, FS_HTTP_ENCODING_PLAIN, &blob, out, &error));
          g_assert_no_error (error);
          g_assert_true (files_equal (out, blob.path));
        }
      else
        {
          g_assert_false (get_blob (http, FS_HTTP_ENCODING_PLAIN, &blob, out, &error));
          g_assert_nonnull (error);
          g_test_message ("%s", error->message);
        }
    }
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "GET", "/cas/", 200), ==, 2);

  for (gsize i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      set_env (vars[i], saved[i]);
      g_free (saved[i]);
    }
  blob_clear (&blob);
}

/* ---- many at once ----------------------------------------------------------------- */

typedef struct {
  guint calls;
  guint64 last_bytes;
  guint last_done;
} Progress;

static void
progress_cb (guint64 bytes, guint n_done, guint n_total, gpointer data)
{
  Progress *p = data;

  g_assert_cmpuint (bytes, >=, p->last_bytes);
  g_assert_cmpuint (n_done, >=, p->last_done);
  g_assert_cmpuint (n_done, <=, n_total);
  p->calls++;
  p->last_bytes = bytes;
  p->last_done = n_done;
}

#define N_PARALLEL 32

static void
parallel (Fixture *fx, FsHttpEncoding encoding)
{
  g_autoptr (FsHttp) http = http_new (fx->nx->url, 4, encoding);
  g_autoptr (GError) error = NULL;
  Blob blobs[N_PARALLEL] = { { 0 } };
  FsHttpTransfer transfers[N_PARALLEL] = { { 0 } };
  Progress progress = { 0 };
  guint64 total = 0;
  const char *cas = encoding == FS_HTTP_ENCODING_ZSTD ? "/cas.zst/" : "/cas/";

  for (guint i = 0; i < N_PARALLEL; i++)
    {
      g_autofree char *name = g_strdup_printf ("blob-%u", i);
      blob_make (&blobs[i], fx->tmpdir, name, 64 * 1024 + i, CONTENT_RANDOM, 100 + i);
      transfers[i].op = FS_HTTP_OP_UPLOAD;
      transfers[i].encoding = encoding;
      g_strlcpy (transfers[i].digest, blobs[i].digest, sizeof transfers[i].digest);
      transfers[i].size = blobs[i].size;
      transfers[i].fd = open_read (blobs[i].path);
      total += blobs[i].size;
    }
  /* Two blobs with the same content: the same digest (both are sent: each
   * HEAD may come before the other's PUT). */
  g_assert_true (_fs_http_run (http, transfers, N_PARALLEL, FS_HTTP_RUN_NONE, progress_cb,
                               &progress, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < N_PARALLEL; i++)
    {
      g_assert_true (transfers[i].done);
      g_assert_false (transfers[i].exists);
      g_assert_null (transfers[i].error);
      if (encoding == FS_HTTP_ENCODING_PLAIN)
        g_assert_cmpuint (transfers[i].wire_bytes, ==, blobs[i].size);
    }
  g_assert_cmpuint (progress.last_done, ==, N_PARALLEL);
  if (encoding == FS_HTTP_ENCODING_PLAIN)
    g_assert_cmpuint (progress.last_bytes, ==, total);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "HEAD", cas, 404), ==, N_PARALLEL);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "PUT", cas, 201), ==, N_PARALLEL);
  /* At most `connections` connections, kept alive across the threads. */
  g_assert_cmpuint (fs_test_nginx_count_connections (fx->nx, NULL, "/"), <=, 4);

  /* Again: the server has them all, nothing is sent. */
  progress = (Progress){ 0 };
  g_assert_true (_fs_http_run (http, transfers, N_PARALLEL, FS_HTTP_RUN_NONE, progress_cb,
                               &progress, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < N_PARALLEL; i++)
    {
      g_assert_true (transfers[i].exists);
      g_assert_cmpuint (transfers[i].wire_bytes, ==, 0);
      close (transfers[i].fd);
    }
  g_assert_cmpuint (progress.last_bytes, ==, 0);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "HEAD", cas, 200), ==, N_PARALLEL);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "PUT", cas, 0), ==, N_PARALLEL);

  /* Download them all, in parallel, verified. */
  progress = (Progress){ 0 };
  for (guint i = 0; i < N_PARALLEL; i++)
    {
      g_autofree char *out = g_strdup_printf ("%s/out-%u", fx->tmpdir, i);
      transfers[i].op = FS_HTTP_OP_GET;
      transfers[i].fd = open_write (out);
    }
  g_assert_true (_fs_http_run (http, transfers, N_PARALLEL, FS_HTTP_RUN_NONE, progress_cb,
                               &progress, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (progress.last_done, ==, N_PARALLEL);
  g_assert_cmpuint (progress.last_bytes, >, 0);
  for (guint i = 0; i < N_PARALLEL; i++)
    {
      g_autofree char *out = g_strdup_printf ("%s/out-%u", fx->tmpdir, i);
      close (transfers[i].fd);
      g_assert_true (files_equal (out, blobs[i].path));
      _fs_http_transfer_clear (&transfers[i]);
      blob_clear (&blobs[i]);
    }
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "GET", cas, 200), ==, N_PARALLEL);
  g_assert_cmpuint (fs_test_nginx_count_connections (fx->nx, NULL, "/"), <=, 4);
}

static void
test_parallel_plain (Fixture *fx, gconstpointer data)
{
  NEED_SERVER (fx);
  parallel (fx, FS_HTTP_ENCODING_PLAIN);
}

static void
test_parallel_zstd (Fixture *fx, gconstpointer data)
{
  NEED_SERVER (fx);
  parallel (fx, FS_HTTP_ENCODING_ZSTD);
}

static void
test_parallel_failure (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsHttp) http = NULL;
  Blob blobs[8] = { { 0 } };
  FsHttpTransfer transfers[8] = { { 0 } };
  g_autofree char *bad = NULL;

  NEED_SERVER (fx);
  http = http_new (fx->nx->url, 3, FS_HTTP_ENCODING_PLAIN);
  for (guint i = 0; i < G_N_ELEMENTS (blobs); i++)
    {
      g_autofree char *name = g_strdup_printf ("blob-%u", i);
      blob_make (&blobs[i], fx->tmpdir, name, 10000, CONTENT_RANDOM, 200 + i);
      put_blob (http, FS_HTTP_ENCODING_PLAIN, &blobs[i]);
    }
  bad = server_blob_path (fx, FS_HTTP_ENCODING_PLAIN, blobs[5].digest);
  damage_file (bad, DAMAGE_FLIP);

  for (int keep_going = 0; keep_going <= 1; keep_going++)
    {
      g_autoptr (GError) error = NULL;
      guint n_failed = 0;

      for (guint i = 0; i < G_N_ELEMENTS (blobs); i++)
        {
          g_autofree char *out = g_strdup_printf ("%s/out-%u", fx->tmpdir, i);
          transfers[i].op = FS_HTTP_OP_GET;
          g_strlcpy (transfers[i].digest, blobs[i].digest, sizeof transfers[i].digest);
          transfers[i].size = blobs[i].size;
          transfers[i].fd = open_write (out);
        }
      g_assert_false (_fs_http_run (http, transfers, G_N_ELEMENTS (transfers),
                                    keep_going ? FS_HTTP_RUN_KEEP_GOING : FS_HTTP_RUN_NONE, NULL,
                                    NULL, NULL, &error));
      /* The error of the corrupt blob, not a cancellation of another. */
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_nonnull (strstr (error->message, blobs[5].digest));
      g_assert_error (transfers[5].error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      for (guint i = 0; i < G_N_ELEMENTS (blobs); i++)
        {
          close (transfers[i].fd);
          if (transfers[i].error != NULL)
            n_failed++;
          if (keep_going && i != 5)
            {
              g_autofree char *out = g_strdup_printf ("%s/out-%u", fx->tmpdir, i);
              g_assert_no_error (transfers[i].error);
              g_assert_true (files_equal (out, blobs[i].path));
            }
          else if (i != 5 && transfers[i].error != NULL)
            g_assert_error (transfers[i].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
          _fs_http_transfer_clear (&transfers[i]);
        }
      if (keep_going)
        g_assert_cmpuint (n_failed, ==, 1);
    }
  for (guint i = 0; i < G_N_ELEMENTS (blobs); i++)
    blob_clear (&blobs[i]);
}

/* ---- uploads that must not land --------------------------------------------------- */

static void
test_put_verify (Fixture *fx, gconstpointer data)
{
  NEED_SERVER (fx);
  for (FsHttpEncoding encoding = FS_HTTP_ENCODING_PLAIN; encoding <= FS_HTTP_ENCODING_ZSTD;
       encoding++)
    {
      g_autoptr (FsHttp) http = http_new (fx->nx->url, 0, encoding);
      Blob blob = { 0 }, other = { 0 };
      g_autofree char *on_server = NULL;
      int fd;

      blob_make (&blob, fx->tmpdir, "blob", 2 << 20, CONTENT_RANDOM, 11);
      blob_make (&other, fx->tmpdir, "other", 2 << 20, CONTENT_RANDOM, 12);

      /* The bytes of one blob under the digest of another. */
      {
        g_autoptr (GError) error = NULL;
        fd = open_read (other.path);
        g_assert_false (
          _fs_http_blob_put (http, encoding, blob.digest, blob.size, fd, NULL, NULL, &error));
        close (fd);
        g_test_message ("%s", error->message);
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        g_assert_nonnull (strstr (error->message, other.digest));
      }
      /* A source of another size: refused before anything is sent. */
      {
        g_autoptr (GError) error = NULL;
        fd = open_read (blob.path);
        g_assert_false (
          _fs_http_blob_put (http, encoding, blob.digest, blob.size + 1, fd, NULL, NULL, &error));
        close (fd);
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      }
      on_server = server_blob_path (fx, encoding, blob.digest);
      g_assert_false (g_file_test (on_server, G_FILE_TEST_EXISTS));
      g_assert_cmpuint (fs_test_nginx_count (fx->nx, "PUT", "/", 201), ==, 0);

      /* The empty blob has one digest only. */
      {
        g_autoptr (GError) error = NULL;
        g_autofree char *empty = g_build_filename (fx->tmpdir, "empty", NULL);
        g_assert_true (g_file_set_contents (empty, "", 0, NULL));
        fd = open_read (empty);
        g_assert_false (_fs_http_blob_put (http, encoding, blob.digest, 0, fd, NULL, NULL, &error));
        close (fd);
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      }
      blob_clear (&blob);
      blob_clear (&other);
    }
}

/* ---- ac --------------------------------------------------------------------------- */

static void
test_ac_key (void)
{
  static const char input[] = "fscache-entry\0my-namespace\0the/name";
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  char key[FS_HTTP_DIGEST_LEN + 1], other[FS_HTTP_DIGEST_LEN + 1];

  g_checksum_update (sum, (const guchar *) input, sizeof input - 1);
  _fs_http_ac_key ("my-namespace", "the/name", key);
  g_assert_cmpstr (key, ==, g_checksum_get_string (sum));
  g_assert_true (_fs_http_digest_is_valid (key));
  /* The separator keeps ("a", "bc") and ("ab", "c") apart. */
  _fs_http_ac_key ("a", "bc", key);
  _fs_http_ac_key ("ab", "c", other);
  g_assert_cmpstr (key, !=, other);
}

static void
test_ac_document (void)
{
  static const char *const bad[] = {
    "",
    "not json",
    "[]",
    "{}",
    "{\"fscache-ac\": 2, \"namespace\": \"ns\", \"name\": \"n\", \"manifest\": "
    "\"0000000000000000000000000000000000000000000000000000000000000000\", \"manifest-size\": 1}",
    "{\"fscache-ac\": 1, \"namespace\": \"other\", \"name\": \"n\", \"manifest\": "
    "\"0000000000000000000000000000000000000000000000000000000000000000\", \"manifest-size\": 1}",
    "{\"fscache-ac\": 1, \"namespace\": \"ns\", \"name\": \"m\", \"manifest\": "
    "\"0000000000000000000000000000000000000000000000000000000000000000\", \"manifest-size\": 1}",
    "{\"fscache-ac\": 1, \"namespace\": \"ns\", \"name\": \"n\", \"manifest\": "
    "\"00000000000000000000000000000000000000000000000000000000000000\", \"manifest-size\": 1}",
    "{\"fscache-ac\": 1, \"namespace\": \"ns\", \"name\": \"n\", \"manifest\": "
    "\"000000000000000000000000000000000000000000000000000000000000000G\", \"manifest-size\": 1}",
    "{\"fscache-ac\": 1, \"namespace\": \"ns\", \"name\": \"n\", \"manifest\": "
    "\"0000000000000000000000000000000000000000000000000000000000000000\", \"manifest-size\": -1}",
    "{\"fscache-ac\": 1, \"namespace\": \"ns\", \"name\": \"n\", \"manifest\": "
    "\"0000000000000000000000000000000000000000000000000000000000000000\", \"manifest-size\": "
    "\"1\"}",
    "{\"fscache-ac\": 1, \"namespace\": \"ns\", \"name\": \"n\", \"manifest\": "
    "\"0000000000000000000000000000000000000000000000000000000000000000\", \"manifest-size\": 1, "
    "\"blobs\": \"cas.gz\"}",
    "{\"fscache-ac\": 1, \"namespace\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
  };
  FsHttpAcDocument doc = { { 0 } }, parsed = { { 0 } };
  g_autoptr (GBytes) text = NULL;
  g_autofree char *huge = NULL;

  memset (doc.manifest, 'a', FS_HTTP_DIGEST_LEN);
  doc.manifest_size = 123456789012;
  doc.encoding = FS_HTTP_ENCODING_ZSTD;
  text = _fs_http_ac_document_format (&doc, "ns \"quoted\"\n", "name\\with");
  g_assert_true (_fs_http_ac_document_parse (text, "ns \"quoted\"\n", "name\\with", &parsed, NULL));
  g_assert_cmpstr (parsed.manifest, ==, doc.manifest);
  g_assert_cmpuint (parsed.manifest_size, ==, doc.manifest_size);
  g_assert_cmpint (parsed.encoding, ==, FS_HTTP_ENCODING_ZSTD);
  /* Bound to its name. */
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (_fs_http_ac_document_parse (text, "ns", "name\\with", &parsed, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  /* Unknown members are ignored; "blobs" defaults to cas. */
  {
    static const char future[] =
      "{\"fscache-ac\": 1, \"namespace\": \"ns\", \"name\": \"n\", \"manifest\": "
      "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"manifest-size\": 7, "
      "\"future\": {\"x\": [1, 2]}}";
    g_autoptr (GBytes) full = g_bytes_new_static (future, sizeof future - 1);
    g_assert_true (_fs_http_ac_document_parse (full, "ns", "n", &parsed, NULL));
    g_assert_cmpint (parsed.encoding, ==, FS_HTTP_ENCODING_PLAIN);
    g_assert_cmpuint (parsed.manifest_size, ==, 7);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) b = g_bytes_new (bad[i], strlen (bad[i]));
      g_assert_false (_fs_http_ac_document_parse (b, "ns", "n", &parsed, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
  /* Nesting deep enough to crash json-glib, and a document too large. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GBytes) b = NULL;
    GString *s = g_string_new ("{\"fscache-ac\": ");
    for (guint i = 0; i < 60000; i++)
      g_string_append_c (s, '[');
    b = g_string_free_to_bytes (s);
    g_assert_false (_fs_http_ac_document_parse (b, "ns", "n", &parsed, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GBytes) b = NULL;
    huge = g_malloc0 (FS_HTTP_AC_MAX_SIZE + 10);
    memset (huge, ' ', FS_HTTP_AC_MAX_SIZE + 9);
    huge[0] = '{';
    huge[FS_HTTP_AC_MAX_SIZE + 8] = '}';
    b = g_bytes_new (huge, FS_HTTP_AC_MAX_SIZE + 9);
    g_assert_false (_fs_http_ac_document_parse (b, "ns", "n", &parsed, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
}

static void
test_ac_roundtrip (Fixture *fx, gconstpointer data)
{
  g_autoptr (FsHttp) http = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) doc = NULL;
  g_autoptr (GBytes) got = NULL;
  g_autofree char *path = NULL;
  g_autofree char *rel = NULL;
  FsHttpAcDocument d = { { 0 } };
  char key[FS_HTTP_DIGEST_LEN + 1];

  NEED_SERVER (fx);
  http = http_new (fx->nx->url, 0, FS_HTTP_ENCODING_PLAIN);
  _fs_http_ac_key ("ns", "entry", key);
  g_assert_true (_fs_http_ac_get (http, key, &got, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (got);

  memset (d.manifest, 'b', FS_HTTP_DIGEST_LEN);
  d.manifest_size = 42;
  doc = _fs_http_ac_document_format (&d, "ns", "entry");
  g_assert_true (_fs_http_ac_put (http, key, doc, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (_fs_http_ac_get (http, key, &got, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_true (g_bytes_equal (got, doc));
  /* Replaced: the only mutable object. */
  g_clear_pointer (&got, g_bytes_unref);
  g_clear_pointer (&doc, g_bytes_unref);
  d.manifest_size = 43;
  doc = _fs_http_ac_document_format (&d, "ns", "entry");
  g_assert_true (_fs_http_ac_put (http, key, doc, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (_fs_http_ac_get (http, key, &got, NULL, &error));
  g_assert_true (g_bytes_equal (got, doc));
  g_clear_pointer (&got, g_bytes_unref);

  /* A document too large on the server: refused without reading it all. */
  rel = g_strconcat ("ac/", key, NULL);
  path = fs_test_nginx_path (fx->nx, rel);
  {
    g_autofree char *big = g_malloc0 (FS_HTTP_AC_MAX_SIZE + 1);
    memset (big, ' ', FS_HTTP_AC_MAX_SIZE + 1);
    g_assert_true (g_file_set_contents (path, big, FS_HTTP_AC_MAX_SIZE + 1, NULL));
  }
  g_assert_false (_fs_http_ac_get (http, key, &got, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (got);
  g_assert_cmpuint (fs_test_nginx_count (fx->nx, "PUT", "/ac/", 0), ==, 2);
}

/* ---- restarts: a kept-alive connection closed under a PUT ------------------------- */

/* A home-made server, only for this: it answers the first request on a
 * connection, reads the second one whole and closes the connection without
 * an answer (as a server does with an idle connection it times out just as
 * a request arrives); libsoup then sends the request again on a new
 * connection, which must carry the whole body again. */
typedef struct {
  GSocketListener *listener;
  guint16 port;
  GThread *thread;
  GPtrArray *bodies; /* GBytes of each request read in full */
  char *error;       /* what went wrong on the server's side */
} Fake;

static gboolean
fake_read_request (GDataInputStream *in, GBytes **out_body)
{
  g_autofree char *first = NULL;
  gsize length = 0;
  gboolean chunked = FALSE;
  GByteArray *body = g_byte_array_new ();

  first = g_data_input_stream_read_line (in, NULL, NULL, NULL);
  if (first == NULL)
    {
      g_byte_array_unref (body);
      return FALSE;
    }
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
      if (line == NULL)
        {
          g_byte_array_unref (body);
          return FALSE;
        }
      g_strchomp (line);
      if (*line == '\0')
        break;
      if (g_ascii_strncasecmp (line, "Content-Length:", 15) == 0)
        length = (gsize) g_ascii_strtoull (line + 15, NULL, 10);
      if (g_ascii_strncasecmp (line, "Transfer-Encoding:", 18) == 0 && strstr (line, "chunked"))
        chunked = TRUE;
    }
  for (;;)
    {
      gsize n = length, got = 0;
      if (chunked)
        {
          g_autofree char *size_line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
          if (size_line == NULL)
            break;
          n = (gsize) g_ascii_strtoull (size_line, NULL, 16);
        }
      g_byte_array_set_size (body, body->len + (guint) n);
      if (n > 0 && (!g_input_stream_read_all (G_INPUT_STREAM (in), body->data + body->len - n, n,
                                              &got, NULL, NULL) ||
                    got != n))
        {
          g_byte_array_unref (body);
          return FALSE;
        }
      if (!chunked)
        break;
      g_free (g_data_input_stream_read_line (in, NULL, NULL, NULL)); /* CRLF after the chunk */
      if (n == 0)
        break;
    }
  *out_body = g_byte_array_free_to_bytes (body);
  return TRUE;
}

static gpointer
fake_thread (gpointer data)
{
  Fake *fake = data;
  static const char answer[] = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";

  for (guint conn_no = 0; conn_no < 2; conn_no++)
    {
      g_autoptr (GSocketConnection) conn = NULL;
      g_autoptr (GDataInputStream) in = NULL;
      GOutputStream *out;
      GBytes *body = NULL;

      conn = g_socket_listener_accept (fake->listener, NULL, NULL, NULL);
      if (conn == NULL)
        {
          fake->error = g_strdup ("accept failed");
          return NULL;
        }
      /* A body that never comes must not hang the test. */
      g_socket_set_timeout (g_socket_connection_get_socket (conn), 10);
      in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
      g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
      out = g_io_stream_get_output_stream (G_IO_STREAM (conn));

      if (!fake_read_request (in, &body))
        {
          fake->error = g_strdup_printf ("connection %u: request 1 incomplete", conn_no);
          return NULL;
        }
      g_ptr_array_add (fake->bodies, body);
      g_output_stream_write_all (out, answer, strlen (answer), NULL, NULL, NULL);
      if (conn_no == 1)
        break;
      /* The second request on the first connection: read, then hang up. */
      if (!fake_read_request (in, &body))
        {
          fake->error = g_strdup ("connection 0: request 2 incomplete");
          return NULL;
        }
      g_ptr_array_add (fake->bodies, body);
      g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
    }
  return NULL;
}

static void
fake_start (Fake *fake)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  fake->listener = g_socket_listener_new ();
  g_socket_listener_add_address (fake->listener, addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &bound, &error);
  g_assert_no_error (error);
  fake->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  fake->bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  fake->thread = g_thread_new ("fake-server", fake_thread, fake);
}

static void
fake_finish (Fake *fake)
{
  g_thread_join (fake->thread);
  g_socket_listener_close (fake->listener);
  g_clear_object (&fake->listener);
  g_assert_cmpstr (fake->error, ==, NULL);
}

static void
fake_clear (Fake *fake)
{
  g_clear_pointer (&fake->bodies, g_ptr_array_unref);
  g_free (fake->error);
}

typedef struct {
  FsHttp *http;
  GCancellable *cancellable;
  GError *error;
  gint done; /* atomic */
} AcGetThread;

static gpointer
ac_get_thread (gpointer data)
{
  AcGetThread *t = data;
  g_autoptr (GBytes) document = NULL;
  char key[FS_HTTP_DIGEST_LEN + 1];

  _fs_http_ac_key ("ns", "n", key);
  g_assert_false (_fs_http_ac_get (t->http, key, &document, t->cancellable, &t->error));
  g_atomic_int_set (&t->done, 1);
  return NULL;
}

/* The session's first request goes alone, and the others wait for it (the
 * host looked up once, see fs-http.c): a waiter is cancellable. A server
 * whose connections the kernel completes but nobody accepts: the first
 * request hangs there, and a second one, cancelled behind it, returns
 * CANCELLED while the first is still waiting. */
static void
test_cancel_behind_first (void)
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  socklen_t addr_len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (FsHttp) http = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *url = NULL;
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  FsHttpOptions options;
  AcGetThread first = { 0 }, second = { 0 };
  GThread *first_thread, *second_thread;

  g_assert_cmpint (fd, >=, 0);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (listen (fd, 8), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &addr, &addr_len), ==, 0);
  url = g_strdup_printf ("http://127.0.0.1:%u/", ntohs (addr.sin_port));
  _fs_http_options_init (&options);
  options.url = url;
  options.timeout = 60; /* the first request ends when the socket closes */
  http = _fs_http_new (&options, &error);
  g_assert_no_error (error);

  first = (AcGetThread){ http, NULL, NULL, 0 };
  first_thread = g_thread_new ("first", ac_get_thread, &first);
  /* Its connection waits in the backlog: the first request is under way. */
  g_assert_cmpint (poll (&pfd, 1, -1), ==, 1);

  second = (AcGetThread){ http, cancellable, NULL, 0 };
  second_thread = g_thread_new ("second", ac_get_thread, &second);
  g_cancellable_cancel (cancellable);
  g_thread_join (second_thread);
  g_assert_error (second.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&second.error);
  g_assert_false (g_atomic_int_get (&first.done));

  /* The listening socket closes: its pending connection is reset. */
  close (fd);
  g_thread_join (first_thread);
  g_assert_nonnull (first.error);
  g_test_message ("the first request: %s", first.error->message);
  g_assert_nonnull (strstr (first.error->message, url));
  g_clear_error (&first.error);
}

static void
test_restart (gconstpointer data)
{
  /* 0: a blob, 1: a zstd blob (chunked), 2: an ac document (from memory) */
  int which = GPOINTER_TO_INT (data);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GBytes) expected = NULL;
  g_autoptr (FsHttp) http = NULL;
  g_autofree char *url = NULL;
  g_autofree char *dir = g_dir_make_tmp ("fscache-http-XXXXXX", NULL);
  FsHttpAcDocument doc = { { 0 } };
  char key[FS_HTTP_DIGEST_LEN + 1];
  Fake fake = { 0 };
  Blob blob = { 0 };
  GBytes *last;
  int fd;

  fake_start (&fake);
  url = g_strdup_printf ("http://127.0.0.1:%u/", fake.port);
  http = http_new (url, 1, FS_HTTP_ENCODING_PLAIN);
  memset (doc.manifest, 'c', FS_HTTP_DIGEST_LEN);
  _fs_http_ac_key ("ns", "n", key);
  first = _fs_http_ac_document_format (&doc, "ns", "n");
  g_assert_true (_fs_http_ac_put (http, key, first, NULL, &error));
  g_assert_no_error (error);

  if (which == 2)
    {
      doc.manifest_size = 99;
      expected = _fs_http_ac_document_format (&doc, "ns", "n");
      g_assert_true (_fs_http_ac_put (http, key, expected, NULL, &error));
    }
  else
    {
      FsHttpEncoding encoding = which == 1 ? FS_HTTP_ENCODING_ZSTD : FS_HTTP_ENCODING_PLAIN;
      g_autofree char *content = NULL;
      gsize len;

      blob_make (&blob, dir, "blob", 3 << 20, CONTENT_TEXT, 21);
      g_assert_true (g_file_get_contents (blob.path, &content, &len, NULL));
      expected = g_bytes_new_take (g_steal_pointer (&content), len);
      fd = open_read (blob.path);
      g_assert_true (
        _fs_http_blob_put (http, encoding, blob.digest, blob.size, fd, NULL, NULL, &error));
      close (fd);
    }
  g_assert_no_error (error);
  fake_finish (&fake);

  g_assert_cmpuint (_fs_http_get_restart_count (http), ==, 1);
  g_assert_cmpuint (fake.bodies->len, ==, 3);
  g_assert_true (g_bytes_equal (fake.bodies->pdata[0], first));
  last = fake.bodies->pdata[2];
  if (which == 1)
    {
      /* The whole compressed stream again, from the start. */
      g_autofree char *plain = g_malloc (blob.size + 1);
      gsize zlen;
      const void *z = g_bytes_get_data (last, &zlen);
      g_assert_cmpuint (ZSTD_decompress (plain, blob.size + 1, z, zlen), ==, blob.size);
      g_assert_cmpmem (plain, blob.size, g_bytes_get_data (expected, NULL), blob.size);
      g_assert_true (g_bytes_equal (fake.bodies->pdata[1], last));
    }
  else
    {
      g_assert_true (g_bytes_equal (fake.bodies->pdata[1], expected));
      g_assert_true (g_bytes_equal (last, expected));
    }
  fake_clear (&fake);
  blob_clear (&blob);
  fs_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  log_text = g_string_new (NULL);
  clear_credentials_env ();
  g_log_set_writer_func (collect_log, NULL, NULL);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/http/options", test_options);
  g_test_add_func ("/http/credentials-file-errors", test_credentials_file_errors);
  g_test_add_func ("/http/ac/key", test_ac_key);
  g_test_add_func ("/http/ac/document", test_ac_document);
  g_test_add_func ("/http/cancel-behind-first", test_cancel_behind_first);
  g_test_add_data_func ("/http/restart/blob", GINT_TO_POINTER (0), test_restart);
  g_test_add_data_func ("/http/restart/zstd", GINT_TO_POINTER (1), test_restart);
  g_test_add_data_func ("/http/restart/ac", GINT_TO_POINTER (2), test_restart);

#define ADD(path, options, func) \
  g_test_add (path, Fixture, options, fixture_setup, func, fixture_teardown)
  ADD ("/http/head", NULL, test_head);
  ADD ("/http/roundtrip/plain", NULL, test_roundtrip_plain);
  ADD ("/http/roundtrip/zstd", NULL, test_roundtrip_zstd);
  ADD ("/http/damaged", NULL, test_damaged);
  ADD ("/http/status-errors", NULL, test_status_errors);
  ADD ("/http/server-killed", &fast_slow_server, test_server_killed);
  ADD ("/http/server-killed-put", NULL, test_server_killed_put);
  ADD ("/http/timeout", NULL, test_timeout);
  ADD ("/http/min-speed", &trickle_server, test_min_speed);
  ADD ("/http/cancel", &fast_slow_server, test_cancel);
  ADD ("/http/cancel-run", &fast_slow_server, test_cancel_run);
  ADD ("/http/auth/basic", &basic_server, test_auth_basic);
  ADD ("/http/auth/bearer", &bearer_server, test_auth_bearer);
  ADD ("/http/parallel/plain", NULL, test_parallel_plain);
  ADD ("/http/parallel/zstd", NULL, test_parallel_zstd);
  ADD ("/http/parallel/failure", NULL, test_parallel_failure);
  ADD ("/http/put-verify", NULL, test_put_verify);
  ADD ("/http/ac/roundtrip", NULL, test_ac_roundtrip);
  ADD ("/http/proxy-env", NULL, test_proxy_env);
#undef ADD

  return g_test_run ();
}

/* fs-http-ac.c: the ac documents of the remote tier
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * BASE/ac/<key> names an entry's manifest: the only object on the server
 * that is ever replaced, so the last step of an upload and the first of a
 * download. The key is the SHA-256 of "fscache-entry\0" NAMESPACE "\0"
 * NAME; the document is a small JSON object (docs/format.md, "The remote
 * tier"), written here byte for byte and read back defensively: at most
 * FS_HTTP_AC_MAX_SIZE bytes, nesting checked before json-glib sees the text
 * (_fs_meta_parse_object()), members checked one by one.
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "fs-digest-private.h"
#include "fs-http-private.h"
#include "fs-meta-private.h"

void
_fs_http_ac_key (const char *namespace_, const char *name, char out[FS_HTTP_DIGEST_LEN + 1])
{
  static const char tag[] = "fscache-entry";
  g_autoptr (FsDigest) hasher = _fs_digest_new ();
  guint8 md[FS_DIGEST_SIZE];

  _fs_digest_update (hasher, tag, sizeof tag); /* with its NUL */
  _fs_digest_update (hasher, namespace_, strlen (namespace_) + 1);
  _fs_digest_update (hasher, name, strlen (name));
  _fs_digest_finish (hasher, md);
  _fs_digest_to_hex (md, out);
}

#define AC_FORMAT_VERSION 1

static void
append_json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const char *p = s; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

GBytes *
_fs_http_ac_document_format (const FsHttpAcDocument *doc, const char *namespace_, const char *name)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "{\"fscache-ac\": %d, \"namespace\": ", AC_FORMAT_VERSION);
  append_json_string (out, namespace_);
  g_string_append (out, ", \"name\": ");
  append_json_string (out, name);
  g_string_append_printf (out,
                          ", \"manifest\": \"%s\", \"manifest-size\": %" G_GUINT64_FORMAT
                          ", \"blobs\": \"%s\"}\n",
                          doc->manifest, doc->manifest_size,
                          doc->encoding == FS_HTTP_ENCODING_ZSTD ? "cas.zst" : "cas");
  return g_string_free_to_bytes (out);
}

static const char *
get_string_member (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
get_uint_member (JsonObject *object, const char *member, guint64 *out)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    return FALSE;
  *out = (guint64) json_node_get_int (node);
  return TRUE;
}

gboolean
_fs_http_ac_document_parse (GBytes *data,
                            const char *namespace_,
                            const char *name,
                            FsHttpAcDocument *out,
                            GError **error)
{
  g_autoptr (JsonObject) object = NULL;
  gsize len = 0;
  const char *text = g_bytes_get_data (data, &len);
  const char *s;
  guint64 version = 0;

  if (len > FS_HTTP_AC_MAX_SIZE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The ac document of “%s” is too large (%" G_GSIZE_FORMAT " bytes)"), name,
                   len);
      return FALSE;
    }
  object = len > 0 ? _fs_meta_parse_object (text, len) : NULL;
  if (object == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The ac document of “%s” is not a JSON object"), name);
      return FALSE;
    }
  if (!get_uint_member (object, "fscache-ac", &version) || version != AC_FORMAT_VERSION)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The ac document of “%s” has an unknown format"), name);
      return FALSE;
    }
  s = get_string_member (object, "namespace");
  if (s == NULL || strcmp (s, namespace_) != 0 ||
      (s = get_string_member (object, "name")) == NULL || strcmp (s, name) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The ac document of “%s” names another entry"), name);
      return FALSE;
    }
  s = get_string_member (object, "manifest");
  if (!_fs_http_digest_is_valid (s) ||
      !get_uint_member (object, "manifest-size", &out->manifest_size))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The ac document of “%s” has no valid manifest digest and size"), name);
      return FALSE;
    }
  memcpy (out->manifest, s, FS_HTTP_DIGEST_LEN + 1);
  s = get_string_member (object, "blobs");
  if (s == NULL || strcmp (s, "cas") == 0)
    out->encoding = FS_HTTP_ENCODING_PLAIN;
  else if (strcmp (s, "cas.zst") == 0)
    out->encoding = FS_HTTP_ENCODING_ZSTD;
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The ac document of “%s” names an unknown blob prefix"), name);
      return FALSE;
    }
  return TRUE;
}

gboolean
_fs_http_ac_get (FsHttp *http,
                 const char *key,
                 GBytes **out_document,
                 GCancellable *cancellable,
                 GError **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (_fs_http_digest_is_valid (key), FALSE);
  path = g_strconcat ("ac/", key, NULL);
  return _fs_http_document_get (http, path, FS_HTTP_AC_MAX_SIZE, out_document, cancellable, error);
}

gboolean
_fs_http_ac_put (FsHttp *http,
                 const char *key,
                 GBytes *document,
                 GCancellable *cancellable,
                 GError **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (_fs_http_digest_is_valid (key), FALSE);
  path = g_strconcat ("ac/", key, NULL);
  return _fs_http_document_put (http, path, document, cancellable, error);
}

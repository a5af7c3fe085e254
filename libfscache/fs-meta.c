/* fs-meta.c: the small metadata files, parsed defensively
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "fs-meta-private.h"
#include "fs-util-private.h"

#define MAX_JSON_DEPTH 32

static gboolean
is_json_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

gboolean
_fs_meta_parse_size (const char *data, gsize len, guint64 *out_size)
{
  gsize i = 0, end;
  guint64 v = 0;

  while (i < len && is_json_space (data[i]))
    i++;
  end = len;
  while (end > i && is_json_space (data[end - 1]))
    end--;
  if (i == end)
    return FALSE;
  /* JSON: no leading zeros except "0" itself, no sign for a size. */
  if (data[i] == '0' && end - i > 1)
    return FALSE;
  for (; i < end; i++)
    {
      guint d;
      if (data[i] < '0' || data[i] > '9')
        return FALSE;
      d = (guint) (data[i] - '0');
      if (v > (G_MAXUINT64 - d) / 10)
        return FALSE;
      v = v * 10 + d;
    }
  *out_size = v;
  return TRUE;
}

void
_fs_meta_format_size (guint64 size, char out[FS_SIZE_FILE_WIDTH + 1])
{
  int n = g_snprintf (out, FS_SIZE_FILE_WIDTH + 1, "%" G_GUINT64_FORMAT, size);

  memset (out + n, ' ', (gsize) (FS_SIZE_FILE_WIDTH - 1 - n));
  out[FS_SIZE_FILE_WIDTH - 1] = '\n';
  out[FS_SIZE_FILE_WIDTH] = '\0';
}

/* A strict JSON syntax check, so that json-glib only ever sees valid JSON
 * of bounded depth: json-glib 1.6 recurses without a limit and leaks on
 * some malformed input, and turns numbers beyond double's range into
 * infinities it can't write back. */
static const char *check_value (const char *p, const char *end, int depth);

static const char *
check_ws (const char *p, const char *end)
{
  while (p < end && is_json_space (*p))
    p++;
  return p;
}

static const char *
check_string (const char *p, const char *end)
{
  p++; /* the opening quote */
  while (p < end)
    {
      guchar c = (guchar) *p;
      if (c == '"')
        return p + 1;
      if (c < 0x20)
        return NULL;
      if (c == '\\')
        {
          p++;
          if (p >= end)
            return NULL;
          if (*p == 'u')
            {
              guint cp = 0;

              if (end - p < 5)
                return NULL;
              for (int i = 1; i <= 4; i++)
                {
                  if (!g_ascii_isxdigit (p[i]))
                    return NULL;
                  cp = cp * 16 + (guint) g_ascii_xdigit_value (p[i]);
                }
              p += 5;
              /* Surrogates only as a high-low pair: json-glib 1.6 crashes or
               * leaks on a lone one. */
              if (cp >= 0xdc00 && cp <= 0xdfff)
                return NULL;
              if (cp >= 0xd800 && cp <= 0xdbff)
                {
                  guint lo = 0;
                  if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
                    return NULL;
                  for (int i = 2; i <= 5; i++)
                    {
                      if (!g_ascii_isxdigit (p[i]))
                        return NULL;
                      lo = lo * 16 + (guint) g_ascii_xdigit_value (p[i]);
                    }
                  if (lo < 0xdc00 || lo > 0xdfff)
                    return NULL;
                  p += 6;
                }
              continue;
            }
          if (strchr ("\"\\/bfnrt", *p) == NULL || *p == '\0')
            return NULL;
        }
      p++;
    }
  return NULL;
}

static const char *
check_number (const char *p, const char *end)
{
  const char *start = p;
  gboolean real = FALSE;

  if (p < end && *p == '-')
    p++;
  if (p >= end)
    return NULL;
  if (*p == '0')
    p++;
  else if (*p >= '1' && *p <= '9')
    while (p < end && g_ascii_isdigit (*p))
      p++;
  else
    return NULL;
  if (p < end && *p == '.')
    {
      real = TRUE;
      p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return NULL;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      real = TRUE;
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return NULL;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  if (real || p - start > 19)
    {
      char buf[64];
      gsize n = (gsize) (p - start);
      double d;

      if (n >= sizeof buf)
        return NULL;
      memcpy (buf, start, n);
      buf[n] = '\0';
      d = g_ascii_strtod (buf, NULL);
      if (isinf (d) || isnan (d))
        return NULL;
    }
  return p;
}

static const char *
check_value (const char *p, const char *end, int depth)
{
  if (depth > MAX_JSON_DEPTH)
    return NULL;
  p = check_ws (p, end);
  if (p >= end)
    return NULL;
  switch (*p)
    {
    case '{':
      p = check_ws (p + 1, end);
      if (p < end && *p == '}')
        return p + 1;
      for (;;)
        {
          if (p >= end || *p != '"' || (p = check_string (p, end)) == NULL)
            return NULL;
          p = check_ws (p, end);
          if (p >= end || *p != ':')
            return NULL;
          if ((p = check_value (p + 1, end, depth + 1)) == NULL)
            return NULL;
          p = check_ws (p, end);
          if (p < end && *p == ',')
            {
              p = check_ws (p + 1, end);
              continue;
            }
          if (p < end && *p == '}')
            return p + 1;
          return NULL;
        }
    case '[':
      p = check_ws (p + 1, end);
      if (p < end && *p == ']')
        return p + 1;
      for (;;)
        {
          if ((p = check_value (p, end, depth + 1)) == NULL)
            return NULL;
          p = check_ws (p, end);
          if (p < end && *p == ',')
            {
              p++;
              continue;
            }
          if (p < end && *p == ']')
            return p + 1;
          return NULL;
        }
    case '"':
      return check_string (p, end);
    case 't':
      return end - p >= 4 && memcmp (p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f':
      return end - p >= 5 && memcmp (p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n':
      return end - p >= 4 && memcmp (p, "null", 4) == 0 ? p + 4 : NULL;
    default:
      return check_number (p, end);
    }
}

static gboolean
json_is_safe (const char *data, gsize len)
{
  const char *p;

  if (len > FS_META_MAX_SIZE || memchr (data, '\0', len) != NULL)
    return FALSE;
  if (!g_utf8_validate_len (data, len, NULL))
    return FALSE;
  p = check_value (data, data + len, 0);
  return p != NULL && check_ws (p, data + len) == data + len;
}

JsonObject *
_fs_meta_parse_object (const char *data, gsize len)
{
  g_autoptr (JsonParser) parser = NULL;
  JsonNode *root;

  if (!json_is_safe (data, len))
    return NULL;
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

/* Our own writer: json-glib 1.6's generator writes a double such as 2e55
 * as "2e+55.0", which no parser reads back, and a cache.info that does not
 * parse loses its configuration. */
static void write_node (GString *out, JsonNode *node);

static void
write_string (GString *out, const char *str)
{
  g_string_append_c (out, '"');
  for (const char *p = str; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

static void
write_node (GString *out, JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        json_object_iter_init_ordered (&iter, json_node_get_object (node));
        while (json_object_iter_next_ordered (&iter, &name, &member))
          {
            if (!first)
              g_string_append (out, ", ");
            first = FALSE;
            write_string (out, name);
            g_string_append (out, ": ");
            write_node (out, member);
          }
        g_string_append_c (out, '}');
        break;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append (out, ", ");
            write_node (out, json_array_get_element (array, i));
          }
        g_string_append_c (out, ']');
        break;
      }
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          {
            char buf[G_ASCII_DTOSTR_BUF_SIZE];
            double d = json_node_get_double (node);
            /* Finite (the parser refuses the rest), exact, and still read
             * back as a double: a fraction or an exponent, never both
             * added (json-glib's mistake). */
            if (!isfinite (d))
              {
                g_string_append (out, "null");
                break;
              }
            g_ascii_dtostr (buf, sizeof buf, d);
            g_string_append (out, buf);
            if (strpbrk (buf, ".eE") == NULL)
              g_string_append (out, ".0");
            break;
          }
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_STRING:
          write_string (out, json_node_get_string (node));
          break;
        default:
          g_string_append (out, "null");
        }
      break;
    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
    }
}

char *
_fs_meta_object_to_data (JsonObject *object, gsize *out_len)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  GString *out = g_string_new (NULL);

  json_node_set_object (node, object);
  write_node (out, node);
  if (out_len != NULL)
    *out_len = out->len;
  return g_string_free (out, FALSE);
}

static gboolean
get_uint (JsonObject *object, const char *member, guint64 *out)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  if (json_node_get_int (node) < 0)
    return FALSE;
  *out = (guint64) json_node_get_int (node);
  return TRUE;
}

typedef enum {
  FLAT_OK,
  FLAT_INVALID,
  FLAT_FALLBACK, /* beyond this scanner: let json-glib decide */
} FlatResult;

static const char *
skip_ws (const char *p, const char *end)
{
  while (p < end && is_json_space (*p))
    p++;
  return p;
}

/* A JSON string without escapes (the only kind we write); anything with a
 * backslash or a control character goes to json-glib. */
static FlatResult
scan_string (const char **pp, const char *end, const char **out_start, gsize *out_len)
{
  const char *p = *pp + 1, *start = p;

  while (p < end && *p != '"')
    {
      if (*p == '\\' || (guchar) *p < 0x20)
        return FLAT_FALLBACK;
      p++;
    }
  if (p >= end)
    return FLAT_INVALID;
  *out_start = start;
  *out_len = (gsize) (p - start);
  *pp = p + 1;
  return FLAT_OK;
}

/* 64 lowercase hex digits: a tree digest (anything else is ignored). */
static gboolean
is_digest (const char *s, gsize len)
{
  if (len != 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return FALSE;
  return TRUE;
}

/* The fast path of object.info: a flat object of strings, integers, true,
 * false and null, as both implementations write it. Agrees with json-glib
 * on everything it accepts (the fuzzer checks) and defers the rest. */
static FlatResult
scan_object_info (const char *data,
                  gsize len,
                  guint64 *out_size,
                  char **out_boot_id,
                  char **out_tree_digest)
{
  const char *p = data, *end = data + len;
  gboolean have_size = FALSE;
  const char *boot = NULL, *digest = NULL;
  gsize boot_len = 0, digest_len = 0;
  guint64 size = 0;

  p = skip_ws (p, end);
  if (p >= end || *p != '{')
    return FLAT_FALLBACK;
  p = skip_ws (p + 1, end);
  if (p < end && *p == '}')
    p++;
  else
    for (;;)
      {
        const char *key;
        gsize key_len;
        FlatResult r;

        if (p >= end || *p != '"')
          return FLAT_FALLBACK;
        if ((r = scan_string (&p, end, &key, &key_len)) != FLAT_OK)
          return r;
        p = skip_ws (p, end);
        if (p >= end || *p != ':')
          return FLAT_FALLBACK;
        p = skip_ws (p + 1, end);
        if (p >= end)
          return FLAT_FALLBACK;

        if (*p == '"')
          {
            const char *v;
            gsize v_len;
            if ((r = scan_string (&p, end, &v, &v_len)) != FLAT_OK)
              return r;
            if (key_len == 16 && memcmp (key, "creation-boot-id", 16) == 0)
              boot = v, boot_len = v_len;
            else if (key_len == sizeof FS_META_TREE_DIGEST_KEY - 1 &&
                     memcmp (key, FS_META_TREE_DIGEST_KEY, key_len) == 0)
              digest = v, digest_len = v_len;
            else if (key_len == 4 && memcmp (key, "size", 4) == 0)
              have_size = FALSE; /* a string: not a size */
          }
        else if ((*p >= '0' && *p <= '9') || *p == '-')
          {
            const char *q = p;
            gboolean negative = *q == '-';
            guint64 v = 0;
            int digits = 0;

            if (negative)
              q++;
            if (q < end && *q == '0' && q + 1 < end && q[1] >= '0' && q[1] <= '9')
              return FLAT_FALLBACK;
            while (q < end && *q >= '0' && *q <= '9')
              {
                v = v * 10 + (guint64) (*q - '0');
                q++;
                if (++digits > 18)
                  return FLAT_FALLBACK;
              }
            if (digits == 0 || (q < end && (*q == '.' || *q == 'e' || *q == 'E')))
              return FLAT_FALLBACK;
            if (key_len == 4 && memcmp (key, "size", 4) == 0)
              {
                have_size = !negative || v == 0; /* json-glib reads -0 as 0 */
                size = v;
              }
            p = q;
          }
        else if (end - p >= 4 && (memcmp (p, "true", 4) == 0 || memcmp (p, "null", 4) == 0))
          {
            if (key_len == 4 && memcmp (key, "size", 4) == 0)
              have_size = FALSE;
            p += 4;
          }
        else if (end - p >= 5 && memcmp (p, "false", 5) == 0)
          {
            if (key_len == 4 && memcmp (key, "size", 4) == 0)
              have_size = FALSE;
            p += 5;
          }
        else
          return FLAT_FALLBACK;

        p = skip_ws (p, end);
        if (p < end && *p == ',')
          {
            p = skip_ws (p + 1, end);
            continue;
          }
        if (p < end && *p == '}')
          {
            p++;
            break;
          }
        return FLAT_FALLBACK;
      }

  if (skip_ws (p, end) != end)
    return FLAT_FALLBACK;
  if (!have_size)
    return FLAT_INVALID;
  *out_size = size;
  if (out_boot_id != NULL)
    *out_boot_id = boot != NULL ? g_strndup (boot, boot_len) : NULL;
  if (out_tree_digest != NULL)
    *out_tree_digest =
      digest != NULL && is_digest (digest, digest_len) ? g_strndup (digest, digest_len) : NULL;
  return FLAT_OK;
}

gboolean
_fs_meta_parse_object_info_full (const char *data,
                                 gsize len,
                                 guint64 *out_size,
                                 char **out_boot_id,
                                 char **out_tree_digest)
{
  FlatResult r;

  if (memchr (data, '\0', len) != NULL || !g_utf8_validate_len (data, len, NULL))
    return FALSE;
  r = scan_object_info (data, len, out_size, out_boot_id, out_tree_digest);
  if (r != FLAT_FALLBACK)
    return r == FLAT_OK;
  return _fs_meta_parse_object_info_json (data, len, out_size, out_boot_id, out_tree_digest);
}

gboolean
_fs_meta_parse_object_info (const char *data, gsize len, guint64 *out_size, char **out_boot_id)
{
  return _fs_meta_parse_object_info_full (data, len, out_size, out_boot_id, NULL);
}

static char *
dup_string_member (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  return NULL;
}

gboolean
_fs_meta_parse_object_info_json (const char *data,
                                 gsize len,
                                 guint64 *out_size,
                                 char **out_boot_id,
                                 char **out_tree_digest)
{
  g_autoptr (JsonObject) object = NULL;

  object = _fs_meta_parse_object (data, len);
  if (object == NULL || !get_uint (object, "size", out_size))
    return FALSE;
  if (out_boot_id != NULL)
    *out_boot_id = dup_string_member (object, "creation-boot-id");
  if (out_tree_digest != NULL)
    {
      g_autofree char *digest = dup_string_member (object, FS_META_TREE_DIGEST_KEY);

      *out_tree_digest =
        digest != NULL && is_digest (digest, strlen (digest)) ? g_steal_pointer (&digest) : NULL;
    }
  return TRUE;
}

char *
_fs_meta_format_object_info (const char *boot_id,
                             guint64 size,
                             const char *tree_digest,
                             gsize *out_len)
{
  char *s;

  if (tree_digest != NULL)
    s = g_strdup_printf ("{\"creation-boot-id\": \"%s\", \"size\": %" G_GUINT64_FORMAT
                         ", \"" FS_META_TREE_DIGEST_KEY "\": \"%s\"}",
                         boot_id, size, tree_digest);
  else
    s = g_strdup_printf ("{\"creation-boot-id\": \"%s\", \"size\": %" G_GUINT64_FORMAT "}", boot_id,
                         size);
  *out_len = strlen (s);
  return s;
}

static gboolean
parse_u64_token (const char **p, const char *end, guint64 *out)
{
  const char *s = *p;
  guint64 v = 0;

  if (s >= end || *s < '0' || *s > '9')
    return FALSE;
  while (s < end && *s >= '0' && *s <= '9')
    {
      guint d = (guint) (*s - '0');
      if (v > (G_MAXUINT64 - d) / 10)
        return FALSE;
      v = v * 10 + d;
      s++;
    }
  *p = s;
  *out = v;
  return TRUE;
}

static gboolean
expect (const char **p, const char *end, const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (end - *p) < n || memcmp (*p, word, n) != 0)
    return FALSE;
  *p += n;
  return TRUE;
}

gboolean
_fs_meta_parse_record (const char *data, gsize len, FsRecord *out)
{
  const char *p = data, *end = data + len;
  gsize name_len;

  memset (out, 0, sizeof *out);
  if (len == 0)
    return TRUE; /* FS_RECORD_OP_NONE */

  if (expect (&p, end, "1 "))
    out->accounted = TRUE;
  else if (!expect (&p, end, "0 "))
    return FALSE;

  if (expect (&p, end, "store "))
    out->op = FS_RECORD_OP_STORE;
  else if (expect (&p, end, "remove "))
    out->op = FS_RECORD_OP_REMOVE;
  else
    return FALSE;

  if (!parse_u64_token (&p, end, &out->size) || !expect (&p, end, "\n"))
    return FALSE;

  name_len = (gsize) (end - p);
  if (name_len == 0 || name_len > 255 || memchr (p, '\0', name_len) != NULL)
    return FALSE;
  memcpy (out->name, p, name_len);
  out->name[name_len] = '\0';
  return TRUE;
}

char *
_fs_meta_format_record (const FsRecord *record, gsize *out_len)
{
  char *s;

  g_return_val_if_fail (record->op != FS_RECORD_OP_NONE, NULL);
  s = g_strdup_printf ("%c %s %" G_GUINT64_FORMAT "\n%s", record->accounted ? '1' : '0',
                       record->op == FS_RECORD_OP_STORE ? "store" : "remove", record->size,
                       record->name);
  *out_len = strlen (s);
  return s;
}

gboolean
_fs_meta_parse_intent (const char *data, gsize len, FsIntent *out)
{
  const char *p = data, *end = data + len;
  guint64 after;

  memset (out, 0, sizeof *out);
  /* An empty file is a fresh one: idle. */
  while (end > p && is_json_space (end[-1]))
    end--;
  if (p == end)
    return TRUE;

  if (expect (&p, end, "idle"))
    out->pending = FALSE;
  else if (expect (&p, end, "txn "))
    {
      gsize n;
      if ((gsize) (end - p) >= 37 && memcmp (p, "uuid-", 5) == 0)
        n = 37;
      else if ((gsize) (end - p) >= 36 && memcmp (p, "bat-", 4) == 0)
        n = 36;
      else
        return FALSE;
      for (gsize i = n - 32; i < n; i++)
        if (!g_ascii_isxdigit (p[i]))
          return FALSE;
      memcpy (out->record, p, n);
      out->record[n] = '\0';
      p += n;
      if (!expect (&p, end, " ") || !parse_u64_token (&p, end, &out->old_size) ||
          !expect (&p, end, " ") || !parse_u64_token (&p, end, &out->new_size) ||
          !expect (&p, end, " ") || !parse_u64_token (&p, end, &after) || after > 1)
        return FALSE;
      out->after = after == 1;
      out->pending = TRUE;
    }
  else
    return FALSE;

  if ((gsize) (end - p) >= 33 && p[0] == ' ' && g_ascii_isxdigit (p[1]))
    {
      for (int i = 1; i <= 32; i++)
        if (!g_ascii_isxdigit (p[i]))
          return FALSE;
      memcpy (out->boot, p + 1, 32);
      out->boot[32] = '\0';
      p += 33;
    }

  while (p < end && *p == ' ')
    p++;
  if (p < end && *p == '\n')
    {
      p++;
      if (!expect (&p, end, "recount"))
        return FALSE;
      out->recount = TRUE;
    }
  while (p < end && is_json_space (*p))
    p++;
  return p == end;
}

void
_fs_meta_format_intent (const FsIntent *intent, char out[FS_INTENT_WIDTH + 1])
{
  int n;

  const char *sep = intent->boot[0] != '\0' ? " " : "";

  if (intent->pending)
    n = g_snprintf (out, FS_INTENT_WIDTH + 1,
                    "txn %s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %d%s%s%s", intent->record,
                    intent->old_size, intent->new_size, intent->after ? 1 : 0, sep, intent->boot,
                    intent->recount ? "\nrecount" : "");
  else
    n = g_snprintf (out, FS_INTENT_WIDTH + 1, "idle%s%s%s", sep, intent->boot,
                    intent->recount ? "\nrecount" : "");
  memset (out + n, ' ', (gsize) (FS_INTENT_WIDTH - 1 - n));
  out[FS_INTENT_WIDTH - 1] = '\n';
  out[FS_INTENT_WIDTH] = '\0';
}

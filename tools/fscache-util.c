/* fscache-util.c: sizes, messages and JSON output of the fscache tool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>

#include "fscache-util.h"

static void print_prefixed (const char *prefix, const char *format, va_list args)
  G_GNUC_PRINTF (2, 0);

static void
print_prefixed (const char *prefix, const char *format, va_list args)
{
  g_autofree char *message = g_strdup_vprintf (format, args);

  /* One line per message: a multi-line text from below is folded. */
  g_strdelimit (message, "\n", ' ');
  g_printerr ("fscache: %s%s\n", prefix, g_strchomp (message));
}

void
fs_tool_error (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  print_prefixed ("", format, args);
  va_end (args);
}

void
fs_tool_warning (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  print_prefixed (_ ("warning: "), format, args);
  va_end (args);
}

static void
set_bad_size (GError **error, const char *text)
{
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _ ("Invalid size “%s”: expected a number and an optional unit, such as 10G, "
                  "512MiB or 1.5GB"),
               text);
}

/* Decimal digits of a fraction that can matter: with at most 18 of them
 * (trailing zeros dropped), 10^digits fits a guint64; a fraction with more
 * can't give a whole number of bytes with any unit up to 2^60 or 10^18. */
#define MAX_FRACTION_DIGITS 18

gboolean
fs_tool_parse_size (const char *text, guint64 *out_size, GError **error)
{
  const char *p = text;
  const char *frac_start = NULL;
  gsize frac_len = 0;
  guint64 whole = 0, frac = 0, frac_scale = 1, mult = 1, base;
  gboolean digits = FALSE;
  g_autofree char *unit = NULL;
  unsigned __int128 wide, frac_bytes;
  int exponent;

  g_return_val_if_fail (text != NULL, FALSE);

  while (g_ascii_isspace (*p))
    p++;
  for (; g_ascii_isdigit (*p); p++)
    {
      guint d = (guint) (*p - '0');
      if (whole > (G_MAXUINT64 - d) / 10)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _ ("The size “%s” is too large"), text);
          return FALSE;
        }
      whole = whole * 10 + d;
      digits = TRUE;
    }
  if (*p == '.')
    {
      frac_start = ++p;
      for (; g_ascii_isdigit (*p); p++)
        digits = TRUE;
      frac_len = (gsize) (p - frac_start);
      while (frac_len > 0 && frac_start[frac_len - 1] == '0')
        frac_len--;
    }
  if (!digits)
    {
      set_bad_size (error, text);
      return FALSE;
    }
  while (g_ascii_isspace (*p))
    p++;
  unit = g_strchomp (g_ascii_strdown (p, -1));

  if (unit[0] == '\0' || g_str_equal (unit, "b"))
    exponent = 0;
  else
    {
      const char *letters = "kmgtpe";
      const char *pos = strchr (letters, unit[0]);

      if (pos == NULL)
        {
          set_bad_size (error, text);
          return FALSE;
        }
      exponent = (int) (pos - letters) + 1;
      if (g_str_equal (unit + 1, "") || g_str_equal (unit + 1, "i") || g_str_equal (unit + 1, "ib"))
        base = 1024;
      else if (g_str_equal (unit + 1, "b"))
        base = 1000;
      else
        {
          set_bad_size (error, text);
          return FALSE;
        }
      for (int i = 0; i < exponent; i++)
        mult *= base;
    }

  /* The size is exact or refused: 1.5K is 1536 bytes, 1.5 and 0.3K are no
   * whole number of bytes, and are not silently rounded. */
  if (frac_len > MAX_FRACTION_DIGITS)
    goto inexact;
  for (gsize i = 0; i < frac_len; i++)
    {
      frac = frac * 10 + (guint) (frac_start[i] - '0');
      frac_scale *= 10;
    }
  frac_bytes = (unsigned __int128) frac * mult;
  if (frac_bytes % frac_scale != 0)
    goto inexact;

  wide = (unsigned __int128) whole * mult + frac_bytes / frac_scale;
  /* cache.info holds sizes as JSON integers, which are signed 64-bit. */
  if (wide > G_MAXINT64)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("The size “%s” is too large"), text);
      return FALSE;
    }
  *out_size = (guint64) wide;
  return TRUE;

inexact:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _ ("Invalid size “%s”: not a whole number of bytes"), text);
  return FALSE;
}

gboolean
fs_tool_parse_percent (const char *text, guint min, guint *out_percent, GError **error)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  gsize len = strlen (copy);
  guint64 value;

  if (len > 0 && copy[len - 1] == '%')
    copy[--len] = '\0';
  if (len == 0 || len > 3 || !g_ascii_string_to_unsigned (copy, 10, min, 100, &value, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("Invalid percentage “%s”: expected a whole number from %u to 100"), text,
                   min);
      return FALSE;
    }
  *out_percent = (guint) value;
  return TRUE;
}

static const char *const iec_units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

char *
fs_tool_format_size (guint64 size)
{
  guint64 unit = 1, tenths;
  guint i = 0;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (size < 1024)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " B", size);

  while (i + 1 < G_N_ELEMENTS (iec_units) && size / unit >= 1024)
    {
      unit *= 1024;
      i++;
    }
  /* Rounded to a tenth; 1023.96 KiB shows as 1 MiB, not 1024.0 KiB. */
  tenths = (guint64) (((unsigned __int128) size * 10 + unit / 2) / unit);
  if (tenths >= 10240 && i + 1 < G_N_ELEMENTS (iec_units))
    {
      unit *= 1024;
      i++;
      tenths = (guint64) (((unsigned __int128) size * 10 + unit / 2) / unit);
    }
  if (tenths % 10 == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " %s", tenths / 10, iec_units[i]);
  g_ascii_formatd (buf, sizeof buf, "%.1f", (double) tenths / 10.0);
  return g_strdup_printf ("%s %s", buf, iec_units[i]);
}

char *
fs_tool_format_size_exact (guint64 size)
{
  guint i = 0;

  if (size == 0)
    return g_strdup ("0");
  while (i + 1 < G_N_ELEMENTS (iec_units) && size % 1024 == 0)
    {
      size /= 1024;
      i++;
    }
  if (i == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT, size);
  return g_strdup_printf ("%" G_GUINT64_FORMAT "%s", size, iec_units[i]);
}

void
fs_tool_print_json (JsonNode *node)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  /* JSON is UTF-8 whatever the locale: no conversion as g_print() does. */
  fputs (text, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

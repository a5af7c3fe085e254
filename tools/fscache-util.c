/* fscache-util.c: what the commands of the fscache tool share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "fscache-util.h"

#define PROGRESS_INTERVAL_US (100 * 1000)

/* ---- messages ----------------------------------------------------------- */

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
fs_tool_message (const char *format, ...)
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

void
fs_tool_print_rows (GPtrArray *labels, GPtrArray *values)
{
  glong width = 0;

  for (guint i = 0; i < labels->len; i++)
    width = MAX (width, g_utf8_strlen (labels->pdata[i], -1));
  for (guint i = 0; i < labels->len; i++)
    {
      const char *label = labels->pdata[i];
      glong pad = width - g_utf8_strlen (label, -1);

      g_print ("%s:%*s %s\n", label, (int) pad + 1, "", (const char *) values->pdata[i]);
    }
}

/* ---- names, times, durations -------------------------------------------- */

/* Characters a shell leaves alone anywhere in a word (bytes of UTF-8
 * characters beyond ASCII too); '#' and '~' only after the first. */
static gboolean
is_plain (const char *p, gboolean first)
{
  guchar c = (guchar) *p;

  if (c >= 0x80 || g_ascii_isalnum (c))
    return TRUE;
  if (strchr ("._-+,:@%/=", c) != NULL)
    return TRUE;
  return !first && (c == '#' || c == '~');
}

/* A character a terminal would act on: ASCII controls, DEL, C1 controls,
 * and bytes that are no valid UTF-8. @len: its length in bytes. */
static gboolean
is_control (const char *p, const char *end, gsize *len)
{
  gunichar u = g_utf8_get_char_validated (p, end - p);

  if (u == (gunichar) -1 || u == (gunichar) -2)
    {
      *len = 1;
      return TRUE;
    }
  *len = (gsize) (g_utf8_next_char (p) - p);
  return u < 0x20 || u == 0x7f || (u >= 0x80 && u < 0xa0);
}

static void
append_control (GString *out, const char *p, gsize len)
{
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) p[i];

      switch (c)
        {
        case '\a':
          g_string_append (out, "\\a");
          break;
        case '\b':
          g_string_append (out, "\\b");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\v':
          g_string_append (out, "\\v");
          break;
        case '\f':
          g_string_append (out, "\\f");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        default:
          g_string_append_printf (out, "\\%03o", c);
        }
    }
}

char *
fs_tool_quote_name (const char *name)
{
  const char *end = name + strlen (name);
  gboolean plain = TRUE, control = FALSE;
  GString *out;
  gsize len;

  for (const char *p = name; p < end; p += len)
    {
      if (is_control (p, end, &len))
        control = TRUE;
      else if (!is_plain (p, p == name))
        plain = FALSE;
    }
  if (plain && !control && name[0] != '\0')
    return g_strdup (name);
  if (!control && strchr (name, '\'') == NULL)
    return g_strdup_printf ("'%s'", name);
  if (!control && strpbrk (name, "\"$`\\!") == NULL)
    return g_strdup_printf ("\"%s\"", name);

  /* 'abc'$'\n''def', and a single quote as \' between quoted runs. */
  out = g_string_new (NULL);
  for (const char *p = name; p < end;)
    {
      if (is_control (p, end, &len))
        {
          g_string_append (out, "$'");
          while (p < end && is_control (p, end, &len))
            {
              append_control (out, p, len);
              p += len;
            }
          g_string_append_c (out, '\'');
        }
      else if (*p == '\'')
        {
          g_string_append (out, "\\'");
          p++;
        }
      else
        {
          g_string_append_c (out, '\'');
          while (p < end && *p != '\'' && !is_control (p, end, &len))
            {
              g_string_append_len (out, p, (gssize) len);
              p += len;
            }
          g_string_append_c (out, '\'');
        }
    }
  return g_string_free (out, FALSE);
}

char *
fs_tool_shell_escape (const char *name)
{
  const char *end = name + strlen (name);
  gboolean control = FALSE;
  GString *out = g_string_new (NULL);
  gsize len;

  for (const char *p = name; p < end; p += len)
    control = is_control (p, end, &len) || control;
  if (control)
    {
      g_string_append (out, "$'");
      for (const char *p = name; p < end; p += len)
        {
          if (is_control (p, end, &len))
            append_control (out, p, len);
          else if (*p == '\'' || *p == '\\')
            {
              g_string_append_c (out, '\\');
              g_string_append_c (out, *p);
            }
          else
            g_string_append_len (out, p, (gssize) len);
        }
      g_string_append_c (out, '\'');
      return g_string_free (out, FALSE);
    }
  for (const char *p = name; p < end; p += len)
    {
      is_control (p, end, &len);
      if (!is_plain (p, p == name))
        g_string_append_c (out, '\\');
      g_string_append_len (out, p, (gssize) len);
    }
  return g_string_free (out, FALSE);
}

char *
fs_tool_format_time (GDateTime *time, gboolean local)
{
  g_autoptr (GDateTime) shown = NULL;

  if (time == NULL)
    return NULL;
  if (!local)
    return g_date_time_format_iso8601 (time);
  shown = g_date_time_to_local (time);
  return g_date_time_format (shown, "%Y-%m-%d %H:%M:%S");
}

static void
set_bad_duration (GError **error, const char *text)
{
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _ ("Invalid duration “%s”: expected a whole number and a unit (s, m, h, d or w), "
                  "such as 7d, 12h, 30m or 2s"),
               text);
}

gboolean
fs_tool_parse_duration (const char *text, GTimeSpan *out_duration, GError **error)
{
  const char *p = text;
  GTimeSpan total = 0;

  g_return_val_if_fail (text != NULL, FALSE);

  if (*p == '\0')
    {
      set_bad_duration (error, text);
      return FALSE;
    }
  while (*p != '\0')
    {
      guint64 number = 0;
      GTimeSpan unit;
      gboolean digits = FALSE;

      for (; g_ascii_isdigit (*p); p++)
        {
          guint d = (guint) (*p - '0');
          if (number > (G_MAXUINT64 - d) / 10)
            goto too_long;
          number = number * 10 + d;
          digits = TRUE;
        }
      switch (*p)
        {
        case 's':
          unit = G_TIME_SPAN_SECOND;
          break;
        case 'm':
          unit = G_TIME_SPAN_MINUTE;
          break;
        case 'h':
          unit = G_TIME_SPAN_HOUR;
          break;
        case 'd':
          unit = G_TIME_SPAN_DAY;
          break;
        case 'w':
          unit = 7 * G_TIME_SPAN_DAY;
          break;
        default:
          unit = 0;
        }
      if (!digits || unit == 0)
        {
          set_bad_duration (error, text);
          return FALSE;
        }
      p++;
      if (number > (guint64) (G_MAXINT64 / unit) || total > G_MAXINT64 - (GTimeSpan) number * unit)
        goto too_long;
      total += (GTimeSpan) number * unit;
    }
  if (total == 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("Invalid duration “%s”: it must be at least 1s"), text);
      return FALSE;
    }
  *out_duration = total;
  return TRUE;

too_long:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _ ("The duration “%s” is too long"),
               text);
  return FALSE;
}

char *
fs_tool_format_duration (GTimeSpan duration)
{
  guint64 n;

  if (duration < 0)
    duration = 0;
  if (duration >= G_TIME_SPAN_DAY)
    {
      n = (guint64) (duration / G_TIME_SPAN_DAY);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u day", "%u days", (gulong) n),
                              (guint) n);
    }
  if (duration >= G_TIME_SPAN_HOUR)
    {
      n = (guint64) (duration / G_TIME_SPAN_HOUR);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u hour", "%u hours", (gulong) n),
                              (guint) n);
    }
  if (duration >= G_TIME_SPAN_MINUTE)
    {
      n = (guint64) (duration / G_TIME_SPAN_MINUTE);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u minute", "%u minutes", (gulong) n),
                              (guint) n);
    }
  n = (guint64) (duration / G_TIME_SPAN_SECOND);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u second", "%u seconds", (gulong) n),
                          (guint) n);
}

/* ---- sizes -------------------------------------------------------------- */

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

guint64
fs_tool_percent_of (guint64 value, guint percent)
{
  return (guint64) ((unsigned __int128) value * percent / 100);
}

/* ---- progress bar ------------------------------------------------------- */

struct _FsToolProgress {
  char *label;
  guint64 done;
  guint64 total;
  gint64 start; /* monotonic time of the first update */
  gint64 last_draw;
  gboolean drawn;
  gboolean syncing; /* everything copied: the rest is the sync of the commit */
  char *finishing;  /* what is shown then, or NULL */
};

/* Columns left free at the end of the line: the terminal echoes a ^C
 * there without wrapping the bar onto a new line. */
#define PROGRESS_FREE_COLUMNS 3

FsToolProgress *
fs_tool_progress_new (const char *label)
{
  FsToolProgress *self = g_new0 (FsToolProgress, 1);

  self->label = g_strdup (label);
  return self;
}

static guint
terminal_width (void)
{
  struct winsize ws;

  if (ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
    return ws.ws_col;
  return 80;
}

/* "1:05" or "1:02:03" */
static char *
format_eta (guint64 seconds)
{
  if (seconds >= 3600)
    return g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u:%02u", seconds / 3600,
                            (guint) (seconds / 60 % 60), (guint) (seconds % 60));
  return g_strdup_printf ("%u:%02u", (guint) (seconds / 60), (guint) (seconds % 60));
}

/* The rate and the time left, once there is enough to tell; "" before. */
static char *
progress_speed (FsToolProgress *self, gint64 now)
{
  g_autofree char *rate = NULL;
  g_autofree char *eta = NULL;
  double elapsed = (double) (now - self->start) / G_USEC_PER_SEC;
  double bytes_per_s;

  if (elapsed < 0.5 || self->done == 0)
    return g_strdup ("");
  bytes_per_s = (double) self->done / elapsed;
  rate = fs_tool_format_size ((guint64) bytes_per_s);
  if (self->total <= self->done)
    return g_strdup_printf (_ ("  %s/s"), rate);
  eta = format_eta ((guint64) ((double) (self->total - self->done) / bytes_per_s + 0.5));
  /* TRANSLATORS: a copy rate, then the time left ("1:05 left") */
  return g_strdup_printf (_ ("  %s/s  %s left"), rate, eta);
}

static void
progress_draw (FsToolProgress *self, gboolean final)
{
  g_autofree char *done = NULL;
  g_autofree char *total = NULL;
  g_autofree char *speed = NULL;
  g_autofree char *tail = NULL;
  g_autoptr (GString) line = g_string_new ("\r");
  gint64 now = g_get_monotonic_time ();
  gboolean syncing =
    !final && self->finishing != NULL && self->total > 0 && self->done >= self->total;
  guint percent, width;
  glong used;

  /* A new phase is shown at once; else ten times a second at most. */
  if (!final && self->drawn && syncing == self->syncing &&
      now - self->last_draw < PROGRESS_INTERVAL_US)
    return;
  self->last_draw = now;
  self->drawn = TRUE;
  self->syncing = syncing;

  if (final)
    self->done = self->total;
  percent = self->total > 0 ? (guint) (MIN (self->done, self->total) * 100 / self->total) : 0;
  if (final)
    percent = 100;

  done = fs_tool_format_size (MIN (self->done, self->total));
  total = fs_tool_format_size (self->total);
  if (syncing)
    speed = g_strdup_printf ("  %s", self->finishing);
  else
    speed = progress_speed (self, now);
  tail = g_strdup_printf (" %3u%%  %s / %s%s", percent, done, total, speed);

  width = terminal_width () - PROGRESS_FREE_COLUMNS;
  used = g_utf8_strlen (self->label, -1) + g_utf8_strlen (tail, -1) + 3;
  g_string_append (line, self->label);
  if ((glong) width > used + 10)
    {
      guint bar = (guint) ((glong) width - used);
      guint filled = bar * percent / 100;

      g_string_append (line, " [");
      for (guint i = 0; i < bar; i++)
        g_string_append_c (line, i < filled ? '#' : '-');
      g_string_append_c (line, ']');
    }
  g_string_append (line, tail);
  /* Clear what a longer previous line left. */
  g_string_append (line, "\033[K");
  fputs (line->str, stderr);
  fflush (stderr);
}

void
fs_tool_progress_set_finishing (FsToolProgress *self, const char *text)
{
  g_free (self->finishing);
  self->finishing = g_strdup (text);
}

void
fs_tool_progress_update (FsToolProgress *self, guint64 done, guint64 total)
{
  if (self->start == 0)
    self->start = g_get_monotonic_time ();
  self->done = done;
  self->total = total;
  progress_draw (self, FALSE);
}

void
fs_tool_progress_finish (FsToolProgress *self, gboolean completed)
{
  if (self == NULL)
    return;
  if (completed)
    progress_draw (self, TRUE);
  if (self->drawn)
    {
      fputc ('\n', stderr);
      fflush (stderr);
    }
  g_free (self->label);
  g_free (self->finishing);
  g_free (self);
}

void
fs_tool_progress_callback (goffset current, goffset total, gpointer data)
{
  fs_tool_progress_update (data, (guint64) MAX (current, 0), (guint64) MAX (total, 0));
}

gboolean
fs_tool_use_progress (FsTool *tool)
{
  return !tool->no_progress && isatty (STDERR_FILENO);
}

/* ---- interruption ------------------------------------------------------- */

/* SIGINT, SIGTERM and SIGHUP during a store, an export or a wait cancel it
 * cleanly: a thread waits for them with sigwait() and cancels the
 * operation's cancellable. The thread and the tool each hold a reference
 * (an atomic refcounted box), so that a signal that comes late finds it. */
struct _FsToolInterrupt {
  GCancellable *cancellable;
  sigset_t signals;
  int signum; /* atomic; 0 until a signal came */
};

static void
interrupt_clear (gpointer data)
{
  FsToolInterrupt *self = data;

  g_clear_object (&self->cancellable);
}

static gpointer
signal_thread (gpointer data)
{
  FsToolInterrupt *self = data;
  int signum;

  if (sigwait (&self->signals, &signum) == 0)
    {
      g_atomic_int_set (&self->signum, signum);
      g_cancellable_cancel (self->cancellable);
    }
  g_atomic_rc_box_release_full (self, interrupt_clear);
  return NULL;
}

GCancellable *
fs_tool_watch_signals (FsTool *tool)
{
  FsToolInterrupt *self = tool->interrupt;

  if (self != NULL)
    return self->cancellable;
  self = tool->interrupt = g_atomic_rc_box_new0 (FsToolInterrupt);
  sigemptyset (&self->signals);
  sigaddset (&self->signals, SIGINT);
  sigaddset (&self->signals, SIGTERM);
  sigaddset (&self->signals, SIGHUP);
  pthread_sigmask (SIG_BLOCK, &self->signals, NULL);
  self->cancellable = g_cancellable_new ();
  g_thread_unref (g_thread_new ("fscache-signals", signal_thread, g_atomic_rc_box_acquire (self)));
  return self->cancellable;
}

int
fs_tool_interrupted_by (FsTool *tool, const GError *error)
{
  int signum = tool->interrupt != NULL ? g_atomic_int_get (&tool->interrupt->signum) : 0;

  if (signum != 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return signum;
  return 0;
}

int
fs_tool_operation_failed (FsTool *tool, const GError *error)
{
  int signum = fs_tool_interrupted_by (tool, error);

  if (signum != 0)
    {
      fs_tool_error (_ ("Interrupted; nothing was kept"));
      return 128 + signum;
    }
  fs_tool_error ("%s", error->message);
  return FS_TOOL_EXIT_FAILURE;
}

/* ---- the tool context and options --------------------------------------- */

void
fs_tool_clear (FsTool *tool)
{
  g_clear_object (&tool->cache);
  g_clear_pointer (&tool->cache_dir, g_free);
  g_clear_pointer (&tool->cache_option, g_free);
  if (tool->interrupt != NULL)
    g_atomic_rc_box_release_full (g_steal_pointer (&tool->interrupt), interrupt_clear);
}

GOptionEntry *
fs_tool_cache_options (FsTool *tool)
{
  const GOptionEntry entries[] = {
    { "cache", 0, 0, G_OPTION_ARG_FILENAME, &tool->cache_option,
      N_ ("Use the cache in DIR (default: $FSCACHE_DIR, else $XDG_CACHE_HOME/fscache)"),
      N_ ("DIR") },
    { NULL }
  };

  return g_memdup2 (entries, sizeof entries);
}

void
fs_tool_print_option_entries (const GOptionEntry *entries)
{
  for (const GOptionEntry *e = entries; e != NULL && e->long_name != NULL; e++)
    {
      /* An optional value only follows "=": the next word is not it. */
      if (e->arg == G_OPTION_ARG_NONE || (e->flags & G_OPTION_FLAG_OPTIONAL_ARG))
        g_print ("--%s\n", e->long_name);
      else
        g_print ("--%s %s\n", e->long_name, e->arg_description);
    }
}

int
fs_tool_usage_error (const FsToolCommand *command, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (command != NULL)
    fs_tool_error (_ ("%s (see “fscache %s --help”)"), message, command->name);
  else
    fs_tool_error (_ ("%s (see “fscache --help”)"), message);
  return FS_TOOL_EXIT_USAGE;
}

int
fs_tool_no_arguments (FsTool *tool, char **args)
{
  if (args[0] != NULL)
    return fs_tool_usage_error (tool->command, _ ("Unexpected argument “%s”"), args[0]);
  return FS_TOOL_EXIT_OK;
}

static char *
default_cache_dir (FsTool *tool)
{
  const char *env;

  if (tool->cache_option != NULL)
    return g_strdup (tool->cache_option);
  env = g_getenv ("FSCACHE_DIR");
  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_cache_dir (), "fscache", NULL);
}

gboolean
fs_tool_parse_options (FsTool *tool,
                       const GOptionEntry *entries,
                       gpointer data,
                       char **argv,
                       char ***out_args,
                       int *out_status)
{
  const FsToolCommand *command = tool->command;
  const GOptionEntry progress_entries[] = {
    { "no-progress", 0, 0, G_OPTION_ARG_NONE, &tool->no_progress,
      N_ ("Draw no progress bar, even on a terminal"), NULL },
    { NULL }
  };
  const GOptionEntry json_entries[] = { { "json", 0, 0, G_OPTION_ARG_NONE, &tool->json,
                                          N_ ("Print the result as JSON (see fscache(1))"), NULL },
                                        { NULL } };
  g_autofree GOptionEntry *cache_entries = fs_tool_cache_options (tool);
  gboolean progress = (command->flags & FS_TOOL_COMMAND_PROGRESS) != 0;
  gboolean json = (command->flags & FS_TOOL_COMMAND_JSON) != 0;
  gboolean cache = !(command->flags & FS_TOOL_COMMAND_NO_CACHE);
  gboolean posix = (command->flags & FS_TOOL_COMMAND_POSIX) != 0;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) args = g_strdupv (argv);
  g_autofree char *prgname = g_strconcat ("fscache ", command->name, NULL);
  GOptionGroup *group;

  *out_args = NULL;
  *out_status = FS_TOOL_EXIT_OK;
  if (tool->list_options)
    {
      fs_tool_print_option_entries (entries);
      if (progress)
        fs_tool_print_option_entries (progress_entries);
      if (json)
        fs_tool_print_option_entries (json_entries);
      if (cache)
        fs_tool_print_option_entries (cache_entries);
      g_print ("--help\n");
      if (posix)
        g_print ("@posix\n");
      return FALSE;
    }

  /* The usage line is "fscache COMMAND [OPTION…] PARAMETERS": the program
   * name is "fscache COMMAND". */
  g_set_prgname (prgname);
  context = g_option_context_new (command->parameters[0] ? _ (command->parameters) : NULL);
  group = g_option_group_new (NULL, NULL, NULL, data, NULL);
  g_option_context_set_main_group (context, group);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (entries != NULL)
    g_option_group_add_entries (group, entries);
  if (progress)
    g_option_group_add_entries (group, progress_entries);
  if (json)
    g_option_group_add_entries (group, json_entries);
  if (cache)
    g_option_group_add_entries (group, cache_entries);
  if (command->summary[0] != '\0')
    g_option_context_set_summary (context, _ (command->summary));
  if (command->description != NULL)
    g_option_context_set_description (context, _ (command->description));
  if (posix)
    g_option_context_set_strict_posix (context, TRUE);

  if (!g_option_context_parse_strv (context, &args, &error))
    {
      *out_status = fs_tool_usage_error (command, "%s", error->message);
      return FALSE;
    }
  /* GOption stops at "--" and leaves it: drop it, except where it is an
   * argument of load's CMD (after NAME). */
  for (guint i = 1; args[i] != NULL; i++)
    if (g_str_equal (args[i], "--"))
      {
        if (!posix || i == 1)
          {
            g_free (args[i]);
            memmove (args + i, args + i + 1, sizeof (char *) * (g_strv_length (args + i + 1) + 1));
          }
        break;
      }

  g_free (tool->cache_dir);
  tool->cache_dir = default_cache_dir (tool);
  *out_args = g_strdupv (args + 1);
  return TRUE;
}

/* ---- opening the cache -------------------------------------------------- */

static gboolean
directory_is_empty (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);

  return dir != NULL && g_dir_read_name (dir) == NULL;
}

gboolean
fs_tool_looks_like_cache (const char *path)
{
  g_autofree char *info = g_build_filename (path, "cache.info", NULL);
  g_autofree char *objects = g_build_filename (path, "objects", NULL);
  struct stat st;

  return lstat (info, &st) == 0 || (lstat (objects, &st) == 0 && S_ISDIR (st.st_mode));
}

static void
no_cache_error (const char *path)
{
  fs_tool_error (_ ("No cache at %s (create one with “fscache init”)"), path);
}

/* Refuses, with one line on stderr, a directory that is not a cache (and
 * not empty: an empty one becomes one when @creates, else it is no cache),
 * a missing one unless @creates, one that can't be read, or that can't be
 * written when @writes. */
static gboolean
check_cache_dir (const char *path, gboolean creates, gboolean writes)
{
  struct stat st;
  gboolean is_cache;

  if (stat (path, &st) < 0)
    {
      if (errno == ENOENT && creates)
        return TRUE; /* created on first use */
      if (errno == ENOENT)
        no_cache_error (path);
      else
        fs_tool_error (_ ("Cannot use the cache directory %s: %s"), path, g_strerror (errno));
      return FALSE;
    }
  if (!S_ISDIR (st.st_mode))
    {
      fs_tool_error (_ ("%s is not a directory, so it can't be a cache"), path);
      return FALSE;
    }
  if (access (path, R_OK | X_OK) < 0)
    {
      fs_tool_error (_ ("Cannot read the cache directory %s: %s"), path, g_strerror (errno));
      return FALSE;
    }
  is_cache = fs_tool_looks_like_cache (path);
  if (!is_cache && !directory_is_empty (path))
    {
      fs_tool_error (_ ("%s is not a cache: the directory has other files and no cache.info"),
                     path);
      return FALSE;
    }
  if (!is_cache && !creates)
    {
      no_cache_error (path);
      return FALSE;
    }
  if ((writes || !is_cache) && access (path, W_OK) < 0)
    {
      fs_tool_error (_ ("The cache directory %s is not writable: %s"), path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
fs_tool_info_is_compatible (const FsCacheInfo *info)
{
  return fs_cache_info_has_version (info) &&
         fs_cache_info_get_version (info) == FS_CACHE_FORMAT_VERSION;
}

gboolean
fs_tool_open_cache (FsTool *tool, gboolean writes, gboolean any_version)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GFile) directory = NULL;
  gboolean creates = (tool->command->flags & FS_TOOL_COMMAND_CREATES) != 0;

  if (tool->cache_dir[0] == '\0')
    {
      fs_tool_error (_ ("The cache directory can't be an empty path"));
      return FALSE;
    }
  if (!check_cache_dir (tool->cache_dir, creates, writes))
    return FALSE;

  /* Only init and store make a cache: the other commands on a mistyped
   * path must not leave a new cache there. */
  directory = g_file_new_for_path (tool->cache_dir);
  tool->cache = g_initable_new (FS_TYPE_CACHE, NULL, &error, "app-id", FS_TOOL_APP_ID, "directory",
                                directory, "create", creates, NULL);
  if (tool->cache == NULL)
    {
      fs_tool_error ("%s", error->message);
      return FALSE;
    }

  info = fs_tool_dup_info (tool);
  if (info == NULL)
    return FALSE;
  if (!any_version && !fs_tool_info_is_compatible (info))
    {
      if (fs_cache_info_has_version (info))
        {
          g_autofree char *version =
            g_strdup_printf ("%" G_GINT64_FORMAT, fs_cache_info_get_version (info));
          fs_tool_error (_ ("The cache %s has format version %s; this fscache supports version %d "
                            "only"),
                         tool->cache_dir, version, FS_CACHE_FORMAT_VERSION);
        }
      else
        fs_tool_error (_ ("The cache %s has no format version in its cache.info; this fscache "
                          "supports version %d only"),
                       tool->cache_dir, FS_CACHE_FORMAT_VERSION);
      return FALSE;
    }
  return TRUE;
}

char *
fs_tool_absolute_cache_dir (FsTool *tool)
{
  return g_file_get_path (fs_cache_get_directory (tool->cache));
}

gboolean
fs_tool_check_name (const char *name)
{
  g_autoptr (GError) error = NULL;

  if (fs_cache_name_is_valid (name, &error))
    return TRUE;
  fs_tool_error ("%s", error->message);
  return FALSE;
}

FsCacheInfo *
fs_tool_dup_info (FsTool *tool)
{
  g_autoptr (GError) error = NULL;
  FsCacheInfo *info = fs_cache_dup_info (tool->cache, NULL, &error);

  if (info == NULL)
    fs_tool_error ("%s", error->message);
  return info;
}

/* fs-test-content.h: entry content derived from the entry's name
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Shared by tests/fs-test-helper.c (which writes entries in other processes)
 * and the tests that check them, so that "no entry is served partially" can
 * be verified from the data alone: an entry NAME holds
 *
 *   data/file   BYTES bytes, byte i = fs_test_content_byte (NAME, i)
 *   data/name   "NAME BYTES\n", written last
 *
 * An entry whose data/name is missing, names another entry, or whose
 * data/file is shorter, longer or different was served partially (or mixed).
 */

#pragma once

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

static inline guint8
fs_test_content_byte (guint32 seed, guint64 offset)
{
  guint32 x = seed ^ (guint32) (offset / 4096) * 2654435761u;

  x ^= x >> 15;
  x *= 2246822519u;
  x ^= x >> 13;
  return (guint8) (1 + (x + (guint32) offset * 7u) % 251); /* never 0: not sparse */
}

static inline guint32
fs_test_content_seed (const char *name)
{
  guint32 h = 2166136261u; /* FNV-1a */

  for (const char *p = name; *p != '\0'; p++)
    h = (h ^ (guint8) *p) * 16777619u;
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  return h;
}

static inline void
fs_test_content_chunk (guint32 seed, guint64 start, guint8 *buf, gsize n)
{
  for (gsize i = 0; i < n; i++)
    buf[i] = fs_test_content_byte (seed, start + i);
}

/* Fills the data directory @dir for the entry @name with @n_bytes. */
static inline gboolean
fs_test_content_fill (const char *dir, const char *name, guint64 n_bytes, GError **error)
{
  g_autofree char *file = g_build_filename (dir, "file", NULL);
  g_autofree char *name_file = g_build_filename (dir, "name", NULL);
  g_autofree char *label = g_strdup_printf ("%s %" G_GUINT64_FORMAT "\n", name, n_bytes);
  g_autofree guint8 *buf = g_malloc (65536);
  guint32 seed = fs_test_content_seed (name);
  guint64 done = 0;
  int fd;

  fd = open (file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    goto fail;
  while (done < n_bytes)
    {
      gsize n = (gsize) MIN (n_bytes - done, (guint64) 65536);
      ssize_t w;

      fs_test_content_chunk (seed, done, buf, n);
      w = write (fd, buf, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        {
          int errsv = errno;
          close (fd);
          errno = errsv;
          goto fail;
        }
      done += (guint64) w;
    }
  /* Settle the allocation now: st_blocks of a file written back in pieces
   * (other processes' syncfs() under load) can still change by an extent
   * block, and the tests compare the size a commit measured with the space
   * the tree takes later. */
  if (fsync (fd) < 0)
    {
      int errsv = errno;
      close (fd);
      errno = errsv;
      goto fail;
    }
  if (close (fd) < 0)
    goto fail;
  return g_file_set_contents (name_file, label, -1, error);

fail:
  {
    int errsv = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv), "writing %s: %s", file,
                 g_strerror (errsv));
  }
  return FALSE;
}

/* Checks that the data directory @dir holds the whole entry @name. */
static inline gboolean
fs_test_content_check (const char *dir, const char *name, GError **error)
{
  g_autofree char *file = g_build_filename (dir, "file", NULL);
  g_autofree char *name_file = g_build_filename (dir, "name", NULL);
  g_autofree char *label = NULL;
  g_autofree char *expected_prefix = g_strdup_printf ("%s ", name);
  g_autofree guint8 *buf = g_malloc (65536);
  g_autofree guint8 *want = g_malloc (65536);
  guint32 seed = fs_test_content_seed (name);
  guint64 n_bytes, done = 0;
  int fd;

  if (!g_file_get_contents (name_file, &label, NULL, error))
    return FALSE;
  if (!g_str_has_prefix (label, expected_prefix) || !g_str_has_suffix (label, "\n") ||
      !g_ascii_string_to_unsigned (g_strstrip (label + strlen (expected_prefix)), 10, 0,
                                   G_MAXUINT64, &n_bytes, NULL))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: label of another entry: %s",
                   name_file, label);
      return FALSE;
    }

  fd = open (file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv), "%s: %s", file,
                   g_strerror (errsv));
      return FALSE;
    }
  for (;;)
    {
      ssize_t r = read (fd, buf, 65536);

      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int errsv = errno;
          close (fd);
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv), "%s: %s", file,
                       g_strerror (errsv));
          return FALSE;
        }
      if (r == 0)
        break;
      if (done + (guint64) r > n_bytes)
        {
          close (fd);
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                       "%s: longer than the %" G_GUINT64_FORMAT " bytes of %s", file, n_bytes,
                       name);
          return FALSE;
        }
      fs_test_content_chunk (seed, done, want, (gsize) r);
      if (memcmp (buf, want, (gsize) r) != 0)
        {
          close (fd);
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                       "%s: content differs from %s's near offset %" G_GUINT64_FORMAT, file, name,
                       done);
          return FALSE;
        }
      done += (guint64) r;
    }
  close (fd);
  if (done != n_bytes)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   "%s: %" G_GUINT64_FORMAT " bytes instead of %" G_GUINT64_FORMAT, file, done,
                   n_bytes);
      return FALSE;
    }
  return TRUE;
}

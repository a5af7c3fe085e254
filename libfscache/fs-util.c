/* fs-util.c: descriptors, errno and small file helpers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <glib/gi18n-lib.h>

#include "fs-util-private.h"

gboolean
_fs_throw_errno (GError **error, int errsv, const char *format, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s", msg, g_strerror (errsv));
  return FALSE;
}

char *
_fs_path_join (const char *base, const char *rel)
{
  if (rel == NULL || *rel == '\0' || g_str_equal (rel, "."))
    return g_strdup (base);
  return g_build_filename (base, rel, NULL);
}

/* Names come from a generator per thread (xoshiro256**), seeded from the
 * kernel (getrandom) when a thread first needs one and again in the child
 * of every fork(): a state copied by fork would give parent and child the
 * same names. One system call per thread instead of one per name (a stage
 * is a handful of system calls: this one showed). Names are also created
 * with O_EXCL/EEXIST checks, so a collision could only cost a retry. */
static guint fork_generation = 1;

static void
count_fork (void)
{
  fork_generation++; /* in the child, which has one thread */
}

static void
watch_forks (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      pthread_atfork (NULL, NULL, count_fork);
      g_once_init_leave (&once, 1);
    }
}

guint
_fs_fork_generation (void)
{
  watch_forks ();
  return fork_generation;
}

typedef struct {
  guint64 s[4];
  guint generation;
} NameRng;

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static guint64
name_rng_next (NameRng *r)
{
  guint64 result = rotl (r->s[1] * 5, 7) * 9;
  guint64 t = r->s[1] << 17;

  r->s[2] ^= r->s[0];
  r->s[3] ^= r->s[1];
  r->s[1] ^= r->s[2];
  r->s[0] ^= r->s[3];
  r->s[2] ^= t;
  r->s[3] = rotl (r->s[3], 45);
  return result;
}

static void
name_rng_seed (NameRng *r)
{
  gssize n;

  watch_forks ();
  do
    n = getrandom (r->s, sizeof r->s, GRND_NONBLOCK);
  while (n < 0 && errno == EINTR);
  if (n != (gssize) sizeof r->s)
    {
      /* Entropy pool not ready (early boot): mix in what differs between
       * processes, threads and calls. */
      static gint counter;
      r->s[0] = (guint64) g_random_int () << 32 | (guint32) getpid ();
      r->s[1] = (guint64) g_get_monotonic_time ();
      r->s[2] = (guint64) (guintptr) r ^ (guint64) g_atomic_int_add (&counter, 1);
      r->s[3] = (guint64) g_get_real_time () | 1;
    }
  r->generation = fork_generation;
}

void
_fs_uuid_name_random (FsUuidName *name)
{
  static const char hex[] = "0123456789abcdef";
  static __thread NameRng rng;
  char *out = name->str;
  guint8 bytes[16];
  guint64 a, b;

  if (G_UNLIKELY (rng.generation != fork_generation))
    name_rng_seed (&rng);
  a = name_rng_next (&rng);
  b = name_rng_next (&rng);
  memcpy (bytes, &a, 8);
  memcpy (bytes + 8, &b, 8);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;

  memcpy (out, "uuid-", 5);
  for (gsize i = 0; i < sizeof bytes; i++)
    {
      out[5 + 2 * i] = hex[bytes[i] >> 4];
      out[5 + 2 * i + 1] = hex[bytes[i] & 0xf];
    }
  out[FS_UUID_NAME_LEN] = '\0';
}

gboolean
_fs_is_uuid_name (const char *name)
{
  if (strlen (name) != FS_UUID_NAME_LEN || !g_str_has_prefix (name, "uuid-"))
    return FALSE;
  for (int i = 5; i < FS_UUID_NAME_LEN; i++)
    if (!g_ascii_isxdigit (name[i]))
      return FALSE;
  return TRUE;
}

void
_fs_boot_id_compute (const char *app_id, const char *kernel_boot_id, char out[FS_BOOT_ID_LEN + 1])
{
  static const char hex[] = "0123456789abcdef";
  g_autofree char *key = g_strstrip (g_strdup (kernel_boot_id));
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) key, strlen (key));
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) app_id, (gssize) strlen (app_id));
  g_hmac_get_digest (hmac, digest, &digest_len);

  /* As osbuild does it: byte 8 is derived from byte 6, not from itself. */
  digest[6] = (digest[6] & 0x0f) | 0x40;
  digest[8] = (digest[6] & 0x0f) | 0x80;

  for (int i = 0; i < FS_BOOT_ID_LEN / 2; i++)
    {
      out[2 * i] = hex[digest[i] >> 4];
      out[2 * i + 1] = hex[digest[i] & 0xf];
    }
  out[FS_BOOT_ID_LEN] = '\0';
}

int
_fs_openat (int dirfd, const char *path, int flags, mode_t mode)
{
  static gint have_openat2 = -1;
  struct open_how how = {
    .flags = (guint64) (flags | O_CLOEXEC),
    .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  int fd;

  if (g_atomic_int_get (&have_openat2) != 0)
    {
      do
        fd = (int) syscall (SYS_openat2, dirfd, path, &how, sizeof how);
      while (fd < 0 && (errno == EAGAIN || errno == EINTR));
      if (fd >= 0 || errno != ENOSYS)
        {
          /* openat2 reports a symlink or an escape as ELOOP/EXDEV: for the
           * cache both mean "not an entry of ours". */
          if (fd < 0 && errno == EXDEV)
            errno = ELOOP;
          g_atomic_int_set (&have_openat2, 1);
          return fd;
        }
      g_atomic_int_set (&have_openat2, 0);
    }

  /* Without openat2 (kernels before 5.6, valgrind): walk the path one
   * component at a time, refusing symlinks and ".." in every one of them. */
  {
    g_auto (GStrv) parts = g_strsplit (path, "/", -1);
    int cur = dirfd;
    guint n = g_strv_length (parts);

    for (guint i = 0; i < n; i++)
      {
        gboolean last = i + 1 == n;
        int next;

        if (g_str_equal (parts[i], "..") || (parts[i][0] == '\0' && !last))
          {
            if (cur != dirfd)
              close (cur);
            errno = ELOOP;
            return -1;
          }
        do
          next = last ? openat (cur, parts[i], flags | O_CLOEXEC | O_NOFOLLOW, mode)
                      : openat (cur, parts[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        while (next < 0 && errno == EINTR);
        if (cur != dirfd)
          _fs_fd_close (cur);
        if (next < 0)
          {
            /* A symlink where a folder is expected: ENOTDIR, a miss. */
            return -1;
          }
        cur = next;
      }
    return cur;
  }
}

gboolean
_fs_read_small_fd (int fd, char **out_data, gsize *out_len, int *out_errno)
{
  char first[4096];
  g_autofree char *buf = NULL;
  gsize len = 0;
  ssize_t n;

  /* Metadata files are tiny: one read, and a short read of a regular file
   * means its end. */
  do
    n = pread (fd, first, sizeof first, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      *out_errno = errno;
      return FALSE;
    }
  if ((gsize) n < sizeof first)
    {
      *out_data = g_malloc ((gsize) n + 1);
      memcpy (*out_data, first, (gsize) n);
      (*out_data)[n] = '\0';
      *out_len = (gsize) n;
      return TRUE;
    }

  buf = g_malloc (FS_META_MAX_SIZE + 1);
  memcpy (buf, first, sizeof first);
  len = sizeof first;
  for (;;)
    {
      n = pread (fd, buf + len, FS_META_MAX_SIZE + 1 - len, (off_t) len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          *out_errno = errno;
          return FALSE;
        }
      if (n == 0)
        break;
      len += (gsize) n;
      if (len > FS_META_MAX_SIZE)
        {
          *out_errno = EFBIG;
          return FALSE;
        }
    }

  buf[len] = '\0';
  *out_data = g_steal_pointer (&buf);
  *out_len = len;
  return TRUE;
}

gboolean
_fs_read_small_at (int dirfd, const char *path, char **out_data, gsize *out_len, int *out_errno)
{
  /* O_NONBLOCK: a FIFO planted in the cache must not hang the reader (its
   * read then fails with ESPIPE); it changes nothing for a regular file. */
  fs_autofd fd = _fs_openat (dirfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);

  if (fd < 0)
    {
      *out_errno = errno;
      return FALSE;
    }
  return _fs_read_small_fd (fd, out_data, out_len, out_errno);
}

gboolean
_fs_read_file_at (int dirfd, const char *path, gsize max, GBytes **out, int *out_errno)
{
  fs_autofd fd = _fs_openat (dirfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
  g_autofree char *buf = NULL;
  struct stat st;
  gsize len = 0, cap;

  if (fd < 0 || fstat (fd, &st) < 0)
    {
      *out_errno = errno;
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      *out_errno = S_ISDIR (st.st_mode) ? EISDIR : ESPIPE;
      return FALSE;
    }
  if ((guint64) st.st_size > max)
    {
      *out_errno = EFBIG;
      return FALSE;
    }
  /* The size may change while we read (a hostile writer): read to the end,
   * within @max. */
  cap = (gsize) st.st_size + 1;
  buf = g_malloc (cap);
  for (;;)
    {
      ssize_t n = pread (fd, buf + len, cap - len, (off_t) len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          *out_errno = errno;
          return FALSE;
        }
      if (n == 0)
        break;
      len += (gsize) n;
      if (len > max)
        {
          *out_errno = EFBIG;
          return FALSE;
        }
      if (len == cap)
        {
          cap = MIN (cap * 2, max + 1);
          buf = g_realloc (buf, cap);
        }
    }
  *out = g_bytes_new_take (g_steal_pointer (&buf), len);
  return TRUE;
}

gboolean
_fs_write_all (int fd, const void *data, gsize len, off_t offset)
{
  const char *p = data;

  while (len > 0)
    {
      ssize_t n = pwrite (fd, p, len, offset);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      if (n == 0)
        {
          errno = ENOSPC;
          return FALSE;
        }
      p += n;
      len -= (gsize) n;
      offset += n;
    }
  return TRUE;
}

/* Give an unnamed (O_TMPFILE) or existing file another name. linkat() with
 * AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc path needs nothing. */
gboolean
_fs_link_fd_at (int fd, int dirfd, const char *name)
{
  char proc[64];

  g_snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (linkat (AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0)
    return TRUE;
  if (errno == ENOENT && linkat (fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
    return TRUE;
  return FALSE;
}

GPtrArray *
_fs_dir_names (int dirfd, const char *prefix)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  int fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct dirent *de;
  DIR *dir;

  if (fd < 0)
    return NULL;
  dir = fdopendir (fd);
  if (dir == NULL)
    {
      _fs_fd_close (fd);
      return NULL;
    }
  errno = 0;
  while ((de = readdir (dir)) != NULL)
    {
      if (_fs_is_dot_or_dotdot (de->d_name) ||
          (prefix != NULL && !g_str_has_prefix (de->d_name, prefix)))
        continue;
      g_ptr_array_add (names, g_strdup (de->d_name));
      errno = 0;
    }
  if (errno != 0)
    {
      int errsv = errno;
      closedir (dir);
      errno = errsv;
      return NULL;
    }
  closedir (dir);
  return g_steal_pointer (&names);
}

gboolean
_fs_cancellable_set_error (GCancellable *cancellable, GError **error)
{
  return g_cancellable_set_error_if_cancelled (cancellable, error);
}

void
_fs_fault_point (const char *point)
{
#if ENABLE_FAULT_INJECTION
  static const char *at = NULL;
  static gsize init = 0;

  if (g_once_init_enter (&init))
    {
      at = g_getenv ("FSCACHE_CRASH_AT");
      g_once_init_leave (&init, 1);
    }
  if (G_UNLIKELY (at != NULL) && g_str_equal (at, point))
    {
      g_debug ("fault point %s reached: killing the process", point);
      kill (getpid (), SIGKILL);
    }
#endif
}

static guint sync_count;

void
_fs_count_sync (void)
{
  g_atomic_int_inc (&sync_count);
}

guint
_fs_get_sync_count (void)
{
  return (guint) g_atomic_int_get (&sync_count);
}

void
_fs_i18n_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&done, 1);
    }
}

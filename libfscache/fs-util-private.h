/* fs-util-private.h: descriptors, errno and small file helpers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <errno.h>
#include <string.h>
#include <gio/gio.h>
#include <sys/stat.h>
#include <unistd.h>

G_BEGIN_DECLS

/* GLib 2.74 has no g_autofd: the same shape, privately. */
typedef int FsFd;

static inline void
_fs_fd_close (int fd)
{
  if (fd >= 0)
    {
      int errsv = errno;
      close (fd);
      errno = errsv;
    }
}

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (FsFd, _fs_fd_close, -1)
#define fs_autofd g_auto (FsFd)

static inline int
_fs_steal_fd (int *fdp)
{
  int fd = *fdp;
  *fdp = -1;
  return fd;
}

static inline void
_fs_clear_fd (int *fdp)
{
  _fs_fd_close (_fs_steal_fd (fdp));
}

/* "." or ".." (any other name starting with a dot is an ordinary name). */
static inline gboolean
_fs_is_dot_or_dotdot (const char *name)
{
  return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* The longest file a metadata parser is given; the real ones are < 200 B.
 * A longer one is refused with EFBIG: it is corrupt. */
#define FS_META_MAX_SIZE (64 * 1024)

/* Whether @errsv, from opening or reading a metadata file (object.info,
 * cache.size, a journal file), means that there is no valid file there:
 * absent (ENOENT; ENOTDIR when a component is not a folder), a planted
 * link (ELOOP), not a regular file (EISDIR, ENXIO, ESPIPE), or oversized
 * (EFBIG). For the cache that is the same as a corrupt file: an entry is a
 * miss, a counter is recounted. Anything else (EMFILE, ENFILE, ENOMEM,
 * EACCES, EIO, ...) says nothing about the file: it is an error, reported
 * with the path. */
static inline gboolean
_fs_errno_is_invalid_meta (int errsv)
{
  return errsv == ENOENT || errsv == ENOTDIR || errsv == ELOOP || errsv == EISDIR ||
         errsv == ENXIO || errsv == ESPIPE || errsv == EFBIG;
}

gboolean _fs_throw_errno (GError **error, int errsv, const char *format, ...) G_GNUC_PRINTF (3, 4);

char *_fs_path_join (const char *base, const char *rel);
/* "@dir/@file" into @buf of @size bytes (on the hot paths: no printf).
 * Returns @buf; a result that does not fit is cut (names are checked to
 * fit beforehand). */
static inline char *
_fs_join (char *buf, gsize size, const char *dir, const char *file)
{
  gsize n = strlen (dir), m = strlen (file);

  if (n + 1 + m + 1 > size)
    {
      buf[0] = '\0';
      return buf;
    }
  memcpy (buf, dir, n);
  buf[n] = '/';
  memcpy (buf + n + 1, file, m + 1);
  return buf;
}

/* "uuid-" and 32 lowercase hex digits: the name of every anonymous entry,
 * journal record and temporary file (osbuild's scheme: the prefix is
 * reserved, no entry can be named so). */
#define FS_UUID_NAME_LEN 37
typedef struct {
  char str[FS_UUID_NAME_LEN + 1];
} FsUuidName;

/* A fresh random name (from the kernel: a GRand would be copied by fork). */
void _fs_uuid_name_random (FsUuidName *out);
/* A number that changes in the child of every fork(): state that must not
 * be shared by parent and child (a random generator, counters not yet
 * written) compares it with the one it was made in. */
guint _fs_fork_generation (void);

/* Whether @name is "uuid-" and 32 hex digits. */
gboolean _fs_is_uuid_name (const char *name);

/* A boot id as libfscache and osbuild tag entries with: 32 hex digits. */
#define FS_BOOT_ID_LEN 32

/* The boot id of @app_id for the kernel boot @kernel_boot_id: see
 * fs_cache_compute_boot_id(). */
void _fs_boot_id_compute (const char *app_id,
                          const char *kernel_boot_id,
                          char out[FS_BOOT_ID_LEN + 1]);

/* openat() that refuses symlinks in any component and any escape from
 * @dirfd (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, falling back to
 * O_NOFOLLOW on the last component when the kernel lacks openat2). */
int _fs_openat (int dirfd, const char *path, int flags, mode_t mode);

gboolean _fs_read_small_at (int dirfd,
                            const char *path,
                            char **out_data,
                            gsize *out_len,
                            int *out_errno);
gboolean _fs_read_small_fd (int fd, char **out_data, gsize *out_len, int *out_errno);
/* The whole file @path below @dirfd, refused with EFBIG past @max bytes
 * (never following a symlink, never waiting on a FIFO). */
gboolean _fs_read_file_at (int dirfd, const char *path, gsize max, GBytes **out, int *out_errno);
gboolean _fs_write_all (int fd, const void *data, gsize len, off_t offset);
gboolean _fs_link_fd_at (int fd, int dirfd, const char *name);

/* The names in the directory @dirfd (not "." and ".."), those starting
 * with @prefix when it is not NULL; NULL with errno on failure. */
GPtrArray *_fs_dir_names (int dirfd, const char *prefix);

gboolean _fs_cancellable_set_error (GCancellable *cancellable, GError **error);

/* Test-only fault points: when the environment variable FSCACHE_CRASH_AT
 * names @point, the process is killed there with SIGKILL. Compiled out of
 * builds configured with -Dfault_injection=false. */
void _fs_fault_point (const char *point);

/* Test-only counters of system calls the tests assert on. */
void _fs_count_sync (void);
guint _fs_get_sync_count (void);

G_END_DECLS

G_BEGIN_DECLS
/* Binds the "fscache" text domain once; every public entry point that can
 * produce a translated message calls it. */
void _fs_i18n_init (void);
G_END_DECLS

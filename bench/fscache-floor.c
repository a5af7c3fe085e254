/* fscache-floor.c: the system-call floor of libfscache's operations
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Plain C, no GLib, no libfscache: each operation does only the system
 * calls the on-disk protocol (DESIGN.md §3, and the journal of
 * libfscache/fs-journal.c) cannot do without, in the order the library
 * does them, so that "library time / floor time" is the library's own
 * overhead. Where the library makes a system call this program does not
 * make, that call is counted as overhead (see bench/README.md).
 *
 *   load hit   openat2(objects/NAME/object.lock, RESOLVE_BENEATH|
 *              RESOLVE_NO_SYMLINKS) · fcntl(F_OFD_SETLK, F_RDLCK) · fstat ·
 *              fstatat (open-lock-compare) · openat2/read/close object.info
 *              (+ parse "size") · futimens(UTIME_NOW, UTIME_OMIT);
 *              release: close
 *   load miss  the failing openat2
 *   store      openat2(O_TMPFILE) · fcntl(F_WRLCK) · linkat(journal/uuid-X)
 *              · mkdirat(uuid-X) · linkat(uuid-X/object.lock) ·
 *              mkdirat(uuid-X/data)
 *   commit     manifest (walk: per directory openat, fstat, flistxattr,
 *              getdents64; per regular file, on all CPUs: openat, fstat,
 *              flistxattr, read, close, SHA-256; sorted, serialized,
 *              hashed, written as object.manifest), the size from the
 *              same stats · object.info (with the tree digest)
 *              openat2/pwrite/close · pwrite record · size transaction
 *              (open-lock-compare cache.size with F_OFD_SETLKW, openat2
 *              size.intent, pread size, pread intent, pwrite intent,
 *              pwrite size, pwrite record flag, pwrite intent idle, close
 *              both) · renameat2(RENAME_NOREPLACE) · unlinkat record ·
 *              ftruncate lock · fcntl(F_RDLCK); release: close
 *   stage      openat2(O_TMPFILE) · fcntl(F_WRLCK) · mkdirat · linkat ·
 *              mkdirat data; release: rm of the tree (rmdir data,
 *              unlink object.lock, rmdir uuid-X, walking a directory only
 *              when it is not empty) · close
 *
 * Usage: fscache-floor SCENARIO DIR [ARGS…]; one JSON line per result.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <linux/openat2.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "bench-common.h"

#define META_MAX (64 * 1024)
#define FS_SIZE_WIDTH 24 /* cache.size is rewritten in place at this width */
#define INTENT_WIDTH 128 /* journal/size.intent likewise */
#define BOOT_ID "00000000000000000000000000000000"

typedef struct {
  const char *path;
  int dir_fd, objects_fd, stage_fd, journal_fd, lock_fd;
} Cache;

typedef struct {
  int lock_fd;
  int area_fd;
  int has_record;
  int has_info;
  char uuid[38];
  char name[256];
  char path[4096]; /* absolute path of data/ */
  uint64_t size;
} Entry;

static int have_openat2 = 1;
static int durable; /* commits sync as the library's durable mode does */
static uint64_t rng_state;
static char meta_buf[META_MAX + 1];

/* ---- primitives ------------------------------------------------------ */

static inline int
open_beneath (int dirfd, const char *path, int flags, mode_t mode)
{
  if (have_openat2)
    {
      struct open_how how = {
        .flags = (uint64_t) (flags | O_CLOEXEC),
        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
      };
      int fd = (int) syscall (SYS_openat2, dirfd, path, &how, sizeof how);
      if (fd >= 0 || errno != ENOSYS)
        return fd;
      have_openat2 = 0; /* old kernel, or valgrind: as the library does */
    }
  return openat (dirfd, path, flags | O_CLOEXEC | O_NOFOLLOW, mode);
}

static inline int
lock_fd (int fd, short type, int cmd)
{
  struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
  return fcntl (fd, cmd, &fl);
}

/* Open, lock, then check the path still names the locked inode. */
static int
lock_open_at_st (int dirfd,
                 const char *path,
                 int flags,
                 mode_t mode,
                 short type,
                 int cmd,
                 struct stat *out_st)
{
  for (;;)
    {
      struct stat a, b;
      int fd = open_beneath (dirfd, path, flags, mode);

      if (fd < 0)
        return -1;
      if (lock_fd (fd, type, cmd) < 0)
        {
          int e = errno == EACCES ? EAGAIN : errno;
          close (fd);
          errno = e;
          return -1;
        }
      if (fstat (fd, &a) < 0 || fstatat (dirfd, path, &b, AT_SYMLINK_NOFOLLOW) < 0)
        {
          int e = errno;
          close (fd);
          if (e == ENOENT)
            continue;
          errno = e;
          return -1;
        }
      if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
        {
          close (fd);
          continue;
        }
      if (out_st != NULL)
        *out_st = a;
      return fd;
    }
}

static inline int
lock_open_at (int dirfd, const char *path, int flags, mode_t mode, short type, int cmd)
{
  return lock_open_at_st (dirfd, path, flags, mode, type, cmd, NULL);
}

static inline uint64_t
rng_next (void)
{
  uint64_t x = rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static void
uuid_name (char out[38])
{
  static const char hex[] = "0123456789abcdef";
  uint8_t b[16];
  uint64_t r1 = rng_next (), r2 = rng_next ();

  memcpy (b, &r1, 8);
  memcpy (b + 8, &r2, 8);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  memcpy (out, "uuid-", 5);
  for (int i = 0; i < 16; i++)
    {
      out[5 + 2 * i] = hex[b[i] >> 4];
      out[6 + 2 * i] = hex[b[i] & 15];
    }
  out[37] = '\0';
}

static inline int
link_fd_at (int fd, int dirfd, const char *name)
{
  char proc[32];

  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  return linkat (AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW);
}

static inline int
pwrite_all (int fd, const void *buf, size_t len, off_t off)
{
  return pwrite (fd, buf, len, off) == (ssize_t) len ? 0 : -1;
}

/* "NAME" + "/" + suffix, without printf. */
static inline void
join (char *out, const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);
  memcpy (out, a, la);
  out[la] = '/';
  memcpy (out + la + 1, b, lb + 1);
}

static int
parse_u64 (const char *p, uint64_t *out)
{
  uint64_t v = 0;

  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  if (*p < '0' || *p > '9')
    return -1;
  while (*p >= '0' && *p <= '9')
    v = v * 10 + (uint64_t) (*p++ - '0');
  *out = v;
  return 0;
}

/* The minimal parse of object.info: the integer member "size". */
static int
parse_object_info (const char *data, uint64_t *out)
{
  const char *p = strstr (data, "\"size\"");

  if (p == NULL)
    return -1;
  p += 6;
  while (*p == ' ')
    p++;
  if (*p++ != ':')
    return -1;
  return parse_u64 (p, out);
}

static void format_padded (char *out, size_t width, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

static void
format_padded (char *out, size_t width, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (out, width + 1, fmt, ap);
  va_end (ap);
  memset (out + n, ' ', width - 1 - (size_t) n);
  out[width - 1] = '\n';
  out[width] = '\0';
}

/* Empties the directory @name (known to be one) by walking it, then
 * removes it. d_type tells directories from files without a stat. */
static int
rm_dir_at (int dirfd, const char *name)
{
  char buf[8192];
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    return errno == ENOENT ? 0 : -1;
  for (;;)
    {
      long n = syscall (SYS_getdents64, fd, buf, sizeof buf);
      if (n <= 0)
        break;
      for (long off = 0; off < n;)
        {
          struct dirent64 *de = (struct dirent64 *) (void *) (buf + off);
          off += de->d_reclen;
          if (de->d_name[0] == '.' &&
              (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
            continue;
          if (de->d_type == DT_DIR)
            rm_dir_at (fd, de->d_name);
          else if (unlinkat (fd, de->d_name, 0) < 0 && (errno == EISDIR || errno == EPERM))
            rm_dir_at (fd, de->d_name);
        }
    }
  close (fd);
  return unlinkat (dirfd, name, AT_REMOVEDIR);
}

/* Removes an entry AREA/uuid-X as the library lays it out: object.lock,
 * object.info (if @has_info) and data/ with whatever the caller put in.
 * With @data_empty_likely (a staging entry), data/ is first removed as if
 * empty, and walked only when it is not; otherwise it is walked at once. */
static int
rm_entry (int area_fd, const char *uuid, int has_info, int data_empty_likely)
{
  char p[300];

  join (p, uuid, "data");
  if (data_empty_likely)
    {
      if (unlinkat (area_fd, p, AT_REMOVEDIR) < 0 && errno != ENOENT)
        {
          if (errno != ENOTEMPTY && errno != EEXIST)
            return -1;
          if (rm_dir_at (area_fd, p) < 0)
            return -1;
        }
    }
  else if (rm_dir_at (area_fd, p) < 0)
    return -1;
  join (p, uuid, "object.lock");
  unlinkat (area_fd, p, 0);
  if (has_info)
    {
      join (p, uuid, "object.info");
      unlinkat (area_fd, p, 0);
      join (p, uuid, "object.manifest");
      unlinkat (area_fd, p, 0);
    }
  if (unlinkat (area_fd, uuid, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return rm_dir_at (area_fd, uuid);
  return 0;
}

/* ---- the manifest (issue 13) ------------------------------------------ */

/* What a commit must do since 1.1 (docs/format.md, "object.manifest"): a
 * record of every node of the tree with the SHA-256 of every regular file,
 * in a deterministic order, written as objects/uuid-X/object.manifest, and
 * its own SHA-256 (the tree digest) in object.info. The floor of that:
 *
 *   the walk (this thread): per directory openat, fstat, flistxattr (a
 *   manifest records extended attributes), getdents64; regular files are
 *   known by their d_type and left to the hashing;
 *   the hashing, on as many threads as the process may use CPUs (the
 *   library hashes on all cores too; one file: this thread alone): per
 *   file openat, fstat, flistxattr, read until its size, close, SHA-256
 *   (libcrypto's EVP, as the library);
 *   the nodes sorted by path, serialized (path, type, mode, owner, size,
 *   digest), hashed, and written with openat, write, close.
 *
 * The size of the entry (st_blocks) comes from the same fstat calls: no
 * second walk. Walking before hashing (instead of both at once as the
 * library does) costs the floor the walk of the directories, under 1 % of
 * a commit of 10,000 files. */

typedef struct {
  char *path; /* relative to data/: "." for the top */
  uint32_t mode, uid, gid;
  char type; /* 'd', 'f', 'l', 'o' */
  uint64_t size;
  uint64_t blocks;
  dev_t dev;
  ino_t ino;
  nlink_t nlink;
  unsigned char sha256[32];
} MNode;

typedef struct {
  MNode *nodes;
  size_t n, cap;
  int root_fd;
  size_t *files; /* indexes of the regular files in nodes */
  size_t nfiles, capfiles;
  size_t next; /* atomic: the next file to hash */
} Manifest;

static const EVP_MD *sha256_md;

static size_t
m_add (Manifest *m, const char *parent, const char *name, char type)
{
  MNode *node;
  size_t lp = strlen (parent), ln = strlen (name);

  if (m->n == m->cap)
    {
      m->cap = m->cap ? 2 * m->cap : 1024;
      m->nodes = realloc (m->nodes, m->cap * sizeof *m->nodes);
      if (m->nodes == NULL)
        bench_die ("out of memory");
    }
  node = &m->nodes[m->n];
  memset (node, 0, sizeof *node);
  node->type = type;
  node->path = malloc (lp + ln + 2);
  if (strcmp (parent, ".") == 0 || parent[0] == '\0')
    memcpy (node->path, name, ln + 1);
  else
    {
      memcpy (node->path, parent, lp);
      node->path[lp] = '/';
      memcpy (node->path + lp + 1, name, ln + 1);
    }
  return m->n++;
}

static void
m_stat (MNode *node, const struct stat *st)
{
  node->mode = st->st_mode & 07777;
  node->uid = st->st_uid;
  node->gid = st->st_gid;
  node->size = S_ISREG (st->st_mode) ? (uint64_t) st->st_size : 0;
  node->blocks = (uint64_t) st->st_blocks;
  node->dev = st->st_dev;
  node->ino = st->st_ino;
  node->nlink = st->st_nlink;
}

/* A directory open as @fd, known as @path: its node, then its children. */
static void
m_walk (Manifest *m, int fd, const char *path)
{
  char buf[32768], xattrs[1024];
  struct stat st;
  size_t self = m_add (m, "", path, 'd');

  if (fstat (fd, &st) < 0 || flistxattr (fd, xattrs, sizeof xattrs) < 0)
    bench_die ("reading %s: %s", path, strerror (errno));
  m_stat (&m->nodes[self], &st);
  for (;;)
    {
      long n = syscall (SYS_getdents64, fd, buf, sizeof buf);
      if (n < 0)
        bench_die ("getdents64: %s", strerror (errno));
      if (n == 0)
        break;
      for (long off = 0; off < n;)
        {
          struct dirent64 *de = (struct dirent64 *) (void *) (buf + off);
          char *parent = m->nodes[self].path;

          off += de->d_reclen;
          if (de->d_name[0] == '.' &&
              (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
            continue;
          if (de->d_type == DT_DIR)
            {
              char child[4096];
              int cfd =
                openat (fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

              if (cfd < 0)
                bench_die ("openat %s: %s", de->d_name, strerror (errno));
              if (strcmp (parent, ".") == 0)
                snprintf (child, sizeof child, "%s", de->d_name);
              else
                snprintf (child, sizeof child, "%s/%s", parent, de->d_name);
              m_walk (m, cfd, child);
              close (cfd);
            }
          else if (de->d_type == DT_REG)
            {
              size_t i = m_add (m, parent, de->d_name, 'f');

              if (m->nfiles == m->capfiles)
                {
                  m->capfiles = m->capfiles ? 2 * m->capfiles : 1024;
                  m->files = realloc (m->files, m->capfiles * sizeof *m->files);
                }
              m->files[m->nfiles++] = i;
            }
          else
            {
              /* Symbolic links and the rest (none in the benchmarks' trees). */
              size_t i = m_add (m, parent, de->d_name, 'o');
              if (fstatat (fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                bench_die ("fstatat %s: %s", de->d_name, strerror (errno));
              m_stat (&m->nodes[i], &st);
            }
        }
    }
}

static void
m_hash_file (Manifest *m, MNode *node, EVP_MD_CTX *ctx, char *buf, size_t buf_size)
{
  char xattrs[1024];
  struct stat st;
  uint64_t done = 0;
  unsigned int len;
  int fd =
    openat (m->root_fd, node->path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NOATIME);

  if (fd < 0 || fstat (fd, &st) < 0 || flistxattr (fd, xattrs, sizeof xattrs) < 0)
    bench_die ("opening %s: %s", node->path, strerror (errno));
  m_stat (node, &st);
  if (!EVP_DigestInit_ex (ctx, sha256_md, NULL))
    bench_die ("EVP_DigestInit_ex");
  while (done < (uint64_t) st.st_size)
    {
      size_t want =
        (uint64_t) st.st_size - done < buf_size ? (size_t) (st.st_size - done) : buf_size;
      ssize_t r = read (fd, buf, want);

      if (r <= 0)
        bench_die ("reading %s: %s", node->path, r < 0 ? strerror (errno) : "short file");
      EVP_DigestUpdate (ctx, buf, (size_t) r);
      done += (uint64_t) r;
    }
  EVP_DigestFinal_ex (ctx, node->sha256, &len);
  close (fd);
}

#define M_BUFFER_SIZE (256 * 1024)

static void *
m_worker (void *data)
{
  Manifest *m = data;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  char *buf = malloc (M_BUFFER_SIZE);

  for (;;)
    {
      size_t i = __atomic_fetch_add (&m->next, 1, __ATOMIC_RELAXED);
      if (i >= m->nfiles)
        break;
      m_hash_file (m, &m->nodes[m->files[i]], ctx, buf, M_BUFFER_SIZE);
    }
  free (buf);
  EVP_MD_CTX_free (ctx);
  return NULL;
}

static int
m_cmp (const void *a, const void *b)
{
  return strcmp (((const MNode *) a)->path, ((const MNode *) b)->path);
}

/* Builds the manifest of @e's data/ and writes it; the tree digest in
 * @out_hex, the size of the tree (its blocks, hard links once) returned. */
static uint64_t
floor_manifest (Cache *c, Entry *e, char out_hex[65])
{
  static const char hex[] = "0123456789abcdef";
  Manifest m = { 0 };
  char p[300];
  unsigned char digest[32];
  unsigned int dlen;
  uint64_t size = 0;
  size_t nthreads = 1, len = 0, cap = 0;
  pthread_t threads[64];
  char *out = NULL;
  cpu_set_t cpus;
  int fd;

  if (sha256_md == NULL)
    sha256_md = EVP_MD_fetch (NULL, "SHA256", NULL);
  join (p, e->uuid, "data");
  m.root_fd = openat (c->objects_fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (m.root_fd < 0)
    bench_die ("opening %s: %s", p, strerror (errno));
  {
    int walk_fd = dup (m.root_fd);
    m_walk (&m, walk_fd, ".");
    close (walk_fd);
  }

  /* The hashing: this thread, and one more per CPU the process may use. */
  if (sched_getaffinity (0, sizeof cpus, &cpus) == 0)
    nthreads = (size_t) CPU_COUNT (&cpus);
  if (nthreads > m.nfiles)
    nthreads = m.nfiles;
  if (nthreads > 64)
    nthreads = 64;
  for (size_t t = 1; t < nthreads; t++)
    if (pthread_create (&threads[t], NULL, m_worker, &m) != 0)
      bench_die ("pthread_create");
  m_worker (&m);
  for (size_t t = 1; t < nthreads; t++)
    pthread_join (threads[t], NULL);
  close (m.root_fd);

  /* The size, from the same stats. */
  for (size_t i = 0; i < m.n; i++)
    {
      MNode *node = &m.nodes[i];
      int seen = 0;

      if (node->type != 'd' && node->nlink > 1)
        for (size_t j = 0; j < i && !seen; j++)
          seen = m.nodes[j].dev == node->dev && m.nodes[j].ino == node->ino;
      if (!seen)
        size += node->blocks * 512;
    }

  /* Sorted, serialized, hashed, written. */
  qsort (m.nodes, m.n, sizeof *m.nodes, m_cmp);
  for (size_t i = 0; i < m.n; i++)
    {
      MNode *node = &m.nodes[i];
      size_t lp = strlen (node->path) + 1;
      size_t need = lp + 4 * 3 + 1 + 8 + 32;

      if (len + need > cap)
        {
          cap = cap ? 2 * cap + need : 65536 + need;
          out = realloc (out, cap);
        }
      memcpy (out + len, node->path, lp);
      len += lp;
      memcpy (out + len, &node->mode, 4);
      memcpy (out + len + 4, &node->uid, 4);
      memcpy (out + len + 8, &node->gid, 4);
      out[len + 12] = node->type;
      memcpy (out + len + 13, &node->size, 8);
      len += 21;
      if (node->type == 'f')
        {
          memcpy (out + len, node->sha256, 32);
          len += 32;
        }
      free (node->path);
    }
  if (!EVP_Digest (out, len, digest, &dlen, sha256_md, NULL))
    bench_die ("EVP_Digest");
  for (int i = 0; i < 32; i++)
    {
      out_hex[2 * i] = hex[digest[i] >> 4];
      out_hex[2 * i + 1] = hex[digest[i] & 15];
    }
  out_hex[64] = '\0';
  join (p, e->uuid, "object.manifest");
  fd = open_beneath (c->objects_fd, p, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, 0644);
  if (fd < 0 || write (fd, out, len) != (ssize_t) len)
    bench_die ("writing %s: %s", p, strerror (errno));
  close (fd);
  free (out);
  free (m.nodes);
  free (m.files);
  return size;
}

/* ---- the cache ------------------------------------------------------- */

static int
open_dir_at (int dirfd, const char *name)
{
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
  if (fd < 0)
    bench_die ("opening %s: %s", name, strerror (errno));
  return fd;
}

static void
write_new_file (int dirfd, const char *name, const char *contents)
{
  int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write (fd, contents, strlen (contents)) < 0)
    bench_die ("writing %s: %s", name, strerror (errno));
  close (fd);
}

/* Not timed: a new cache with the library's scaffolding; @max is the
 * maximum size (0 = unlimited). */
static void
cache_create (const char *path, uint64_t max)
{
  char info[256];
  int dfd;

  if (mkdir (path, 0755) < 0 && errno != EEXIST)
    bench_die ("creating %s: %s", path, strerror (errno));
  dfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    bench_die ("opening %s: %s", path, strerror (errno));
  mkdirat (dfd, "objects", 0755);
  mkdirat (dfd, "stage", 0755);
  mkdirat (dfd, "journal", 0755);
  write_new_file (dfd, "CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n");
  write_new_file (dfd, "cache.lock", "");
  write_new_file (dfd, "cache.size", "0");
  if (max == 0)
    snprintf (info, sizeof info, "{\"version\": 1, \"maximum-size\": \"unlimited\"}");
  else
    snprintf (info, sizeof info, "{\"version\": 1, \"maximum-size\": %" PRIu64 "}", max);
  write_new_file (dfd, "cache.info", info);
  close (dfd);
}

/* Open a cache the way a user of the protocol must: the directories and
 * the shared lock of the cache (not timed except in the "open" scenario). */
static void
cache_open (Cache *c, const char *path)
{
  c->path = path;
  c->dir_fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
  if (c->dir_fd < 0)
    bench_die ("opening %s: %s", path, strerror (errno));
  c->objects_fd = open_dir_at (c->dir_fd, "objects");
  c->stage_fd = open_dir_at (c->dir_fd, "stage");
  c->journal_fd = open_dir_at (c->dir_fd, "journal");
  c->lock_fd =
    lock_open_at (c->dir_fd, "cache.lock", O_RDONLY | O_NOCTTY, 0, F_RDLCK, F_OFD_SETLKW);
  if (c->lock_fd < 0)
    bench_die ("locking %s/cache.lock: %s", path, strerror (errno));
}

static void
cache_close (Cache *c)
{
  close (c->lock_fd);
  close (c->journal_fd);
  close (c->stage_fd);
  close (c->objects_fd);
  close (c->dir_fd);
}

/* Returns the read-locked lock descriptor of NAME, or -1 for a miss. */
static inline int
floor_load (Cache *c, const char *name, uint64_t *out_size)
{
  static const struct timespec times[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };
  char p[300];
  ssize_t n;
  int fd, ifd;

  join (p, name, "object.lock");
  fd = lock_open_at (c->objects_fd, p, O_RDONLY | O_NOCTTY, 0, F_RDLCK, F_OFD_SETLK);
  if (fd < 0)
    return -1;
  join (p, name, "object.info");
  ifd = open_beneath (c->objects_fd, p, O_RDONLY | O_NOCTTY, 0);
  if (ifd < 0)
    {
      close (fd);
      return -1;
    }
  n = read (ifd, meta_buf, META_MAX + 1);
  close (ifd);
  if (n <= 0 || n > META_MAX)
    {
      close (fd);
      return -1;
    }
  meta_buf[n] = '\0';
  if (parse_object_info (meta_buf, out_size) < 0)
    {
      close (fd);
      return -1;
    }
  futimens (fd, times);
  return fd;
}

/* An anonymous entry in @area_fd (objects/ with a journal record, or
 * stage/ without). */
static void
floor_create_anonymous (Cache *c, Entry *e, int area_fd, const char *area, int with_record)
{
  char p[300];

  e->area_fd = area_fd;
  e->has_record = 0;
  e->has_info = 0;
  for (;;)
    {
      e->lock_fd = open_beneath (area_fd, ".", O_TMPFILE | O_RDWR | O_NOCTTY, 0644);
      if (e->lock_fd < 0)
        bench_die ("O_TMPFILE in %s/%s: %s", c->path, area, strerror (errno));
      if (lock_fd (e->lock_fd, F_WRLCK, F_OFD_SETLK) < 0)
        bench_die ("locking: %s", strerror (errno));
      uuid_name (e->uuid);
      if (with_record)
        {
          if (link_fd_at (e->lock_fd, c->journal_fd, e->uuid) < 0)
            bench_die ("journal record: %s", strerror (errno));
          e->has_record = 1;
        }
      if (mkdirat (area_fd, e->uuid, 0755) < 0)
        {
          if (errno == EEXIST)
            {
              if (with_record)
                unlinkat (c->journal_fd, e->uuid, 0);
              close (e->lock_fd);
              continue;
            }
          bench_die ("mkdir: %s", strerror (errno));
        }
      join (p, e->uuid, "object.lock");
      if (link_fd_at (e->lock_fd, area_fd, p) < 0)
        bench_die ("linking object.lock: %s", strerror (errno));
      join (p, e->uuid, "data");
      if (mkdirat (area_fd, p, 0755) < 0)
        bench_die ("mkdir data: %s", strerror (errno));
      break;
    }
  snprintf (e->path, sizeof e->path, "%s/%s/%s/data", c->path, area, e->uuid);
}

static inline void
floor_store (Cache *c, Entry *e, const char *name)
{
  floor_create_anonymous (c, e, c->objects_fd, "objects", 1);
  strcpy (e->name, name);
}

static inline void
floor_stage (Cache *c, Entry *e)
{
  floor_create_anonymous (c, e, c->stage_fd, "stage", 0);
  e->name[0] = '\0';
}

/* Discard an anonymous entry: the tree, then the record, then the lock. */
static void
floor_discard (Cache *c, Entry *e)
{
  rm_entry (e->area_fd, e->uuid, e->has_info, !e->has_info);
  if (e->has_record)
    unlinkat (c->journal_fd, e->uuid, 0);
  close (e->lock_fd);
}

typedef struct {
  int fd;
  const char *name;
} TxnRec;

/* The size transaction: cache.size += delta (unless over @limit, 0 = no
 * limit), the accounted flag of the @n records set to @after, through the
 * intent file (and for several records a batch file naming them, as the
 * library does). Returns 1 when applied, 0 when it does not fit; *@out_cur
 * gets the counter found. */
static int
size_txn (Cache *c,
          int64_t delta,
          uint64_t limit,
          const TxnRec *recs,
          unsigned n,
          int after,
          uint64_t *out_cur)
{
  char sbuf[FS_SIZE_WIDTH + 1], ibuf[INTENT_WIDTH + 1], rbuf[256], batch[40] = "";
  uint64_t cur = 0, next;
  ssize_t r;
  int sfd, ifd, bfd = -1;

  sfd = lock_open_at (c->dir_fd, "cache.size", O_RDWR | O_CREAT | O_NOCTTY, 0644, F_WRLCK,
                      F_OFD_SETLKW);
  if (sfd < 0)
    bench_die ("locking cache.size: %s", strerror (errno));
  ifd = open_beneath (c->journal_fd, "size.intent", O_RDWR | O_CREAT | O_NOCTTY, 0644);
  if (ifd < 0)
    bench_die ("opening size.intent: %s", strerror (errno));
  r = pread (sfd, rbuf, sizeof rbuf - 1, 0);
  if (r < 0)
    bench_die ("reading cache.size: %s", strerror (errno));
  rbuf[r] = '\0';
  if (parse_u64 (rbuf, &cur) < 0)
    bench_die ("cache.size is corrupt");
  if (out_cur != NULL)
    *out_cur = cur;
  r = pread (ifd, ibuf, sizeof ibuf - 1, 0);
  if (r < 0)
    bench_die ("reading size.intent: %s", strerror (errno));
  ibuf[r] = '\0';
  if (r > 0 && strncmp (ibuf, "idle", 4) != 0)
    bench_die ("size.intent is pending: a writer died (the floor does not recover)");

  if (delta < 0)
    next = cur < (uint64_t) -delta ? 0 : cur - (uint64_t) -delta;
  else
    next = cur + (uint64_t) delta;
  if (delta > 0 && limit != 0 && next > limit)
    {
      close (ifd);
      close (sfd);
      return 0;
    }

  if (n > 1)
    {
      /* The batch file: the names of the records, linked in journal/. */
      char list[128 * 40];
      size_t len = 0;
      char uuid[38];

      for (unsigned i = 0; i < n; i++)
        {
          size_t l = strlen (recs[i].name);
          memcpy (list + len, recs[i].name, l);
          list[len + l] = '\n';
          len += l + 1;
        }
      bfd = open_beneath (c->journal_fd, ".", O_TMPFILE | O_RDWR | O_NOCTTY, 0644);
      if (bfd < 0 || lock_fd (bfd, F_WRLCK, F_OFD_SETLK) < 0 || pwrite_all (bfd, list, len, 0) < 0)
        bench_die ("batch file: %s", strerror (errno));
      uuid_name (uuid);
      snprintf (batch, sizeof batch, "bat-%s", uuid + 5);
      if (link_fd_at (bfd, c->journal_fd, batch) < 0)
        bench_die ("batch file: %s", strerror (errno));
    }

  if (n > 0)
    {
      format_padded (ibuf, INTENT_WIDTH, "txn %s %" PRIu64 " %" PRIu64 " %d",
                     n > 1 ? batch : recs[0].name, cur, next, after);
      if (pwrite_all (ifd, ibuf, INTENT_WIDTH, 0) < 0)
        bench_die ("size.intent: %s", strerror (errno));
    }
  format_padded (sbuf, FS_SIZE_WIDTH, "%" PRIu64, next);
  if (pwrite_all (sfd, sbuf, FS_SIZE_WIDTH, 0) < 0)
    bench_die ("cache.size: %s", strerror (errno));
  for (unsigned i = 0; i < n; i++)
    if (pwrite_all (recs[i].fd, after ? "1" : "0", 1, 0) < 0)
      bench_die ("record flag: %s", strerror (errno));
  if (n > 0)
    {
      format_padded (ibuf, INTENT_WIDTH, "idle");
      if (pwrite_all (ifd, ibuf, INTENT_WIDTH, 0) < 0)
        bench_die ("size.intent: %s", strerror (errno));
    }
  if (bfd >= 0)
    {
      unlinkat (c->journal_fd, batch, 0);
      close (bfd);
    }
  close (ifd);
  close (sfd);
  return 1;
}

/* Lists a directory: the names (NUL-separated in a growing buffer) and
 * their d_type. Not a libc readdir: one getdents64 per 32 KiB. */
typedef struct {
  char *names;
  size_t len, cap;
  unsigned count;
} NameList;

static void
list_dir (int dirfd, NameList *out)
{
  char buf[32768];
  int fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  out->len = 0;
  out->count = 0;
  if (fd < 0)
    bench_die ("listing: %s", strerror (errno));
  for (;;)
    {
      long n = syscall (SYS_getdents64, fd, buf, sizeof buf);
      if (n < 0)
        bench_die ("getdents64: %s", strerror (errno));
      if (n == 0)
        break;
      for (long off = 0; off < n;)
        {
          struct dirent64 *de = (struct dirent64 *) (void *) (buf + off);
          size_t l = strlen (de->d_name);

          off += de->d_reclen;
          if (de->d_name[0] == '.')
            continue;
          if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN && de->d_type != DT_REG)
            continue;
          if (out->len + l + 2 > out->cap)
            {
              out->cap = out->cap ? 2 * out->cap + l + 2 : 65536;
              out->names = realloc (out->names, out->cap);
            }
          out->names[out->len++] = (char) de->d_type;
          memcpy (out->names + out->len, de->d_name, l + 1);
          out->len += l + 1;
          out->count++;
        }
    }
  close (fd);
}

typedef struct {
  const char *name;
  struct timespec atime;
} Candidate;

static int
cmp_candidate (const void *a, const void *b)
{
  const Candidate *x = a, *y = b;

  if (x->atime.tv_sec != y->atime.tv_sec)
    return x->atime.tv_sec < y->atime.tv_sec ? -1 : 1;
  if (x->atime.tv_nsec != y->atime.tv_nsec)
    return x->atime.tv_nsec < y->atime.tv_nsec ? -1 : 1;
  return strcmp (x->name, y->name);
}

typedef struct {
  int fd;
  char uuid[38];
  uint64_t size;
} Victim;

/* Subtracts a batch of hidden entries in one transaction, deletes them,
 * then their records. */
static void
finish_victims (Cache *c, Victim *v, unsigned n)
{
  TxnRec recs[128] = { { 0 } };
  uint64_t total = 0;

  if (n == 0)
    return;
  for (unsigned i = 0; i < n; i++)
    {
      recs[i].fd = v[i].fd;
      recs[i].name = v[i].uuid;
      total += v[i].size;
    }
  size_txn (c, -(int64_t) total, 0, recs, n, 0, NULL);
  for (unsigned i = 0; i < n; i++)
    {
      rm_entry (c->objects_fd, v[i].uuid, 1, 0);
      unlinkat (c->journal_fd, v[i].uuid, 0);
      close (v[i].fd);
    }
}

/* Eviction under journal/evict.lock, least recently used first, until the
 * counter is at most @target. The minimum of the protocol: the dead
 * records of journal/ and stale staging entries are looked for (there are
 * none in the benchmark), every entry costs two fstatat: its object.info
 * (an entry without one is debris to remove) and its object.lock (whose
 * atime is the last use); object.info is read only for the victims, under
 * their write lock, where the library re-reads it too; removals are batched
 * (128 per size transaction) as the library does. Returns the count of
 * evicted entries. */
static unsigned
floor_evict (Cache *c, uint64_t used, uint64_t target, const char *own_record)
{
  static NameList list;
  Candidate *cand;
  Victim batch[128];
  unsigned ncand = 0, nbatch = 0, evicted = 0;
  uint64_t freed = 0;
  char p[300];
  int efd;

  efd = open_beneath (c->journal_fd, "evict.lock", O_RDWR | O_CREAT | O_NOCTTY, 0644);
  if (efd < 0 || lock_fd (efd, F_WRLCK, F_OFD_SETLKW) < 0)
    bench_die ("evict.lock: %s", strerror (errno));

  /* Dead records and stale staging entries: none expected here. */
  list_dir (c->journal_fd, &list);
  for (size_t off = 0; off < list.len;)
    {
      const char *name = list.names + off + 1;
      off += strlen (name) + 2;
      if (strncmp (name, "uuid-", 5) == 0 && strcmp (name, own_record) != 0)
        {
          int fd = lock_open_at (c->journal_fd, name, O_RDWR | O_NOCTTY, 0, F_WRLCK, F_OFD_SETLK);
          if (fd >= 0)
            bench_die ("dead journal record %s (the floor does not recover)", name);
        }
    }
  list_dir (c->stage_fd, &list);
  if (list.count > 0)
    bench_die ("staging entries found (the floor does not sweep)");

  list_dir (c->objects_fd, &list);
  cand = malloc ((list.count + 1) * sizeof *cand);
  for (size_t off = 0; off < list.len;)
    {
      char type = list.names[off];
      const char *name = list.names + off + 1;
      struct stat st;

      off += strlen (name) + 2;
      if (type == DT_REG || strncmp (name, "uuid-", 5) == 0)
        continue; /* anonymous: ours, or debris (none here) */
      /* An entry without object.info is debris the pass must remove (an
       * interrupted removal): its existence is checked for every entry. */
      join (p, name, "object.info");
      if (fstatat (c->objects_fd, p, &st, AT_SYMLINK_NOFOLLOW) < 0)
        bench_die ("%s has no object.info (the floor does not sweep)", name);
      join (p, name, "object.lock");
      if (fstatat (c->objects_fd, p, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      cand[ncand].name = name;
      cand[ncand].atime = st.st_atim;
      ncand++;
    }
  qsort (cand, ncand, sizeof *cand, cmp_candidate);

  for (unsigned i = 0; i < ncand && used - (freed < used ? freed : used) > target; i++)
    {
      const char *name = cand[i].name;
      char rec[300];
      struct stat st;
      uint64_t size;
      ssize_t n;
      int fd, ifd, len;
      Victim *v = &batch[nbatch];

      join (p, name, "object.lock");
      fd = lock_open_at_st (c->objects_fd, p, O_RDWR | O_NOCTTY, 0, F_WRLCK, F_OFD_SETLK, &st);
      if (fd < 0)
        continue; /* in use */
      join (p, name, "object.info");
      ifd = open_beneath (c->objects_fd, p, O_RDONLY | O_NOCTTY, 0);
      if (ifd < 0)
        {
          close (fd);
          continue;
        }
      n = read (ifd, meta_buf, META_MAX + 1);
      close (ifd);
      if (n <= 0 || n > META_MAX)
        {
          close (fd);
          continue;
        }
      meta_buf[n] = '\0';
      if (parse_object_info (meta_buf, &size) < 0)
        {
          close (fd);
          continue;
        }
      /* The record, in the lock file (empty for a committed entry). */
      if (st.st_size > 0 && ftruncate (fd, 0) < 0)
        bench_die ("ftruncate: %s", strerror (errno));
      len = snprintf (rec, sizeof rec, "1 remove %" PRIu64 "\n%s", size, name);
      if (pwrite_all (fd, rec, (size_t) len, 0) < 0)
        bench_die ("record: %s", strerror (errno));
      uuid_name (v->uuid);
      if (link_fd_at (fd, c->journal_fd, v->uuid) < 0)
        bench_die ("journal record: %s", strerror (errno));
      if (renameat2 (c->objects_fd, name, c->objects_fd, v->uuid, RENAME_NOREPLACE) < 0)
        bench_die ("hiding %s: %s", name, strerror (errno));
      v->fd = fd;
      v->size = size;
      nbatch++;
      evicted++;
      freed += size;
      if (nbatch == 128)
        {
          finish_victims (c, batch, nbatch);
          nbatch = 0;
        }
    }
  finish_victims (c, batch, nbatch);
  free (cand);
  close (efd);
  return evicted;
}

enum { COMMIT_STORED, COMMIT_EXISTS, COMMIT_NO_SPACE };

/* @limit: the maximum size (0 = unlimited); @low: the low watermark in
 * percent (eviction frees down to it, counting the new entry in), 0 = no
 * eviction. *@out_evicted (may be NULL) gets the entries evicted. */
static int
floor_commit_evict (Cache *c, Entry *e, uint64_t limit, unsigned low, unsigned *out_evicted)
{
  char p[300], info[200], rec[300], tree_digest[65];
  TxnRec r = { e->lock_fd, e->uuid };
  uint64_t used = 0;
  int ifd, len;

  if (out_evicted != NULL)
    *out_evicted = 0;

  /* The manifest, and the size from its stats. */
  e->size = floor_manifest (c, e, tree_digest);

  /* Durable: the tree on disk before the entry can be visible; one
   * syncfs() of the file system. */
  if (durable && syncfs (c->objects_fd) < 0)
    bench_die ("syncfs: %s", strerror (errno));

  join (p, e->uuid, "object.info");
  len = snprintf (info, sizeof info,
                  "{\"creation-boot-id\": \"%s\", \"size\": %" PRIu64
                  ", \"fscache-tree-digest\": \"%s\"}",
                  BOOT_ID, e->size, tree_digest);
  ifd = open_beneath (c->objects_fd, p, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, 0644);
  if (ifd < 0 || pwrite_all (ifd, info, (size_t) len, 0) < 0)
    bench_die ("writing object.info: %s", strerror (errno));
  e->has_info = 1;

  len = snprintf (rec, sizeof rec, "0 store %" PRIu64 "\n%s", e->size, e->name);
  if (pwrite_all (e->lock_fd, rec, (size_t) len, 0) < 0)
    bench_die ("writing the record: %s", strerror (errno));

  if (!size_txn (c, (int64_t) e->size, limit, &r, 1, 1, &used))
    {
      uint64_t target;
      unsigned evicted;

      if (low == 0)
        {
          close (ifd);
          floor_discard (c, e);
          return COMMIT_NO_SPACE;
        }
      target = limit / 100 * low + limit % 100 * low / 100;
      target = target > e->size ? target - e->size : 0;
      evicted = floor_evict (c, used, target, e->uuid);
      if (out_evicted != NULL)
        *out_evicted = evicted;
      if (!size_txn (c, (int64_t) e->size, limit, &r, 1, 1, NULL))
        {
          close (ifd);
          floor_discard (c, e);
          return COMMIT_NO_SPACE;
        }
    }

  if (renameat2 (c->objects_fd, e->uuid, c->objects_fd, e->name, RENAME_NOREPLACE) < 0)
    {
      if (errno != EEXIST && errno != ENOTEMPTY)
        bench_die ("renameat2: %s", strerror (errno));
      size_txn (c, -(int64_t) e->size, 0, &r, 1, 0, NULL);
      close (ifd);
      floor_discard (c, e);
      return COMMIT_EXISTS;
    }
  /* ...and object.info and the rename, before STORED. */
  if (durable && (fdatasync (ifd) < 0 || fsync (c->objects_fd) < 0))
    bench_die ("fsync: %s", strerror (errno));
  close (ifd);
  unlinkat (c->journal_fd, e->uuid, 0);
  e->has_record = 0;
  if (ftruncate (e->lock_fd, 0) < 0)
    bench_die ("ftruncate: %s", strerror (errno));
  if (lock_fd (e->lock_fd, F_RDLCK, F_OFD_SETLK) < 0)
    bench_die ("converting the lock: %s", strerror (errno));
  return COMMIT_STORED;
}

static inline int
floor_commit (Cache *c, Entry *e, uint64_t limit)
{
  return floor_commit_evict (c, e, limit, 0, NULL);
}

/* ---- scenarios ------------------------------------------------------- */

static char **
make_names (const char *prefix, unsigned n)
{
  char **names = calloc (n, sizeof *names);
  for (unsigned i = 0; i < n; i++)
    {
      names[i] = malloc (64);
      bench_name (names[i], 64, prefix, i);
    }
  return names;
}

BENCH_LOOP static void
bench_loop_load_hit (Cache *c, char **names, unsigned count, unsigned n, BenchSamples *s)
{
  uint64_t start = bench_now_ns ();
  for (unsigned i = 0; i < n; i++)
    {
      uint64_t size, t0 = bench_now_ns ();
      int fd = floor_load (c, names[i % count], &size);
      if (fd < 0)
        bench_die ("load of %s missed", names[i % count]);
      close (fd);
      bench_samples_add (s, bench_now_ns () - t0);
    }
  s->wall_ns = bench_now_ns () - start;
}

static void
scenario_load_hit (const char *dir, unsigned n, unsigned count)
{
  Cache c;
  BenchSamples s;
  char **names = make_names (BENCH_LOAD_PREFIX, count);

  cache_open (&c, dir);
  bench_settle (dir);
  bench_samples_init (&s, n);
  bench_loop_load_hit (&c, names, count, count, &s); /* warm up */
  s.n = 0;
  bench_loop_load_hit (&c, names, count, n, &s);
  bench_emit0 ("floor", "load_hit", &s);
  cache_close (&c);
}

BENCH_LOOP static void
bench_loop_load_miss (Cache *c, char **names, unsigned count, unsigned n, BenchSamples *s)
{
  uint64_t start = bench_now_ns ();
  for (unsigned i = 0; i < n; i++)
    {
      uint64_t size, t0 = bench_now_ns ();
      if (floor_load (c, names[i % count], &size) >= 0)
        bench_die ("load of %s hit", names[i % count]);
      bench_samples_add (s, bench_now_ns () - t0);
    }
  s->wall_ns = bench_now_ns () - start;
}

static void
scenario_load_miss (const char *dir, unsigned n)
{
  Cache c;
  BenchSamples s;
  unsigned count = 1000;
  char **names = make_names (BENCH_MISS_PREFIX, count);

  cache_open (&c, dir);
  bench_settle (dir);
  bench_samples_init (&s, n);
  bench_loop_load_miss (&c, names, count, n / 10 + 1, &s); /* warm up */
  s.n = 0;
  bench_loop_load_miss (&c, names, count, n, &s);
  bench_emit0 ("floor", "load_miss", &s);
  cache_close (&c);
}

BENCH_LOOP static void
bench_loop_store_small (Cache *c, char **names, unsigned n, BenchSamples *s)
{
  uint64_t start = bench_now_ns ();
  for (unsigned i = 0; i < n; i++)
    {
      Entry e;
      char file[4200];
      uint64_t t0 = bench_now_ns ();

      floor_store (c, &e, names[i]);
      snprintf (file, sizeof file, "%s/file", e.path);
      bench_write_file (file);
      if (floor_commit (c, &e, 0) != COMMIT_STORED)
        bench_die ("commit of %s did not store", names[i]);
      close (e.lock_fd);
      bench_samples_add (s, bench_now_ns () - t0);
    }
  s->wall_ns = bench_now_ns () - start;
}

static void
scenario_store_small (const char *dir, unsigned n, const char *mode)
{
  Cache c;
  BenchSamples s;
  char **names = make_names (BENCH_STORE_PREFIX, n);

  cache_create (dir, 0);
  cache_open (&c, dir);
  bench_settle (dir);
  bench_samples_init (&s, n);
  durable = strcmp (mode, "durable") == 0;
  bench_loop_store_small (&c, names, n, &s);
  bench_emit ("floor", "store_small", &s, "\"mode\": \"%s\"", durable ? "durable" : "volatile");
  cache_close (&c);
}

BENCH_LOOP static void
bench_loop_stage (Cache *c, unsigned n, BenchSamples *s)
{
  uint64_t start = bench_now_ns ();
  for (unsigned i = 0; i < n; i++)
    {
      Entry e;
      uint64_t t0 = bench_now_ns ();

      floor_stage (c, &e);
      floor_discard (c, &e);
      bench_samples_add (s, bench_now_ns () - t0);
    }
  s->wall_ns = bench_now_ns () - start;
}

static void
scenario_stage (const char *dir, unsigned n)
{
  Cache c;
  BenchSamples s;

  cache_create (dir, 0);
  cache_open (&c, dir);
  bench_settle (dir);
  bench_samples_init (&s, n);
  bench_loop_stage (&c, n / 10 + 1, &s); /* warm up */
  s.n = 0;
  bench_loop_stage (&c, n, &s);
  bench_emit0 ("floor", "stage", &s);
  cache_close (&c);
}

/* The timed part of commit_tree and prune, in functions of their own for
 * callgrind (--toggle-collect=bench_loop_*). */
BENCH_LOOP static int
bench_loop_commit_tree (Cache *c, Entry *e)
{
  return floor_commit (c, e, 0);
}

BENCH_LOOP static int
bench_loop_prune (Cache *c,
                  Entry *e,
                  const char *name,
                  uint64_t max,
                  unsigned low,
                  unsigned *evicted)
{
  char file[4200];

  int status;

  floor_store (c, e, name);
  snprintf (file, sizeof file, "%s/file", e->path);
  bench_write_file (file);
  status = floor_commit_evict (c, e, max, low, evicted);
  if (status == COMMIT_STORED)
    close (e->lock_fd); /* the release */
  return status;
}

static void
scenario_commit_tree (const char *dir, unsigned files, unsigned dirs)
{
  Cache c;
  Entry e;
  BenchSamples s;
  uint64_t t0, c0;

  cache_create (dir, 0);
  cache_open (&c, dir);
  floor_store (&c, &e, "tree");
  bench_fill_tree (e.path, files, dirs);
  bench_settle (dir);
  bench_samples_init (&s, 1);
  c0 = bench_cpu_ns ();
  t0 = bench_now_ns ();
  if (bench_loop_commit_tree (&c, &e) != COMMIT_STORED)
    bench_die ("commit of the tree did not store");
  s.wall_ns = bench_now_ns () - t0;
  c0 = bench_cpu_ns () - c0;
  bench_samples_add (&s, s.wall_ns);
  close (e.lock_fd);
  bench_emit ("floor", "commit_tree", &s,
              "\"files\": %u, \"dirs\": %u, \"size\": %" PRIu64 ", \"cpu_ns\": %" PRIu64
              ", \"cpus\": %u",
              files, dirs, e.size, c0, bench_cpus ());
  cache_close (&c);
}

static unsigned
count_entries (int objects_fd)
{
  NameList list = { 0 };
  unsigned n = 0;

  list_dir (objects_fd, &list);
  for (size_t off = 0; off < list.len;)
    {
      const char *name = list.names + off + 1;
      off += strlen (name) + 2;
      if (strncmp (name, "uuid-", 5) != 0)
        n++;
    }
  free (list.names);
  return n;
}

/* A cache filled to its maximum with @entries entries, then one store that
 * must evict @percent % of them (low watermark 100 - @percent): that store
 * is timed, as fscache-bench does. */
static void
scenario_prune (const char *dir, unsigned entries, unsigned percent)
{
  Cache c;
  Entry e;
  BenchSamples s;
  char **names = make_names (BENCH_STORE_PREFIX, entries + 1);
  char file[4200], info[256];
  uint64_t esize, max, t0;
  unsigned before, after, evicted = 0, low = 100 - percent;
  int fd;

  cache_create (dir, 0);
  cache_open (&c, dir);
  floor_store (&c, &e, names[0]);
  snprintf (file, sizeof file, "%s/file", e.path);
  bench_write_file (file);
  if (floor_commit (&c, &e, 0) != COMMIT_STORED)
    bench_die ("could not store the first entry");
  close (e.lock_fd);
  esize = e.size;
  max = esize * entries;
  snprintf (info, sizeof info,
            "{\"version\": 1, \"maximum-size\": %" PRIu64 ", \"low-watermark\": %u}", max, low);
  fd = openat (c.dir_fd, "cache.info", O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0 || write (fd, info, strlen (info)) < 0)
    bench_die ("writing cache.info: %s", strerror (errno));
  close (fd);
  for (unsigned i = 1; i < entries; i++)
    {
      floor_store (&c, &e, names[i]);
      snprintf (file, sizeof file, "%s/file", e.path);
      bench_write_file (file);
      if (floor_commit_evict (&c, &e, max, low, NULL) != COMMIT_STORED)
        bench_die ("could not store %s while filling", names[i]);
      close (e.lock_fd);
    }
  before = count_entries (c.objects_fd);

  bench_settle (dir);
  bench_samples_init (&s, 1);
  t0 = bench_now_ns ();
  if (bench_loop_prune (&c, &e, names[entries], max, low, &evicted) != COMMIT_STORED)
    bench_die ("the store that evicts did not store");
  s.wall_ns = bench_now_ns () - t0;
  bench_samples_add (&s, s.wall_ns);
  after = count_entries (c.objects_fd);
  bench_emit ("floor", "prune", &s,
              "\"entries\": %u, \"evicted\": %u, \"entry_size\": %" PRIu64
              ", \"low_watermark\": %u",
              before, before + 1 - after, esize, low);
  cache_close (&c);
}

/* `du -s` of the same tree plus one rename: the reference the tree commit
 * must not be slower than (DESIGN §7). */
static void
scenario_du_rename (const char *dir, unsigned files, unsigned dirs)
{
  char tree[4096], moved[4096];
  BenchSamples s;
  uint64_t t0;
  pid_t pid;
  int status;

  if (mkdir (dir, 0755) < 0 && errno != EEXIST)
    bench_die ("creating %s: %s", dir, strerror (errno));
  snprintf (tree, sizeof tree, "%s/tree", dir);
  snprintf (moved, sizeof moved, "%s/renamed", dir);
  if (mkdir (tree, 0755) < 0)
    bench_die ("creating %s: %s", tree, strerror (errno));
  bench_fill_tree (tree, files, dirs);
  fflush (stdout);
  bench_settle (dir);
  bench_samples_init (&s, 1);
  t0 = bench_now_ns ();
  pid = fork ();
  if (pid == 0)
    {
      int null = open ("/dev/null", O_WRONLY);
      dup2 (null, 1);
      execlp ("du", "du", "-s", tree, (char *) NULL);
      _exit (127);
    }
  if (pid < 0 || waitpid (pid, &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    bench_die ("du -s %s failed", tree);
  if (renameat2 (AT_FDCWD, tree, AT_FDCWD, moved, RENAME_NOREPLACE) < 0)
    bench_die ("rename: %s", strerror (errno));
  s.wall_ns = bench_now_ns () - t0;
  bench_samples_add (&s, s.wall_ns);
  bench_emit ("du", "commit_tree", &s, "\"files\": %u, \"dirs\": %u", files, dirs);
}

/* A tree of about @bytes of mixed files for store_tree (not timed): 70 %
 * of the files small (up to 16 KiB), 27 % medium (up to 1 MiB), 3 % large
 * (up to 16 MiB), 40 files per directory two levels deep, plus a symlink
 * every 100 files, a hard link every 200 and a sparse file every 500. */
static void
scenario_make_tree (const char *dir, uint64_t bytes)
{
  static char chunk[1 << 20];
  uint64_t total = 0;
  unsigned files = 0, dirs = 0;
  int root, sub = -1;

  for (size_t i = 0; i < sizeof chunk; i++)
    chunk[i] = (char) (rng_next () >> 56);
  if (mkdir (dir, 0755) < 0)
    bench_die ("creating %s: %s", dir, strerror (errno));
  root = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    bench_die ("opening %s: %s", dir, strerror (errno));
  while (total < bytes)
    {
      char name[64];
      unsigned r = (unsigned) (rng_next () % 100);
      uint64_t size;
      int fd;

      if (files % 40 == 0)
        {
          char dname[64];
          if (sub >= 0)
            close (sub);
          snprintf (dname, sizeof dname, "d%03u", dirs / 20);
          mkdirat (root, dname, 0755);
          snprintf (dname, sizeof dname, "d%03u/s%03u", dirs / 20, dirs % 20);
          if (mkdirat (root, dname, 0750) < 0)
            bench_die ("mkdir %s: %s", dname, strerror (errno));
          sub = openat (root, dname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          dirs++;
        }
      if (r < 70)
        size = rng_next () % (16 << 10);
      else if (r < 97)
        size = (16 << 10) + rng_next () % ((1 << 20) - (16 << 10));
      else
        size = (1 << 20) + rng_next () % (15u << 20);
      if (size > bytes - total)
        size = bytes - total;
      snprintf (name, sizeof name, "f%05u", files);
      fd = openat (sub, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (files % 7) ? 0644 : 0755);
      if (fd < 0)
        bench_die ("creating %s: %s", name, strerror (errno));
      if (files % 500 == 499)
        {
          /* Sparse: a hole, then the data. */
          if (pwrite (fd, chunk, size < sizeof chunk ? size : sizeof chunk, (off_t) size * 4) < 0)
            bench_die ("writing %s: %s", name, strerror (errno));
        }
      else
        for (uint64_t done = 0; done < size;)
          {
            size_t n = size - done < sizeof chunk ? (size_t) (size - done) : sizeof chunk;
            size_t off = (size_t) (rng_next () % 4096);
            if (n > sizeof chunk - off)
              n = sizeof chunk - off;
            if (write (fd, chunk + off, n) != (ssize_t) n)
              bench_die ("writing %s: %s", name, strerror (errno));
            done += n;
          }
      close (fd);
      total += size;
      files++;
      if (files % 100 == 0)
        {
          char link[64];
          snprintf (link, sizeof link, "l%05u", files);
          if (symlinkat (name, sub, link) < 0)
            bench_die ("symlink: %s", strerror (errno));
        }
      if (files % 200 == 0)
        {
          char hard[64];
          snprintf (hard, sizeof hard, "h%05u", files);
          if (linkat (sub, name, sub, hard, 0) < 0)
            bench_die ("link: %s", strerror (errno));
        }
    }
  if (sub >= 0)
    close (sub);
  close (root);
  printf ("{\"prog\": \"floor\", \"scenario\": \"make_tree\", \"bytes\": %" PRIu64
          ", \"files\": %u, \"dirs\": %u}\n",
          total, files, dirs);
}

/* `cp -a --reflink=auto SOURCE DIR/copy`, timed: the reference of
 * store_tree (DESIGN §7). */
static void
scenario_cp_tree (const char *dir, const char *source)
{
  char dest[4096];
  BenchSamples s;
  uint64_t t0, c0;
  pid_t pid;
  int status;

  if (mkdir (dir, 0755) < 0 && errno != EEXIST)
    bench_die ("creating %s: %s", dir, strerror (errno));
  snprintf (dest, sizeof dest, "%s/copy", dir);
  fflush (stdout);
  bench_settle (dir);
  bench_samples_init (&s, 1);
  c0 = bench_cpu_ns ();
  t0 = bench_now_ns ();
  pid = fork ();
  if (pid == 0)
    {
      execlp ("cp", "cp", "-a", "--reflink=auto", source, dest, (char *) NULL);
      _exit (127);
    }
  if (pid < 0 || waitpid (pid, &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    bench_die ("cp -a %s %s failed", source, dest);
  s.wall_ns = bench_now_ns () - t0;
  c0 = bench_cpu_ns () - c0;
  bench_samples_add (&s, s.wall_ns);
  bench_emit ("cp", "store_tree", &s, "\"cpu_ns\": %" PRIu64 ", \"cpus\": %u", c0, bench_cpus ());
}

/* The tree of the integrity scenarios (not timed): @big files of @big_size
 * bytes and @small files of 4 KiB, all different (the issue's: 8 of 64 MiB
 * and 200 of 4 KiB). */
static void
scenario_make_big_tree (const char *dir, unsigned big, uint64_t big_size, unsigned small)
{
  static char chunk[1 << 20];
  int root;

  if (mkdir (dir, 0755) < 0)
    bench_die ("creating %s: %s", dir, strerror (errno));
  root = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    bench_die ("opening %s: %s", dir, strerror (errno));
  for (unsigned i = 0; i < big + small; i++)
    {
      char name[64];
      uint64_t size = i < big ? big_size : BENCH_FILE_SIZE;
      int fd;

      snprintf (name, sizeof name, i < big ? "big-%u" : "small-%03u", i < big ? i : i - big);
      fd = openat (root, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0)
        bench_die ("creating %s: %s", name, strerror (errno));
      for (uint64_t done = 0; done < size;)
        {
          size_t n = size - done < sizeof chunk ? (size_t) (size - done) : sizeof chunk;

          for (size_t k = 0; k < n; k += 8)
            {
              uint64_t r = rng_next ();
              memcpy (chunk + k, &r, n - k < 8 ? n - k : 8);
            }
          if (write (fd, chunk, n) != (ssize_t) n)
            bench_die ("writing %s: %s", name, strerror (errno));
          done += n;
        }
      close (fd);
    }
  close (root);
  printf ("{\"prog\": \"floor\", \"scenario\": \"make_big_tree\", \"bytes\": %" PRIu64
          ", \"files\": %u}\n",
          big * big_size + (uint64_t) small * BENCH_FILE_SIZE, big + small);
}

/* The regular files of the tree @source (one level, as make_big_tree
 * makes it), as "PREFIX/NAME" in a NULL-terminated argv after @head. */
static char **
dgst_argv (const char *source, const char *prefix)
{
  char **argv = calloc (4096, sizeof *argv);
  size_t n = 0;
  DIR *d = opendir (source);
  struct dirent *de;

  if (d == NULL)
    bench_die ("opening %s: %s", source, strerror (errno));
  argv[n++] = strdup ("openssl");
  argv[n++] = strdup ("dgst");
  argv[n++] = strdup ("-sha256");
  while ((de = readdir (d)) != NULL && n < 4094)
    {
      char *p;

      if (de->d_type != DT_REG)
        continue;
      p = malloc (strlen (prefix) + strlen (de->d_name) + 2);
      sprintf (p, "%s/%s", prefix, de->d_name);
      argv[n++] = p;
    }
  closedir (d);
  argv[n] = NULL;
  return argv;
}

static void
run_or_die (char **argv, int quiet)
{
  pid_t pid = fork ();
  int status;

  if (pid == 0)
    {
      if (quiet)
        {
          int null = open ("/dev/null", O_WRONLY);
          dup2 (null, 1);
        }
      execvp (argv[0], argv);
      _exit (127);
    }
  if (pid < 0 || waitpid (pid, &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    bench_die ("%s failed", argv[0]);
}

/* `openssl dgst -sha256` of the files of @source, timed: the reference of
 * verify (issue 13). One process, all files, as on a command line. */
static void
scenario_dgst (const char *dir, const char *source)
{
  char **argv = dgst_argv (source, source);
  BenchSamples s;
  uint64_t t0, c0;

  (void) dir;
  fflush (stdout);
  bench_samples_init (&s, 1);
  c0 = bench_cpu_ns ();
  t0 = bench_now_ns ();
  run_or_die (argv, 1);
  s.wall_ns = bench_now_ns () - t0;
  c0 = bench_cpu_ns () - c0;
  bench_samples_add (&s, s.wall_ns);
  bench_emit ("dgst", "verify", &s, "\"cpu_ns\": %" PRIu64 ", \"cpus\": %u", c0, bench_cpus ());
}

/* `cp -a SOURCE DIR/copy` then `openssl dgst -sha256` of the copy's files,
 * timed: the reference of a store_tree that hashes (issue 13). */
static void
scenario_cp_dgst (const char *dir, const char *source)
{
  char dest[4096];
  char *cp_argv[] = { "cp", "-a", (char *) source, dest, NULL };
  char **argv;
  BenchSamples s;
  uint64_t t0, c0;

  if (mkdir (dir, 0755) < 0 && errno != EEXIST)
    bench_die ("creating %s: %s", dir, strerror (errno));
  snprintf (dest, sizeof dest, "%s/copy", dir);
  argv = dgst_argv (source, dest);
  fflush (stdout);
  bench_settle (dir);
  bench_samples_init (&s, 1);
  c0 = bench_cpu_ns ();
  t0 = bench_now_ns ();
  run_or_die (cp_argv, 0);
  run_or_die (argv, 1);
  s.wall_ns = bench_now_ns () - t0;
  c0 = bench_cpu_ns () - c0;
  bench_samples_add (&s, s.wall_ns);
  bench_emit ("cp+dgst", "store_tree", &s, "\"cpu_ns\": %" PRIu64 ", \"cpus\": %u", c0,
              bench_cpus ());
}

/* A cache with @count committed entries made directly on disk (setup of
 * the "open" scenario: far faster than storing them one by one). */
static void
scenario_populate (const char *dir, unsigned count)
{
  char name[64], p[300], info[128], sz[FS_SIZE_WIDTH + 1];
  uint64_t total = 0, esize;
  struct stat st;
  int ofd, dfd, fd, len;

  cache_create (dir, 0);
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ofd = open_dir_at (dfd, "objects");
  for (unsigned i = 0; i < count; i++)
    {
      bench_name (name, sizeof name, BENCH_LOAD_PREFIX, i);
      if (mkdirat (ofd, name, 0755) < 0)
        bench_die ("mkdir %s: %s", name, strerror (errno));
      join (p, name, "data");
      mkdirat (ofd, p, 0755);
      fstatat (ofd, p, &st, 0);
      esize = (uint64_t) st.st_blocks * 512;
      total += esize;
      join (p, name, "object.lock");
      fd = openat (ofd, p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      close (fd);
      join (p, name, "object.info");
      len = snprintf (info, sizeof info, "{\"creation-boot-id\": \"%s\", \"size\": %" PRIu64 "}",
                      BOOT_ID, esize);
      fd = openat (ofd, p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0 || write (fd, info, (size_t) len) < 0)
        bench_die ("writing %s: %s", p, strerror (errno));
      close (fd);
    }
  format_padded (sz, FS_SIZE_WIDTH, "%" PRIu64, total);
  fd = openat (dfd, "cache.size", O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0 || write (fd, sz, FS_SIZE_WIDTH) < 0)
    bench_die ("writing cache.size: %s", strerror (errno));
  close (fd);
  close (ofd);
  close (dfd);
  printf ("{\"prog\": \"floor\", \"scenario\": \"populate\", \"n\": %u, \"size\": %" PRIu64 "}\n",
          count, total);
}

/* What an open must do: the directories, the cache lock (an idle open
 * also looks at journal/ and stage/ for what crashed users left, and at
 * the intent file), cache.info and the kernel's boot id. */
static void
floor_open_close (const char *path)
{
  char buf[8192];
  Cache c;
  int fd, idle;

  c.path = path;
  c.dir_fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
  if (c.dir_fd < 0)
    bench_die ("opening %s: %s", path, strerror (errno));
  c.objects_fd = open_dir_at (c.dir_fd, "objects");
  c.stage_fd = open_dir_at (c.dir_fd, "stage");
  c.lock_fd = lock_open_at (c.dir_fd, "cache.lock", O_RDWR | O_NOCTTY, 0, F_WRLCK, F_OFD_SETLK);
  idle = c.lock_fd >= 0;
  if (!idle)
    c.lock_fd =
      lock_open_at (c.dir_fd, "cache.lock", O_RDONLY | O_NOCTTY, 0, F_RDLCK, F_OFD_SETLKW);
  fd = open_beneath (c.dir_fd, "cache.info", O_RDONLY | O_NOCTTY, 0);
  if (fd < 0 || read (fd, meta_buf, META_MAX + 1) <= 0)
    bench_die ("reading cache.info");
  close (fd);
  fd = open ("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read (fd, buf, sizeof buf) <= 0)
    bench_die ("reading the boot id");
  close (fd);
  c.journal_fd = open_dir_at (c.dir_fd, "journal");
  if (idle)
    {
      int fds[2] = { c.journal_fd, c.stage_fd };
      for (int i = 0; i < 2; i++)
        {
          int lfd = openat (fds[i], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          while (syscall (SYS_getdents64, lfd, buf, sizeof buf) > 0)
            ;
          close (lfd);
        }
      fd = open_beneath (c.journal_fd, "size.intent", O_RDONLY | O_NOCTTY, 0);
      if (fd >= 0)
        {
          if (read (fd, meta_buf, META_MAX + 1) < 0)
            bench_die ("reading size.intent");
          close (fd);
        }
      lock_fd (c.lock_fd, F_RDLCK, F_OFD_SETLK);
    }
  cache_close (&c);
}

BENCH_LOOP static void
bench_loop_open (const char *dir, unsigned n, BenchSamples *s)
{
  uint64_t start = bench_now_ns ();
  for (unsigned i = 0; i < n; i++)
    {
      uint64_t t0 = bench_now_ns ();
      floor_open_close (dir);
      bench_samples_add (s, bench_now_ns () - t0);
    }
  s->wall_ns = bench_now_ns () - start;
}

static void
scenario_open (const char *dir, unsigned n, const char *label)
{
  BenchSamples s;

  bench_settle (dir);
  bench_samples_init (&s, n);
  bench_loop_open (dir, n / 10 + 1, &s); /* warm up */
  s.n = 0;
  bench_loop_open (dir, n, &s);
  bench_emit0 ("floor", label, &s);
}

/* Contention: @procs processes for @secs seconds, 70 % load, 20 % store,
 * 10 % stage over @nnames names. */
typedef struct {
  uint64_t ops, loads, hits, misses, stores, stored, exists, stages, errors;
} Counts;

static void
contention_child (const char *dir, double secs, unsigned nnames, unsigned seed, int out_fd)
{
  Cache c;
  Counts k = { 0 };
  char **names = make_names (BENCH_CONTENTION_PREFIX, nnames);
  uint64_t end;

  rng_state ^= seed * 0x9E3779B97F4A7C15ULL;
  cache_open (&c, dir);
  end = bench_now_ns () + (uint64_t) (secs * 1e9);
  while (bench_now_ns () < end)
    {
      unsigned r = (unsigned) (rng_next () % 100);
      const char *name = names[rng_next () % nnames];
      Entry e;

      k.ops++;
      if (r < 70)
        {
          uint64_t size;
          int fd = floor_load (&c, name, &size);
          k.loads++;
          if (fd >= 0)
            {
              k.hits++;
              close (fd);
            }
          else
            k.misses++;
        }
      else if (r < 90)
        {
          char file[4200];
          int st;

          k.stores++;
          floor_store (&c, &e, name);
          snprintf (file, sizeof file, "%s/file", e.path);
          bench_write_file (file);
          st = floor_commit (&c, &e, 0);
          if (st == COMMIT_STORED)
            {
              k.stored++;
              close (e.lock_fd);
            }
          else if (st == COMMIT_EXISTS)
            k.exists++;
          else
            k.errors++;
        }
      else
        {
          k.stages++;
          floor_stage (&c, &e);
          floor_discard (&c, &e);
        }
    }
  cache_close (&c);
  if (write (out_fd, &k, sizeof k) != (ssize_t) sizeof k)
    _exit (1);
  _exit (0);
}

static void
scenario_contention (const char *dir, unsigned procs, double secs, unsigned nnames)
{
  Counts total = { 0 };
  int pfd[2];
  uint64_t t0;
  unsigned failed = 0;

  cache_create (dir, 0);
  bench_settle (dir);
  if (pipe (pfd) < 0)
    bench_die ("pipe: %s", strerror (errno));
  fflush (stdout);
  t0 = bench_now_ns ();
  for (unsigned i = 0; i < procs; i++)
    {
      pid_t pid = fork ();
      if (pid < 0)
        bench_die ("fork: %s", strerror (errno));
      if (pid == 0)
        {
          close (pfd[0]);
          contention_child (dir, secs, nnames, i + 1, pfd[1]);
        }
    }
  close (pfd[1]);
  for (unsigned i = 0; i < procs; i++)
    {
      Counts k;
      if (read (pfd[0], &k, sizeof k) != (ssize_t) sizeof k)
        {
          failed++;
          continue;
        }
      total.ops += k.ops;
      total.loads += k.loads;
      total.hits += k.hits;
      total.misses += k.misses;
      total.stores += k.stores;
      total.stored += k.stored;
      total.exists += k.exists;
      total.stages += k.stages;
      total.errors += k.errors;
    }
  while (wait (NULL) > 0)
    ;
  {
    double wall = (double) (bench_now_ns () - t0) / 1e9;
    printf ("{\"prog\": \"floor\", \"scenario\": \"contention\", \"procs\": %u, \"seconds\": %.3f, "
            "\"ops\": %" PRIu64 ", \"ops_per_s\": %.1f, \"loads\": %" PRIu64 ", \"hits\": %" PRIu64
            ", \"misses\": %" PRIu64 ", \"stores\": %" PRIu64 ", \"stored\": %" PRIu64
            ", \"exists\": %" PRIu64 ", \"stages\": %" PRIu64 ", \"errors\": %" PRIu64
            ", \"crashed\": %u}\n",
            procs, wall, total.ops, (double) total.ops / secs, total.loads, total.hits,
            total.misses, total.stores, total.stored, total.exists, total.stages, total.errors,
            failed);
  }
}

static void
usage (void)
{
  fputs ("usage: fscache-floor SCENARIO DIR [ARGS...]\n"
         "  load_hit DIR N COUNT     (DIR holds entries " BENCH_LOAD_PREFIX "NNNNNN)\n"
         "  load_miss DIR N\n"
         "  store_small DIR N [volatile|durable]\n"
         "  stage DIR N\n"
         "  commit_tree DIR FILES DIRS\n"
         "  prune DIR ENTRIES PERCENT\n"
         "  du_rename DIR FILES DIRS\n"
         "  make_tree DIR BYTES\n"
         "  cp_tree DIR SOURCE\n"
         "  make_big_tree DIR BIG BIG_SIZE SMALL\n"
         "  dgst DIR SOURCE\n"
         "  cp_dgst DIR SOURCE\n"
         "  populate DIR COUNT\n"
         "  open DIR N LABEL\n"
         "  contention DIR PROCS SECONDS NAMES\n",
         stderr);
  exit (2);
}

int
main (int argc, char **argv)
{
  const char *scenario, *dir;
  uint64_t seed;

  if (argc < 3)
    usage ();
  scenario = argv[1];
  dir = argv[2];
  bench_init_data ();
  if (getrandom (&seed, sizeof seed, 0) != sizeof seed)
    seed = (uint64_t) bench_now_ns () ^ (uint64_t) getpid ();
  rng_state = seed | 1;
  umask (022);

  if (strcmp (scenario, "load_hit") == 0)
    scenario_load_hit (dir, bench_arg_ulong (argc, argv, 3, 20000),
                       bench_arg_ulong (argc, argv, 4, 100));
  else if (strcmp (scenario, "load_miss") == 0)
    scenario_load_miss (dir, bench_arg_ulong (argc, argv, 3, 20000));
  else if (strcmp (scenario, "store_small") == 0)
    scenario_store_small (dir, bench_arg_ulong (argc, argv, 3, 2000),
                          argc > 4 ? argv[4] : "volatile");
  else if (strcmp (scenario, "stage") == 0)
    scenario_stage (dir, bench_arg_ulong (argc, argv, 3, 2000));
  else if (strcmp (scenario, "commit_tree") == 0)
    scenario_commit_tree (dir, bench_arg_ulong (argc, argv, 3, 10000),
                          bench_arg_ulong (argc, argv, 4, 100));
  else if (strcmp (scenario, "prune") == 0)
    scenario_prune (dir, bench_arg_ulong (argc, argv, 3, 5000),
                    bench_arg_ulong (argc, argv, 4, 10));
  else if (strcmp (scenario, "make_tree") == 0)
    scenario_make_tree (dir, (uint64_t) bench_arg_double (argc, argv, 3, 1073741824.0));
  else if (strcmp (scenario, "cp_tree") == 0 && argc > 3)
    scenario_cp_tree (dir, argv[3]);
  else if (strcmp (scenario, "make_big_tree") == 0)
    scenario_make_big_tree (dir, bench_arg_ulong (argc, argv, 3, 8),
                            (uint64_t) bench_arg_double (argc, argv, 4, 67108864.0),
                            bench_arg_ulong (argc, argv, 5, 200));
  else if (strcmp (scenario, "dgst") == 0 && argc > 3)
    scenario_dgst (dir, argv[3]);
  else if (strcmp (scenario, "cp_dgst") == 0 && argc > 3)
    scenario_cp_dgst (dir, argv[3]);
  else if (strcmp (scenario, "du_rename") == 0)
    scenario_du_rename (dir, bench_arg_ulong (argc, argv, 3, 10000),
                        bench_arg_ulong (argc, argv, 4, 100));
  else if (strcmp (scenario, "populate") == 0)
    scenario_populate (dir, bench_arg_ulong (argc, argv, 3, 100000));
  else if (strcmp (scenario, "open") == 0)
    scenario_open (dir, bench_arg_ulong (argc, argv, 3, 200), argc > 4 ? argv[4] : "open");
  else if (strcmp (scenario, "contention") == 0)
    scenario_contention (dir, bench_arg_ulong (argc, argv, 3, 4),
                         bench_arg_double (argc, argv, 4, 5.0),
                         bench_arg_ulong (argc, argv, 5, 200));
  else
    usage ();
  return 0;
}

/* bench-manifest.c: manifests of trees against `openssl dgst -sha256`
 * (issue 13, DESIGN §7 "From 1.1")
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   bench-manifest [--dir DIR] [--reps N] [--only big,small,copy]
 *
 * Trees in DIR (default /dev/shm), made once per run:
 *
 *   big    8 files of 64 MiB and 200 of 4 KiB (512 MiB): the tree
 *   small  10,000 files of 4 KiB in 100 folders (the commit_tree scenario)
 *
 * For each: `openssl dgst -sha256` of all its files (one process), the
 * floor of hashing them (this program, one thread: the walk with
 * getdents, then per file open, 256 KiB reads, EVP, close), the same floor
 * with the fstat and flistxattr per file that a manifest needs, and the library's
 * _fs_manifest_build_at() and _fs_manifest_verify_at() on 1 and 2 threads. For big also "copy": a
 * copy loop that hashes while it copies (_fs_digest_copy_fd, the builder fed node by node, as
 * store_tree will) against `cp -a` and `cp -a` followed by `openssl dgst -sha256` of the copy.
 *
 * Runs alternate between the programs; the table gives the median and the
 * minimum wall time over the runs, the median CPU time (user + system of
 * all threads, children included), and the ratios of the medians to the
 * first row's, of wall time and of CPU time (the steadier one on a shared
 * machine; but only wall time shows what a second thread gains).
 * One JSON line per row on stderr.
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "fs-digest-private.h"
#include "fs-manifest-private.h"
#include "fs-tree-private.h"
#include "fs-util-private.h"

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static double
cpu_now (void)
{
  struct rusage self, children;

  getrusage (RUSAGE_SELF, &self);
  getrusage (RUSAGE_CHILDREN, &children);
  return (double) (self.ru_utime.tv_sec + self.ru_stime.tv_sec + children.ru_utime.tv_sec +
                   children.ru_stime.tv_sec) +
         (double) (self.ru_utime.tv_usec + self.ru_stime.tv_usec + children.ru_utime.tv_usec +
                   children.ru_stime.tv_usec) /
           1e6;
}

static void
fill (guint8 *buf, gsize len, guint32 seed)
{
  guint32 x = seed * 2654435761u + 1;

  for (gsize i = 0; i + 4 <= len; i += 4)
    {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      memcpy (buf + i, &x, 4);
    }
}

static void
write_file (const char *path, const guint8 *data, gsize len)
{
  g_autoptr (GError) error = NULL;

  if (!g_file_set_contents (path, (const char *) data, (gssize) len, &error))
    g_error ("%s", error->message);
}

/* Makes the tree; returns its regular files (for openssl and the floor). */
static GPtrArray *
make_tree (const char *root, gboolean big)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  g_autofree guint8 *buf = g_malloc (64 * 1024 * 1024);

  g_mkdir_with_parents (root, 0755);
  if (big)
    {
      for (int i = 0; i < 8; i++)
        {
          char *p = g_strdup_printf ("%s/big-%d", root, i);
          fill (buf, 64 * 1024 * 1024, (guint32) i + 1);
          write_file (p, buf, 64 * 1024 * 1024);
          g_ptr_array_add (files, p);
        }
      for (int i = 0; i < 200; i++)
        {
          char *p = g_strdup_printf ("%s/small-%03d", root, i);
          fill (buf, 4096, (guint32) i + 100);
          write_file (p, buf, 4096);
          g_ptr_array_add (files, p);
        }
    }
  else
    for (int d = 0; d < 100; d++)
      {
        g_autofree char *dir = g_strdup_printf ("%s/d%02d", root, d);
        g_mkdir_with_parents (dir, 0755);
        for (int i = 0; i < 100; i++)
          {
            char *p = g_strdup_printf ("%s/f%03d", dir, i);
            fill (buf, 4096, (guint32) (d * 100 + i + 1000));
            write_file (p, buf, 4096);
            g_ptr_array_add (files, p);
          }
      }
  return files;
}

/* ---- the programs ---- */

typedef struct {
  const char *root;
  GPtrArray *files;
  const char *copy_root;
} Tree;

static void
run_openssl (Tree *t)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  int status = 0;
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (argv, "openssl");
  g_ptr_array_add (argv, "dgst");
  g_ptr_array_add (argv, "-sha256");
  for (guint i = 0; i < t->files->len; i++)
    g_ptr_array_add (argv, t->files->pdata[i]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                     &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    g_error ("openssl dgst: %s", error->message);
}

/* The floor: the walk (getdents) and, per file, open, reads, EVP, close:
 * the system calls and the hashing, nothing else. */
static gboolean floor_metadata; /* also fstat and flistxattr each file */

static void
floor_dir (int dfd, EVP_MD *md, EVP_MD_CTX *ctx, guint8 *buf, gsize size)
{
  DIR *dir = fdopendir (dfd);
  struct dirent *de;
  unsigned char out[32];

  while ((de = readdir (dir)) != NULL)
    {
      int fd;
      ssize_t n;

      if (_fs_is_dot_or_dotdot (de->d_name))
        continue;
      if (de->d_type == DT_DIR)
        {
          floor_dir (openat (dirfd (dir), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC), md, ctx,
                     buf, size);
          continue;
        }
      fd = openat (dirfd (dir), de->d_name, O_RDONLY | O_CLOEXEC);
      if (floor_metadata)
        {
          struct stat st;
          char names[256];

          fstat (fd, &st);
          (void) flistxattr (fd, names, sizeof names);
        }
      EVP_DigestInit_ex2 (ctx, md, NULL);
      while ((n = read (fd, buf, size)) > 0)
        EVP_DigestUpdate (ctx, buf, (size_t) n);
      EVP_DigestFinal_ex (ctx, out, NULL);
      close (fd);
    }
  closedir (dir);
}

static void
run_floor (Tree *t)
{
  static guint8 buf[256 * 1024];
  EVP_MD *md = EVP_MD_fetch (NULL, "SHA256", NULL);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();

  floor_dir (open (t->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), md, ctx, buf, sizeof buf);
  EVP_MD_CTX_free (ctx);
  EVP_MD_free (md);
}

static void
run_floor_metadata (Tree *t)
{
  floor_metadata = TRUE;
  run_floor (t);
  floor_metadata = FALSE;
}

static FsCacheManifest *the_manifest;

static void
run_build (Tree *t, guint threads)
{
  g_autoptr (GError) error = NULL;
  FsCacheManifest *m =
    _fs_manifest_build_at (AT_FDCWD, t->root, FS_MANIFEST_BUILD_NONE, threads, NULL, &error);

  if (m == NULL)
    g_error ("build: %s", error->message);
  if (the_manifest == NULL)
    the_manifest = m;
  else
    {
      if (!g_bytes_equal (fs_cache_manifest_get_bytes (m),
                          fs_cache_manifest_get_bytes (the_manifest)))
        g_error ("two builds of the tree differ");
      g_object_unref (m);
    }
}

static void
run_build_1 (Tree *t)
{
  run_build (t, 1);
}

static void
run_build_2 (Tree *t)
{
  run_build (t, 2);
}

static void
run_verify (Tree *t, guint threads)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) diffs = NULL;

  if (!_fs_manifest_verify_at (AT_FDCWD, t->root, the_manifest, threads, NULL, NULL, &diffs, NULL,
                               &error))
    g_error ("verify: %s", error->message);
  if (diffs->len != 0)
    g_error ("verify found %u differences", diffs->len);
}

static void
run_verify_1 (Tree *t)
{
  run_verify (t, 1);
}

static void
run_verify_2 (Tree *t)
{
  run_verify (t, 2);
}

/* A copy loop that hashes while it copies, feeding the builder: what
 * store_tree will do (regular files and directories only: the tree has
 * nothing else). */
static gboolean
copy_dir (FsManifestBuilder *b, int sfd, int dfd, const char *rel, void *buf, GError **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  DIR *dir = fdopendir (dup (sfd));
  struct dirent *de;

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

      if (fstatat (sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return _fs_throw_errno (error, errno, "stat %s", child);
      if (S_ISDIR (st.st_mode))
        {
          fs_autofd s = openat (sfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          fs_autofd d = -1;

          mkdirat (dfd, name, 0700);
          d = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (!copy_dir (b, s, d, child, buf, error))
            return FALSE;
          fchmod (d, st.st_mode & 07777);
          if (!_fs_manifest_builder_add_fd (b, child, d, NULL, error))
            return FALSE;
        }
      else
        {
          fs_autofd s = openat (sfd, name, O_RDONLY | O_CLOEXEC);
          fs_autofd d = openat (dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
          guint8 digest[FS_DIGEST_SIZE];

          if (!_fs_digest_copy_fd (NULL, s, d, &st, buf, FS_DIGEST_BUFFER_SIZE, digest, NULL, NULL,
                                   NULL, NULL, child, error))
            return FALSE;
          fchmod (d, st.st_mode & 07777);
          if (!_fs_manifest_builder_add_fd (b, child, d, digest, error))
            return FALSE;
        }
    }
  return TRUE;
}

static void
remove_copy (Tree *t)
{
  _fs_rm_rf_at (AT_FDCWD, t->copy_root);
}

static void
run_copy_hash (Tree *t)
{
  g_autoptr (GError) error = NULL;
  g_autofree void *buf = g_malloc (FS_DIGEST_BUFFER_SIZE);
  g_autoptr (FsManifestBuilder) b = NULL;
  g_autoptr (FsCacheManifest) m = NULL;
  fs_autofd sfd = open (t->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  fs_autofd dfd = -1;

  mkdir (t->copy_root, 0755);
  dfd = open (t->copy_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  b = _fs_manifest_builder_new (-1, 1, NULL);
  if (!copy_dir (b, sfd, dfd, ".", buf, &error) ||
      !_fs_manifest_builder_add_fd (b, ".", dfd, NULL, &error) ||
      (m = _fs_manifest_builder_end (b, &error)) == NULL)
    g_error ("copy: %s", error->message);
  if (strcmp (fs_cache_manifest_get_digest (m), fs_cache_manifest_get_digest (the_manifest)) != 0)
    g_error ("the copy's manifest differs from the tree's");
}

static void
run_cp (Tree *t)
{
  const char *argv[] = { "cp", "-a", t->root, t->copy_root, NULL };
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                     &status, NULL) ||
      !g_spawn_check_wait_status (status, NULL))
    g_error ("cp -a failed");
}

static void
run_cp_openssl (Tree *t)
{
  g_autoptr (GPtrArray) copied = g_ptr_array_new_with_free_func (g_free);
  Tree c = { t->copy_root, copied, NULL };
  gsize root_len = strlen (t->root);

  run_cp (t);
  for (guint i = 0; i < t->files->len; i++)
    g_ptr_array_add (copied,
                     g_strconcat (t->copy_root, (char *) t->files->pdata[i] + root_len, NULL));
  run_openssl (&c);
}

/* ---- measuring ---- */

typedef struct {
  const char *name;
  void (*run) (Tree *);
  void (*cleanup) (Tree *); /* after each run, not timed */
  GArray *wall;
  GArray *cpu;
} Prog;

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median_of (GArray *a)
{
  g_autofree double *v = g_memdup2 (a->data, a->len * sizeof (double));

  qsort (v, a->len, sizeof *v, cmp_double);
  return a->len % 2 ? v[a->len / 2] : (v[a->len / 2 - 1] + v[a->len / 2]) / 2;
}

static double
min_of (GArray *a)
{
  double m = g_array_index (a, double, 0);
  for (guint i = 1; i < a->len; i++)
    m = MIN (m, g_array_index (a, double, i));
  return m;
}

static void
measure (const char *scenario, Tree *t, Prog *progs, gsize n_progs, int reps, double bytes)
{
  double ref = 0, ref_cpu = 0;

  for (gsize p = 0; p < n_progs; p++)
    {
      progs[p].wall = g_array_new (FALSE, FALSE, sizeof (double));
      progs[p].cpu = g_array_new (FALSE, FALSE, sizeof (double));
    }
  for (int r = 0; r < reps; r++)
    for (gsize k = 0; k < n_progs; k++)
      {
        /* alternate the order between runs */
        Prog *p = &progs[r % 2 ? n_progs - 1 - k : k];
        double w0, c0, w, c;

        c0 = cpu_now ();
        w0 = now ();
        p->run (t);
        w = now () - w0;
        c = cpu_now () - c0;
        if (p->cleanup != NULL)
          p->cleanup (t);
        g_array_append_val (p->wall, w);
        g_array_append_val (p->cpu, c);
      }

  printf ("\n== %s (%d runs)\n", scenario, reps);
  printf ("%-38s %10s %10s %10s %7s %7s %7s\n", "", "median", "min", "cpu", "MB/s", "ratio",
          "cpu r.");
  for (gsize k = 0; k < n_progs; k++)
    {
      Prog *p = &progs[k];
      double med = median_of (p->wall);
      double cpu = median_of (p->cpu);

      if (k == 0)
        {
          ref = med;
          ref_cpu = cpu;
        }
      printf ("%-38s %7.1f ms %7.1f ms %7.1f ms %7.0f %7.2f %7.2f\n", p->name, med * 1e3,
              min_of (p->wall) * 1e3, cpu * 1e3, bytes / med / 1e6, med / ref, cpu / ref_cpu);
      fprintf (stderr,
               "{\"bench\": \"manifest\", \"scenario\": \"%s\", \"prog\": \"%s\", \"median_ms\": "
               "%.2f, \"min_ms\": %.2f, \"cpu_ms\": %.2f, \"ratio\": %.3f, \"cpu_ratio\": %.3f}\n",
               scenario, p->name, med * 1e3, min_of (p->wall) * 1e3, cpu * 1e3, med / ref,
               cpu / ref_cpu);
      g_array_unref (p->wall);
      g_array_unref (p->cpu);
    }
}

int
main (int argc, char **argv)
{
  const char *dir = "/dev/shm";
  const char *only = "big,small,copy";
  int reps = 5;
  g_autofree char *base = NULL;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--reps") == 0 && i + 1 < argc)
        {
          reps = atoi (argv[++i]);
          reps = MAX (1, reps);
        }
      else if (strcmp (argv[i], "--dir") == 0 && i + 1 < argc)
        dir = argv[++i];
      else if (strcmp (argv[i], "--only") == 0 && i + 1 < argc)
        only = argv[++i];
      else
        {
          fprintf (stderr, "usage: %s [--dir DIR] [--reps N] [--only big,small,copy]\n", argv[0]);
          return 2;
        }
    }
  base = g_strdup_printf ("%s/bench-manifest-%d", dir, (int) getpid ());
  printf ("SHA-256 with %s, %u CPUs, trees in %s\n", _fs_digest_implementation (),
          g_get_num_processors (), dir);

  if (strstr (only, "big") != NULL || strstr (only, "copy") != NULL)
    {
      g_autofree char *root = g_build_filename (base, "big", NULL);
      g_autofree char *copy = g_build_filename (base, "big-copy", NULL);
      g_autoptr (GPtrArray) files = make_tree (root, TRUE);
      Tree t = { root, files, copy };
      double bytes = 8.0 * 64 * 1024 * 1024 + 200.0 * 4096;

      run_build (&t, 2); /* the manifest verify checks against */
      if (strstr (only, "big") != NULL)
        {
          Prog progs[] = {
            { "openssl dgst -sha256 (1 process)", run_openssl },
            { "floor: walk + open/read/EVP/close", run_floor },
            { "floor + fstat + flistxattr", run_floor_metadata },
            { "build manifest, 1 thread", run_build_1 },
            { "build manifest, 2 threads", run_build_2 },
            { "verify, 1 thread", run_verify_1 },
            { "verify, 2 threads", run_verify_2 },
          };
          measure ("8 x 64 MiB + 200 x 4 KiB", &t, progs, G_N_ELEMENTS (progs), reps, bytes);
        }
      if (strstr (only, "copy") != NULL)
        {
          Prog progs[] = {
            { "cp -a + openssl dgst -sha256", run_cp_openssl, remove_copy },
            { "cp -a", run_cp, remove_copy },
            { "copy hashing while copying + manifest", run_copy_hash, remove_copy },
          };
          measure ("copy of 8 x 64 MiB + 200 x 4 KiB with its manifest", &t, progs,
                   G_N_ELEMENTS (progs), reps, bytes);
        }
      g_clear_object (&the_manifest);
      _fs_rm_rf_at (AT_FDCWD, root);
    }

  if (strstr (only, "small") != NULL)
    {
      g_autofree char *root = g_build_filename (base, "small", NULL);
      g_autoptr (GPtrArray) files = make_tree (root, FALSE);
      Tree t = { root, files, NULL };
      Prog progs[] = {
        { "openssl dgst -sha256 (1 process)", run_openssl },
        { "floor: walk + open/read/EVP/close", run_floor },
        { "floor + fstat + flistxattr", run_floor_metadata },
        { "build manifest, 1 thread", run_build_1 },
        { "build manifest, 2 threads", run_build_2 },
        { "verify, 1 thread", run_verify_1 },
        { "verify, 2 threads", run_verify_2 },
      };

      run_build (&t, 2);
      measure ("10,000 x 4 KiB in 100 folders", &t, progs, G_N_ELEMENTS (progs), reps,
               10000.0 * 4096);
      g_clear_object (&the_manifest);
      _fs_rm_rf_at (AT_FDCWD, root);
    }
  _fs_rm_rf_at (AT_FDCWD, base);
  return 0;
}

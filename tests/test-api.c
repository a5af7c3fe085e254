/* test-api.c: the public API, through the shared library only
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * This test links libfscache-1.so and includes only <fscache.h>, like any
 * application: it proves what is exported, and what is not.
 */

/* fs_cache_get_info() is deprecated, and still exported: one call checks it. */
#define FS_DISABLE_DEPRECATION_WARNINGS

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>

#include <fscache.h>

#ifdef FS_CACHE_COMPILATION
#error "test-api must build like an application, without FS_CACHE_COMPILATION"
#endif

#if __SIZEOF_POINTER__ == 8
#define ST_BIND(info) ELF64_ST_BIND (info)
#else
#define ST_BIND(info) ELF32_ST_BIND (info)
#endif

typedef struct {
  char *tmpdir;
  char *cache_dir;
} Fixture;

static void
rm_rf (GFile *file)
{
  g_autoptr (GFileEnumerator) children = NULL;
  g_autoptr (GError) error = NULL;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (children != NULL)
    {
      GFileInfo *info;
      while ((info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
        {
          g_autoptr (GFile) child = g_file_get_child (file, g_file_info_get_name (info));

          rm_rf (child);
          g_object_unref (info);
        }
    }
  g_file_delete (file, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture *fx, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  fx->tmpdir = g_dir_make_tmp ("fscache-api-XXXXXX", &error);
  g_assert_no_error (error);
  fx->cache_dir = g_build_filename (fx->tmpdir, "cache", NULL);
}

static void
fixture_teardown (Fixture *fx, gconstpointer user_data)
{
  g_autoptr (GFile) tmp = g_file_new_for_path (fx->tmpdir);

  rm_rf (tmp);
  g_free (fx->tmpdir);
  g_free (fx->cache_dir);
}

static void
test_end_to_end (Fixture *fx, gconstpointer user_data)
{
  g_autoptr (GFile) dir = g_file_new_for_path (fx->cache_dir);
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheEntry) loaded = NULL;
  g_autoptr (FsCacheEntry) staged = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) payload = NULL;
  g_autoptr (GFile) loaded_payload = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *expected_path = NULL;
  FsCacheCommitStatus status = FS_CACHE_COMMIT_INCOMPATIBLE;
  guint64 used = 0, maximum = 0, size;
  gsize len = 0;

  cache = fs_cache_new ("org.example.Api", dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (FS_IS_CACHE (cache));

  /* a new cache keeps nothing until configured (read with the call of 1.0,
   * deprecated but kept) */
  info = fs_cache_get_info (cache);
  g_assert_true (fs_cache_info_has_version (info));
  g_assert_cmpint (fs_cache_info_get_version (info), ==, FS_CACHE_FORMAT_VERSION);
  g_assert_false (fs_cache_info_has_maximum_size (info));
  g_clear_pointer (&info, fs_cache_info_unref);

  g_assert_true (fs_cache_set_maximum_size (cache, FS_CACHE_SIZE_UNLIMITED, NULL, &error));
  g_assert_no_error (error);
  info = fs_cache_dup_info (cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (fs_cache_info_has_maximum_size (info));
  g_assert_cmpuint (fs_cache_info_get_maximum_size (info), ==, FS_CACHE_SIZE_UNLIMITED);

  /* store */
  entry = fs_cache_store (cache, "hello", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fs_cache_entry_get_kind (entry), ==, FS_CACHE_ENTRY_KIND_STORING);
  g_assert_null (fs_cache_entry_get_name (entry));
  payload = g_file_get_child (fs_cache_entry_get_file (entry), "greeting.txt");
  g_file_replace_contents (payload, "hello, world\n", 13, NULL, FALSE, G_FILE_CREATE_NONE, NULL,
                           NULL, &error);
  g_assert_no_error (error);
  g_assert_true (fs_cache_entry_commit (entry, &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpstr (fs_cache_entry_get_name (entry), ==, "hello");
  g_assert_cmpint (fs_cache_entry_get_kind (entry), ==, FS_CACHE_ENTRY_KIND_LOADED);
  size = fs_cache_entry_get_size (entry);
  g_assert_cmpuint (size, >, 0);
  fs_cache_entry_release (entry);
  g_assert_true (fs_cache_entry_is_released (entry));

  /* load */
  loaded = fs_cache_load (cache, "hello", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fs_cache_entry_get_name (loaded), ==, "hello");
  g_assert_cmpuint (fs_cache_entry_get_size (loaded), ==, size);
  g_assert_nonnull (fs_cache_entry_get_last_used (loaded));
  expected_path = g_build_filename (fx->cache_dir, "objects", "hello", "data", NULL);
  g_assert_cmpstr (fs_cache_entry_get_path (loaded), ==, expected_path);
  loaded_payload = g_file_get_child (fs_cache_entry_get_file (loaded), "greeting.txt");
  g_assert_true (g_file_load_contents (loaded_payload, NULL, &contents, &len, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, "hello, world\n");

  g_assert_true (fs_cache_get_usage (cache, &used, &maximum, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (used, ==, size);
  g_assert_cmpuint (maximum, ==, G_MAXUINT64);

  /* stage */
  staged = fs_cache_stage (cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fs_cache_entry_get_kind (staged), ==, FS_CACHE_ENTRY_KIND_STAGED);
  g_assert_true (g_file_query_exists (fs_cache_entry_get_file (staged), NULL));
  {
    g_autoptr (GFile) stage_dir = g_file_get_parent (fs_cache_entry_get_file (staged));

    fs_cache_entry_release (staged);
    g_assert_false (g_file_query_exists (stage_dir, NULL));
  }

  /* miss */
  {
    g_autoptr (FsCacheEntry) miss = fs_cache_load (cache, "nope", NULL, &error);

    g_assert_null (miss);
    g_assert_true (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS));
    g_clear_error (&error);
  }

  /* boot id */
  g_assert_cmpuint (strlen (fs_cache_get_boot_id (cache)), ==, 32);
  g_assert_cmpstr (fs_cache_get_app_id (cache), ==, "org.example.Api");
  g_assert_true (g_file_equal (fs_cache_get_directory (cache), dir));

  fs_cache_close (cache);
  g_assert_true (fs_cache_is_closed (cache));
}

static void
test_info_boxed (void)
{
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
  g_autoptr (FsCacheInfo) copy = NULL;
  g_autofree char *text = NULL;
  FsCacheInfo *boxed;

  g_assert_false (fs_cache_info_has_maximum_size (info));
  g_assert_false (fs_cache_info_has_version (info));
  g_assert_null (fs_cache_info_get_creation_boot_id (info));

  fs_cache_info_set_maximum_size (info, 42);
  g_assert_true (fs_cache_info_has_maximum_size (info));
  g_assert_cmpuint (fs_cache_info_get_maximum_size (info), ==, 42);
  fs_cache_info_set_version (info, 1);
  g_assert_true (fs_cache_info_has_version (info));
  g_assert_cmpint (fs_cache_info_get_version (info), ==, 1);
  fs_cache_info_set_creation_boot_id (info, "0123456789abcdef0123456789abcdef");
  g_assert_cmpstr (fs_cache_info_get_creation_boot_id (info), ==,
                   "0123456789abcdef0123456789abcdef");

  text = fs_cache_info_to_string (info);
  g_assert_nonnull (text);
  g_assert_nonnull (strstr (text, "maximum-size"));
  g_assert_nonnull (strstr (text, "42"));

  copy = fs_cache_info_copy (info);
  g_assert_true (copy != info);
  g_assert_cmpuint (fs_cache_info_get_maximum_size (copy), ==, 42);
  g_assert_cmpint (fs_cache_info_get_version (copy), ==, 1);
  g_assert_cmpstr (fs_cache_info_get_creation_boot_id (copy), ==,
                   "0123456789abcdef0123456789abcdef");

  /* a copy is independent */
  fs_cache_info_unset_maximum_size (copy);
  g_assert_false (fs_cache_info_has_maximum_size (copy));
  g_assert_true (fs_cache_info_has_maximum_size (info));

  fs_cache_info_set_maximum_size (copy, FS_CACHE_SIZE_UNLIMITED);
  g_assert_cmpuint (fs_cache_info_get_maximum_size (copy), ==, G_MAXUINT64);

  /* boxed type */
  g_assert_true (G_TYPE_IS_BOXED (FS_TYPE_CACHE_INFO));
  boxed = g_boxed_copy (FS_TYPE_CACHE_INFO, info);
  g_assert_cmpuint (fs_cache_info_get_maximum_size (boxed), ==, 42);
  g_boxed_free (FS_TYPE_CACHE_INFO, boxed);

  /* ref/unref */
  g_assert_true (fs_cache_info_ref (info) == info);
  fs_cache_info_unref (info);
}

static void
test_error_quark (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (FS_CACHE_ERROR, !=, 0);
  g_assert_cmpuint (FS_CACHE_ERROR, ==, fs_cache_error_quark ());
  g_assert_nonnull (g_quark_to_string (FS_CACHE_ERROR));

  g_assert_false (fs_cache_name_is_valid ("../x", &error));
  g_assert_true (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INVALID_NAME));
  g_assert_true (fs_cache_name_is_valid ("fine", NULL));
}

static void
assert_nick (GType type, const char *nick, int value)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *v;

  g_assert_true (G_TYPE_IS_ENUM (type));
  v = g_enum_get_value_by_nick (klass, nick);
  g_assert_nonnull (v);
  g_assert_cmpint (v->value, ==, value);
}

static void
assert_flag_nick (GType type, const char *nick, guint value)
{
  g_autoptr (GFlagsClass) klass = g_type_class_ref (type);
  GFlagsValue *v;

  g_assert_true (G_TYPE_IS_FLAGS (type));
  v = g_flags_get_value_by_nick (klass, nick);
  g_assert_nonnull (v);
  g_assert_cmpuint (v->value, ==, value);
}

static void
test_enums (void)
{
  /* Since 1.1 */
  assert_flag_nick (FS_TYPE_CACHE_GC_FLAGS, "dry-run", FS_CACHE_GC_DRY_RUN);
  assert_flag_nick (FS_TYPE_CACHE_GC_FLAGS, "wait-idle", FS_CACHE_GC_WAIT_IDLE);
  g_assert_cmpuint (FS_CACHE_GC_DRY_RUN, ==, FS_CACHE_MAINTENANCE_DRY_RUN);

  assert_nick (FS_TYPE_CACHE_COMMIT_STATUS, "stored", FS_CACHE_COMMIT_STORED);
  assert_nick (FS_TYPE_CACHE_COMMIT_STATUS, "exists", FS_CACHE_COMMIT_EXISTS);
  assert_nick (FS_TYPE_CACHE_COMMIT_STATUS, "too-large", FS_CACHE_COMMIT_TOO_LARGE);
  assert_nick (FS_TYPE_CACHE_COMMIT_STATUS, "no-space", FS_CACHE_COMMIT_NO_SPACE);
  assert_nick (FS_TYPE_CACHE_COMMIT_STATUS, "incompatible", FS_CACHE_COMMIT_INCOMPATIBLE);

  assert_nick (FS_TYPE_CACHE_ENTRY_KIND, "loaded", FS_CACHE_ENTRY_KIND_LOADED);
  assert_nick (FS_TYPE_CACHE_ENTRY_KIND, "storing", FS_CACHE_ENTRY_KIND_STORING);
  assert_nick (FS_TYPE_CACHE_ENTRY_KIND, "staged", FS_CACHE_ENTRY_KIND_STAGED);

  assert_nick (FS_TYPE_CACHE_ERROR, "miss", FS_CACHE_ERROR_MISS);
  assert_nick (FS_TYPE_CACHE_ERROR, "invalid-name", FS_CACHE_ERROR_INVALID_NAME);
  assert_nick (FS_TYPE_CACHE_ERROR, "incompatible", FS_CACHE_ERROR_INCOMPATIBLE);
  assert_nick (FS_TYPE_CACHE_ERROR, "corrupt", FS_CACHE_ERROR_CORRUPT);
  assert_nick (FS_TYPE_CACHE_ERROR, "closed", FS_CACHE_ERROR_CLOSED);
  assert_nick (FS_TYPE_CACHE_ERROR, "busy", FS_CACHE_ERROR_BUSY);
}

static void
test_types (void)
{
  g_autoptr (GTypeClass) cache_type_class = NULL;
  g_autoptr (GTypeClass) entry_type_class = NULL;
  GObjectClass *cache_class;
  GObjectClass *entry_class;
  const char *const entry_props[] = { "name", "kind", "file", "path", "size", "last-used" };

  g_assert_true (g_type_is_a (FS_TYPE_CACHE, G_TYPE_OBJECT));
  g_assert_true (g_type_is_a (FS_TYPE_CACHE, G_TYPE_INITABLE));
  g_assert_true (g_type_is_a (FS_TYPE_CACHE_ENTRY, G_TYPE_OBJECT));
  g_assert_cmpstr (g_type_name (FS_TYPE_CACHE), ==, "FsCache");
  g_assert_cmpstr (g_type_name (FS_TYPE_CACHE_ENTRY), ==, "FsCacheEntry");
  g_assert_cmpstr (g_type_name (FS_TYPE_CACHE_INFO), ==, "FsCacheInfo");

  cache_type_class = g_type_class_ref (FS_TYPE_CACHE);
  cache_class = G_OBJECT_CLASS (cache_type_class);
  g_assert_nonnull (g_object_class_find_property (cache_class, "app-id"));
  g_assert_nonnull (g_object_class_find_property (cache_class, "directory"));
  g_assert_true (g_object_class_find_property (cache_class, "directory")->value_type ==
                 G_TYPE_FILE);

  entry_type_class = g_type_class_ref (FS_TYPE_CACHE_ENTRY);
  entry_class = G_OBJECT_CLASS (entry_type_class);
  for (gsize i = 0; i < G_N_ELEMENTS (entry_props); i++)
    {
      g_test_message ("FsCacheEntry:%s", entry_props[i]);
      g_assert_nonnull (g_object_class_find_property (entry_class, entry_props[i]));
    }
}

static void
test_async_initable (void)
{
  g_assert_true (g_type_is_a (FS_TYPE_CACHE, G_TYPE_ASYNC_INITABLE));
}

static void
test_version_macros (void)
{
  g_assert_true (FS_CACHE_CHECK_VERSION (1, 0, 0));
  g_assert_false (FS_CACHE_CHECK_VERSION (FS_CACHE_MAJOR_VERSION + 1, 0, 0));
  g_assert_cmpuint (strlen (FS_CACHE_VERSION_S), >, 0);
  g_assert_cmpint (FS_CACHE_FORMAT_VERSION, ==, 1);
}

/* Reads the dynamic symbol table of the ELF file at @path: every defined,
 * global or weak symbol. */
static GPtrArray *
exported_symbols (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const ElfW (Ehdr) * eh;
  const ElfW (Shdr) * sh;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, >=, sizeof (ElfW (Ehdr)));
  eh = (const ElfW (Ehdr) *) (const void *) data;
  g_assert_cmpint (memcmp (eh->e_ident, ELFMAG, SELFMAG), ==, 0);
  g_assert_cmpuint (eh->e_shoff + (gsize) eh->e_shnum * sizeof (ElfW (Shdr)), <=, len);
  sh = (const ElfW (Shdr) *) (const void *) (data + eh->e_shoff);

  for (guint i = 0; i < eh->e_shnum; i++)
    {
      const ElfW (Shdr) * strtab;
      const ElfW (Sym) * syms;
      gsize n;

      if (sh[i].sh_type != SHT_DYNSYM)
        continue;
      g_assert_cmpuint (sh[i].sh_link, <, eh->e_shnum);
      strtab = &sh[sh[i].sh_link];
      g_assert_cmpuint (sh[i].sh_offset + sh[i].sh_size, <=, len);
      g_assert_cmpuint (strtab->sh_offset + strtab->sh_size, <=, len);
      syms = (const ElfW (Sym) *) (const void *) (data + sh[i].sh_offset);
      n = sh[i].sh_size / sizeof (ElfW (Sym));

      for (gsize j = 0; j < n; j++)
        {
          int bind = ST_BIND (syms[j].st_info);
          const char *name;

          if (syms[j].st_shndx == SHN_UNDEF || syms[j].st_name == 0)
            continue;
          if (bind != STB_GLOBAL && bind != STB_WEAK)
            continue;
          g_assert_cmpuint (syms[j].st_name, <, strtab->sh_size);
          name = data + strtab->sh_offset + syms[j].st_name;
          g_ptr_array_add (names, g_strdup (name));
        }
    }
  return names;
}

static void
test_exports (void)
{
  const char *const internals[] = {
    "_fs_tree_size_at",        "_fs_lock_fd",   "_fs_unlock_fd",
    "_fs_meta_parse_size",     "_fs_rm_rf_at",  "_fs_path_join",
    "_fs_throw_errno",         "_fs_stats_add", "_fs_pin_set",
    "_fs_flight_load_or_lead",
  };
  const char *const publics[] = {
    "fs_cache_new",
    "fs_cache_new_for_path",
    "fs_cache_load",
    "fs_cache_store",
    "fs_cache_stage",
    "fs_cache_entry_commit",
    "fs_cache_entry_release",
    "fs_cache_error_quark",
    "fs_cache_name_is_valid",
    "fs_cache_info_get_type",
    "fs_cache_commit_status_get_type",
    "fs_cache_compute_boot_id",
    "fs_cache_get_usage",
    "fs_cache_collect_garbage_full",
    "fs_cache_collect_garbage_full_async",
    "fs_cache_collect_garbage_full_finish",
    "fs_cache_gc_flags_get_type",
    "fs_cache_get_stats",
    "fs_cache_get_stats_async",
    "fs_cache_get_stats_finish",
    "fs_cache_zero_stats",
    "fs_cache_zero_stats_async",
    "fs_cache_zero_stats_finish",
    "fs_cache_stats_get_type",
    "fs_cache_stats_get_hits",
    "fs_cache_stats_get_since",
    "fs_cache_pin",
    "fs_cache_pin_async",
    "fs_cache_pin_finish",
    "fs_cache_describe",
    "fs_cache_describe_async",
    "fs_cache_describe_finish",
    "fs_cache_prune_full",
    "fs_cache_prune_full_async",
    "fs_cache_prune_full_finish",
    "fs_cache_prune_outcome_get_type",
    "fs_cache_item_get_pinned",
    "fs_cache_item_get_in_use",
    "fs_cache_item_get_created",
    "fs_cache_item_get_tree_digest",
    "fs_cache_load_or_store",
    "fs_cache_load_or_store_async",
    "fs_cache_load_or_store_finish",
    "fs_cache_load_or_store_full",
    "fs_cache_load_or_store_full_async",
    "fs_cache_load_or_store_full_finish",
    "fs_cache_stats_get_remote_errors",
  };
  const char *const allowed_other[] = { "_init", "_fini", "_edata", "_end", "__bss_start" };
  Dl_info dl = { 0 };
  g_autoptr (GPtrArray) names = NULL;
  guint n_fs = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (publics); i++)
    {
      g_test_message ("public %s", publics[i]);
      g_assert_nonnull (dlsym (RTLD_DEFAULT, publics[i]));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (internals); i++)
    {
      g_test_message ("internal %s", internals[i]);
      g_assert_null (dlsym (RTLD_DEFAULT, internals[i]));
    }

  /* Everything the shared object exports is public API. */
  g_assert_true (dladdr ((void *) fs_cache_new, &dl) != 0);
  g_assert_nonnull (dl.dli_fname);
  g_test_message ("library: %s", dl.dli_fname);
  g_assert_nonnull (strstr (dl.dli_fname, "libfscache-1.so"));

  names = exported_symbols (dl.dli_fname);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];

      if (g_str_has_prefix (name, "fs_"))
        {
          n_fs++;
          continue;
        }
      if (g_strv_contains (allowed_other, name))
        continue;
      g_test_message ("unexpected export: %s", name);
      g_assert_false (g_str_has_prefix (name, "_fs_"));
      g_assert_not_reached ();
    }
  g_assert_cmpuint (n_fs, >=, G_N_ELEMENTS (publics));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/api/end-to-end", Fixture, NULL, fixture_setup, test_end_to_end, fixture_teardown);
  g_test_add_func ("/api/info-boxed", test_info_boxed);
  g_test_add_func ("/api/error-quark", test_error_quark);
  g_test_add_func ("/api/enums", test_enums);
  g_test_add_func ("/api/types", test_types);
  g_test_add_func ("/api/async-initable", test_async_initable);
  g_test_add_func ("/api/version-macros", test_version_macros);
  g_test_add_func ("/api/exports", test_exports);

  return g_test_run ();
}

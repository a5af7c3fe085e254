/* test-fscache.vala: libfscache from Vala, through fscache-1.vapi
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The synchronous API, the asynchronous one with `yield`, and errors caught
 * by domain (FsCache.CacheError is a Vala errordomain). GTest, TAP output.
 */

const string APP_ID = "org.example.FsCacheVala";

string tmpdir;
int counter = 0;

string new_cache_dir () {
  counter++;
  return Path.build_filename (tmpdir, "cache-%d".printf (counter));
}

void write_file (string dir, string name, string text) {
  try {
    FileUtils.set_contents (Path.build_filename (dir, name), text);
  } catch (FileError e) {
    error ("%s", e.message);
  }
}

string read_file (string dir, string name) {
  string text;
  try {
    FileUtils.get_contents (Path.build_filename (dir, name), out text);
  } catch (FileError e) {
    error ("%s", e.message);
  }
  return text;
}

/* Anonymous entries left in objects/, stage/ and journal/. */
uint count_leftovers (string cache_dir) {
  uint n = 0;
  foreach (unowned string sub in new string[] { "objects", "stage", "journal" }) {
    try {
      var dir = Dir.open (Path.build_filename (cache_dir, sub));
      unowned string? name;
      while ((name = dir.read_name ()) != null) {
        if (name.has_prefix ("uuid-"))
          n++;
      }
    } catch (FileError e) {
      /* journal/ may not exist */
    }
  }
  return n;
}

void rm_rf (string path) {
  if (FileUtils.test (path, FileTest.IS_DIR) && !FileUtils.test (path, FileTest.IS_SYMLINK)) {
    try {
      var dir = Dir.open (path);
      unowned string? name;
      while ((name = dir.read_name ()) != null)
        rm_rf (Path.build_filename (path, name));
    } catch (FileError e) {
      error ("%s", e.message);
    }
  }
  FileUtils.remove (path);
}

FsCache.Cache open_unlimited (string dir) throws Error {
  var cache = new FsCache.Cache.for_path (APP_ID, dir);
  cache.set_maximum_size (FsCache.CACHE_SIZE_UNLIMITED);
  return cache;
}

/* ------------------------------------------------------------------------ */
/* synchronous */

void test_sync () {
  var dir = new_cache_dir ();
  try {
    var cache = new FsCache.Cache (APP_ID, File.new_for_path (dir));
    cache.set_maximum_size (FsCache.CACHE_SIZE_UNLIMITED);
    assert_true (cache.dup_info ().get_maximum_size () == FsCache.CACHE_SIZE_UNLIMITED);

    var entry = cache.store ("tree");
    assert_true (entry.get_kind () == FsCache.CacheEntryKind.STORING);
    assert_null (entry.get_name ());
    write_file (entry.get_path (), "file", "hello from vala\n");
    FsCache.CacheCommitStatus status;
    assert_true (entry.commit (out status));
    assert_true (status == FsCache.CacheCommitStatus.STORED);
    assert_cmpstr (entry.get_name (), CompareOperator.EQ, "tree");
    entry.release ();
    assert_true (entry.is_released ());

    var loaded = cache.load ("tree");
    assert_cmpstr (read_file (loaded.get_path (), "file"), CompareOperator.EQ, "hello from vala\n");
    assert_true (loaded.get_kind () == FsCache.CacheEntryKind.LOADED);
    assert_true (loaded.get_size () > 0);
    loaded.release ();

    var staged = cache.stage ();
    var data = staged.get_path ();
    assert_true (FileUtils.test (data, FileTest.IS_DIR));
    staged.release ();
    assert_false (FileUtils.test (data, FileTest.EXISTS));

    var items = cache.list ();
    assert_cmpuint (items.get_n_items (), CompareOperator.EQ, 1);
    var item = (FsCache.CacheItem) items.get_item (0);
    assert_cmpstr (item.get_name (), CompareOperator.EQ, "tree");

    /* a second store of the name: EXISTS, not an error */
    entry = cache.store ("tree");
    assert_true (entry.commit (out status));
    assert_true (status == FsCache.CacheCommitStatus.EXISTS);
    assert_true (entry.is_released ());

    assert_true (cache.remove ("tree"));
    assert_cmpuint (count_leftovers (dir), CompareOperator.EQ, 0);
    cache.close ();
  } catch (Error e) {
    error ("%s", e.message);
  }
}

/* Management: statistics, pins, describe, prune_full, load_or_store. */
void test_manage () {
  var dir = new_cache_dir ();
  try {
    var cache = open_unlimited (dir);
    foreach (unowned string name in new string[] { "a", "b" }) {
      var entry = cache.store (name);
      write_file (entry.get_path (), "file", name);
      FsCache.CacheCommitStatus status;
      assert_true (entry.commit (out status));
      entry.release ();
    }
    cache.load ("a").release ();

    var stats = cache.get_stats ();
    assert_true (stats.get_hits () == 1);
    assert_true (stats.get_stored () == 2);
    assert_true (stats.hit_ratio == 1.0);

    assert_true (cache.pin ("b", true));
    var item = cache.describe ("b");
    assert_true (item.get_pinned ());
    assert_false (item.in_use);

    var pruned = cache.prune_full (0, -1, 0, FsCache.CacheMaintenanceFlags.NONE);
    assert_cmpuint (pruned.get_n_items (), CompareOperator.EQ, 2);
    for (uint i = 0; i < pruned.get_n_items (); i++) {
      var it = (FsCache.CacheItem) pruned.get_item (i);
      assert_true (it.get_prune_outcome () == (it.get_name () == "b"
                                               ? FsCache.CachePruneOutcome.SKIPPED_PINNED
                                               : FsCache.CachePruneOutcome.REMOVED));
    }

    var built = cache.load_or_store ("t", -1);
    assert_true (built.get_kind () == FsCache.CacheEntryKind.STORING);
    write_file (built.get_path (), "file", "t");
    FsCache.CacheCommitStatus status;
    assert_true (built.commit (out status));
    assert_true (status == FsCache.CacheCommitStatus.STORED);
    built.release ();
    var loaded = cache.load_or_store ("t", 0);
    assert_true (loaded.get_kind () == FsCache.CacheEntryKind.LOADED);
    loaded.release ();

    assert_true (cache.zero_stats ());
    assert_true (cache.get_stats ().get_hits () == 0);
    cache.close ();
  } catch (Error e) {
    error ("%s", e.message);
  }
}

void test_sync_errors () {
  var dir = new_cache_dir ();
  FsCache.Cache cache;
  try {
    cache = open_unlimited (dir);
  } catch (Error e) {
    error ("%s", e.message);
  }

  /* a miss, caught by its errordomain code */
  bool missed = false;
  try {
    cache.load ("absent");
  } catch (FsCache.CacheError.MISS e) {
    missed = true;
    assert_true (e.message.contains ("absent"));
  } catch (Error e) {
    error ("wrong error: %s", e.message);
  }
  assert_true (missed);

  /* the same with GLib.Error.matches() */
  try {
    cache.load ("absent");
    assert_not_reached ();
  } catch (Error e) {
    assert_true (e.matches (FsCache.CacheError.quark (), FsCache.CacheError.MISS));
    assert_true (e is FsCache.CacheError.MISS);
    assert_error (e, FsCache.CacheError.quark (), FsCache.CacheError.MISS);
  }

  foreach (unowned string bad in new string[] { "", ".", "..", "a/b", "uuid-x" }) {
    try {
      cache.store (bad);
      assert_not_reached ();
    } catch (Error e) {
      assert_error (e, FsCache.CacheError.quark (), FsCache.CacheError.INVALID_NAME);
    }
  }

  var cancellable = new Cancellable ();
  cancellable.cancel ();
  try {
    cache.stage (cancellable);
    assert_not_reached ();
  } catch (IOError.CANCELLED e) {
  } catch (Error e) {
    error ("wrong error: %s", e.message);
  }

  cache.close ();
  try {
    cache.load ("absent");
    assert_not_reached ();
  } catch (FsCache.CacheError.CLOSED e) {
  } catch (Error e) {
    error ("wrong error: %s", e.message);
  }
  assert_cmpuint (count_leftovers (dir), CompareOperator.EQ, 0);
}

/* ------------------------------------------------------------------------ */
/* asynchronous: each test is an async method run to completion in a loop */

delegate void AsyncBody (AsyncReadyCallback callback);

void run_async (owned AsyncBody body) {
  var loop = new MainLoop ();
  body ((obj, res) => loop.quit ());
  var timeout = Timeout.add_seconds (60, () => {
    error ("timed out");
  });
  loop.run ();
  Source.remove (timeout);
}

async void async_life (string dir) throws Error {
  var cache = yield FsCache.Cache.new_async (APP_ID, File.new_for_path (dir));
  yield cache.set_maximum_size_async (FsCache.CACHE_SIZE_UNLIMITED);

  var entry = yield cache.store_async ("tree");
  write_file (entry.get_path (), "file", "async vala\n");
  FsCache.CacheCommitStatus status;
  yield entry.commit_async (Priority.DEFAULT, null, out status);
  assert_true (status == FsCache.CacheCommitStatus.STORED);
  yield entry.release_async ();

  var loaded = yield cache.load_async ("tree");
  assert_cmpstr (read_file (loaded.get_path (), "file"), CompareOperator.EQ, "async vala\n");
  yield loaded.release_async ();

  var staged = yield cache.stage_async (Priority.LOW);
  var data = staged.get_path ();
  yield staged.release_async ();
  assert_false (FileUtils.test (data, FileTest.EXISTS));

  var items = yield cache.list_async ();
  assert_cmpuint (items.get_n_items (), CompareOperator.EQ, 1);
  uint64 used, maximum;
  yield cache.get_usage_async (Priority.DEFAULT, null, out used, out maximum);
  assert_true (used == ((FsCache.CacheItem) items.get_item (0)).get_size ());
  assert_true (maximum == FsCache.CACHE_SIZE_UNLIMITED);

  /* errors come out of the yield */
  try {
    yield cache.load_async ("absent");
    assert_not_reached ();
  } catch (FsCache.CacheError.MISS e) {
  }
  var cancellable = new Cancellable ();
  cancellable.cancel ();
  try {
    yield cache.store_async ("other", Priority.DEFAULT, cancellable);
    assert_not_reached ();
  } catch (IOError.CANCELLED e) {
  }

  yield cache.remove_async ("tree");
  cache.close ();
}

void test_async () {
  var dir = new_cache_dir ();
  Error? failure = null;
  run_async ((cb) => {
    async_life.begin (dir, (obj, res) => {
      try {
        async_life.end (res);
      } catch (Error e) {
        failure = e;
      }
      cb (obj, res);
    });
  });
  assert_no_error (failure);
  assert_cmpuint (count_leftovers (dir), CompareOperator.EQ, 0);
}

async void store_one (FsCache.Cache cache, string name, out FsCache.CacheCommitStatus status) throws Error {
  var entry = yield cache.store_async (name);
  write_file (entry.get_path (), "file", name);
  yield entry.commit_async (Priority.DEFAULT, null, out status);
  entry.release ();
}

const int N_CONCURRENT = 16;

void test_async_concurrent () {
  var dir = new_cache_dir ();
  FsCache.Cache cache;
  try {
    cache = open_unlimited (dir);
  } catch (Error e) {
    error ("%s", e.message);
  }

  int stored = 0, done = 0;
  var loop = new MainLoop ();
  for (int i = 0; i < N_CONCURRENT; i++) {
    store_one.begin (cache, "entry-%d".printf (i), (obj, res) => {
      try {
        FsCache.CacheCommitStatus status;
        store_one.end (res, out status);
        if (status == FsCache.CacheCommitStatus.STORED)
          stored++;
      } catch (Error e) {
        error ("%s", e.message);
      }
      if (++done == N_CONCURRENT)
        loop.quit ();
    });
  }
  loop.run ();
  assert_cmpint (stored, CompareOperator.EQ, N_CONCURRENT);

  done = 0;
  int hits = 0;
  for (int i = 0; i < N_CONCURRENT; i++) {
    var name = "entry-%d".printf (i);
    cache.load_async.begin (name, Priority.DEFAULT, null, (obj, res) => {
      try {
        var entry = cache.load_async.end (res);
        if (read_file (entry.get_path (), "file") == name)
          hits++;
        entry.release ();
      } catch (Error e) {
        error ("%s", e.message);
      }
      if (++done == N_CONCURRENT)
        loop.quit ();
    });
  }
  loop.run ();
  assert_cmpint (hits, CompareOperator.EQ, N_CONCURRENT);
  assert_cmpuint (count_leftovers (dir), CompareOperator.EQ, 0);
  cache.close ();
}

int main (string[] args) {
  Test.init (ref args);
  try {
    tmpdir = DirUtils.make_tmp ("fscache-vala-XXXXXX");
  } catch (FileError e) {
    error ("%s", e.message);
  }
  Test.add_func ("/vala/sync", test_sync);
  Test.add_func ("/vala/sync-errors", test_sync_errors);
  Test.add_func ("/vala/manage", test_manage);
  Test.add_func ("/vala/async", test_async);
  Test.add_func ("/vala/async-concurrent", test_async_concurrent);
  var ret = Test.run ();
  rm_rf (tmpdir);
  return ret;
}

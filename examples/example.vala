/* example.vala: libfscache from Vala, the quick start
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   valac --pkg fscache-1 examples/example.vala && ./example [CACHE_DIR]
 *
 * Without CACHE_DIR it works in a temporary directory. It builds a tree once,
 * stores it in the cache and gets it back from the cache the second time,
 * with `yield` and the async calls. Exits with status 1 if the second lookup
 * is not a hit.
 */

const string APP_ID = "org.example.QuickStart";

/* Stands for the expensive work whose result is worth caching. */
void build_tree (string dir) throws Error {
  FileUtils.set_contents (Path.build_filename (dir, "hello.txt"), "Hello, cache!\n");
}

string read_tree (string dir) throws Error {
  string text;
  FileUtils.get_contents (Path.build_filename (dir, "hello.txt"), out text);
  return text;
}

/* Returns "hit" or "built" and the content: from the cache if it has @name,
 * else built and stored. */
async string get_tree (FsCache.Cache cache, string name, out string content) throws Error {
  try {
    var entry = yield cache.load_async (name);
    content = read_tree (entry.get_path ());
    entry.release (); /* give the read lock back (dropping it does too) */
    return "hit";
  } catch (FsCache.CacheError.MISS e) {
    /* not in the cache: build it */
  }

  var entry = yield cache.store_async (name);
  build_tree (entry.get_path ());
  content = read_tree (entry.get_path ());
  /* The cache may decline to keep the entry (not an error): the status
   * says what happened. */
  FsCache.CacheCommitStatus status;
  yield entry.commit_async (Priority.DEFAULT, null, out status);
  print ("commit: %s\n", status.to_string ());
  entry.release ();
  return "built";
}

async int run (string dir) throws Error {
  var cache = yield FsCache.Cache.new_async (APP_ID, File.new_for_path (dir));
  /* A new cache has no maximum size and keeps nothing: give it one
   * (FsCache.CACHE_SIZE_UNLIMITED for no limit). */
  yield cache.set_maximum_size_async (64 * 1024 * 1024);

  string how = "";
  for (int attempt = 1; attempt <= 2; attempt++) {
    string content;
    how = yield get_tree (cache, "greeting", out content);
    print ("attempt %d: %s: %s", attempt, how, content);
  }

  /* The synchronous calls exist too. */
  try {
    cache.load ("absent");
  } catch (FsCache.CacheError.MISS e) {
    print ("sync miss: %s\n", e.message);
  }
  var scratch = cache.stage (); /* scratch space, deleted when released */
  build_tree (scratch.get_path ());
  scratch.release ();

  cache.close ();
  return how == "hit" ? 0 : 1;
}

int main (string[] args) {
  Intl.setlocale (); /* messages in the user's language and charset */
  string? tmp = null;
  string dir;
  if (args.length > 1) {
    dir = args[1];
  } else {
    try {
      tmp = DirUtils.make_tmp ("fscache-example-XXXXXX");
    } catch (FileError e) {
      printerr ("%s\n", e.message);
      return 1;
    }
    dir = Path.build_filename (tmp, "cache");
  }

  var loop = new MainLoop ();
  int status = 1;
  run.begin (dir, (obj, res) => {
    try {
      status = run.end (res);
    } catch (Error e) {
      printerr ("error: %s\n", e.message);
    }
    loop.quit ();
  });
  loop.run ();

  if (tmp != null) {
    try {
      Process.spawn_command_line_sync ("rm -rf -- " + Shell.quote (tmp));
    } catch (SpawnError e) {
      printerr ("%s\n", e.message);
    }
  }
  return status;
}

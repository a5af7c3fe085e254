// SPDX-License-Identifier: LGPL-2.1-or-later
//
// libfscache from GJS: the quick start (an ES module).
//
//   gjs -m examples/example.js [CACHE_DIR]
//
// Without CACHE_DIR it works in a temporary directory. It builds a tree once,
// stores it in the cache and gets it back from the cache the second time,
// with the asynchronous calls (promises, through Gio._promisify). Exits with
// status 1 if the second lookup is not a hit.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import FsCache from 'gi://FsCache?version=1';
import System from 'system';

// Make the async calls return promises when no callback is given.
Gio._promisify(FsCache.Cache, 'new_async', 'new_finish');
Gio._promisify(FsCache.Cache.prototype, 'load_async', 'load_finish');
Gio._promisify(FsCache.Cache.prototype, 'store_async', 'store_finish');
Gio._promisify(FsCache.CacheEntry.prototype, 'commit_async', 'commit_finish');

const PRIO = GLib.PRIORITY_DEFAULT;

function buildTree(dir) {
    // Stands for the expensive work whose result is worth caching.
    GLib.file_set_contents(GLib.build_filenamev([dir, 'hello.txt']), 'Hello, cache!\n');
}

function readTree(dir) {
    const [, bytes] = GLib.file_get_contents(GLib.build_filenamev([dir, 'hello.txt']));
    return new TextDecoder().decode(bytes);
}

// Returns [how, content]: from the cache if it has `name`, else built and
// stored.
async function getTree(cache, name) {
    try {
        const entry = await cache.load_async(name, PRIO, null);
        try {
            return ['hit', readTree(entry.get_path())];
        } finally {
            entry.release(); // give the read lock back
        }
    } catch (e) {
        // A miss is FsCache.CacheError.MISS; anything else is a real error.
        if (!(e instanceof GLib.Error && e.matches(FsCache.CacheError, FsCache.CacheError.MISS)))
            throw e;
    }

    const entry = await cache.store_async(name, PRIO, null);
    try {
        buildTree(entry.get_path());
        const content = readTree(entry.get_path());
        // The cache may decline to keep the entry (not an error): the status
        // says what happened. _promisify drops the boolean result: [status].
        const [status] = await entry.commit_async(PRIO, null);
        print(`commit: ${status === FsCache.CacheCommitStatus.STORED ? 'stored' : `declined (${status})`}`);
        return ['built', content];
    } finally {
        entry.release(); // discards the entry if it was not committed
    }
}

const dir = ARGV[0] ?? GLib.build_filenamev([GLib.dir_make_tmp('fscache-example-XXXXXX'), 'cache']);
const cache = await FsCache.Cache.new_async('org.example.QuickStart',
    Gio.File.new_for_path(dir), PRIO, null);
// A new cache has no maximum size and keeps nothing: give it one. (For no
// limit, pass FS_CACHE_SIZE_UNLIMITED as a BigInt: 2n ** 64n - 1n.)
cache.set_maximum_size(64 * 1024 * 1024, null);

let how, content;
for (const attempt of [1, 2]) {
    // eslint-disable-next-line no-await-in-loop
    [how, content] = await getTree(cache, 'greeting');
    print(`attempt ${attempt}: ${how}: ${content.trim()}`);
}

// The synchronous calls exist too; a miss throws a GLib.Error.
try {
    cache.load('absent', null);
} catch (e) {
    print(`sync miss: ${e.matches(FsCache.CacheError, FsCache.CacheError.MISS)}`);
}

cache.close();
if (ARGV.length === 0) {
    // remove the temporary cache
    const tmp = GLib.path_get_dirname(dir);
    GLib.spawn_command_line_sync(`rm -rf -- ${GLib.shell_quote(tmp)}`);
}
System.exit(how === 'hit' ? 0 : 1);

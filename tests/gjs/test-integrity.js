// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The integrity API from GJS (issue 13): a tree stored with store_tree()
// carries a manifest; its entry has the tree digest, reads its manifest,
// and list_differences() returns what differs after a file changed. Run
// with
//
//   gjs -m tests/gjs/test-integrity.js
//
// (meson sets GI_TYPELIB_PATH and LD_LIBRARY_PATH). TAP output.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import FsCache from 'gi://FsCache?version=1';
import System from 'system';

let n = 0;
let failed = 0;

function check(cond, what) {
    n += 1;
    print(`${cond ? 'ok' : 'not ok'} ${n} ${what}`);
    if (!cond)
        failed += 1;
}

const tmp = GLib.dir_make_tmp('fscache-gjs-XXXXXX');
const src = GLib.build_filenamev([tmp, 'src']);
GLib.mkdir_with_parents(src, 0o755);
GLib.file_set_contents(GLib.build_filenamev([src, 'a.txt']), 'alpha\n');

const cache = FsCache.Cache.new_for_path('org.example.FsCacheGjs',
    GLib.build_filenamev([tmp, 'cache']), null);
cache.set_maximum_size(2n ** 64n - 1n, null);
const [stored, status] = cache.store_tree('t', Gio.File.new_for_path(src),
    FsCache.CacheStoreFlags.NONE, null, null);
check(stored && status === FsCache.CacheCommitStatus.STORED, 'store_tree stores the tree');

const entry = cache.load('t', null);
const digest = entry.get_tree_digest();
check(/^[0-9a-f]{64}$/.test(digest), `the entry has a tree digest (${digest})`);
const manifest = entry.read_manifest(null);
check(manifest.get_digest() === digest && manifest.lookup('a.txt').get_sha256() ===
    GLib.compute_checksum_for_string(GLib.ChecksumType.SHA256, 'alpha\n', -1), 'its manifest');
check(entry.list_differences(null, null).get_n_items() === 0, 'intact: no differences');

GLib.file_set_contents(GLib.build_filenamev([entry.get_path(), 'a.txt']), 'alpha!\n');
const differences = entry.list_differences(null, null);
check(differences.get_n_items() === 1 && differences.get_item(0).get_path() === 'a.txt' &&
    differences.get_item(0).get_kind() === FsCache.CacheDifferenceKind.CONTENT,
'a changed file is a content difference');
try {
    entry.verify(null);
    check(false, 'verify fails on a changed file');
} catch (e) {
    check(e.matches(FsCache.cache_error_quark(), FsCache.CacheError.CORRUPT),
        'verify fails on a changed file with CORRUPT');
}
entry.release();
cache.close();
GLib.spawn_command_line_sync(`rm -rf ${GLib.shell_quote(tmp)}`);

print(`1..${n}`);
System.exit(failed > 0 ? 1 : 0);

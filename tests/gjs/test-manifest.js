// SPDX-License-Identifier: LGPL-2.1-or-later
//
// FsCache.CacheManifest from GJS: a manifest loaded from bytes (a seed of
// the fuzzer, tests/fuzz/corpus/fuzz-manifest/small: the tree ., a, b,
// b/c, b/d -> c, e), its nodes through Gio.ListModel, lookup, JSON, and a
// corrupt manifest's error. Run with
//
//   gjs -m tests/gjs/test-manifest.js SRCDIR
//
// (meson sets GI_TYPELIB_PATH and LD_LIBRARY_PATH). TAP output.

import GLib from 'gi://GLib';
import FsCache from 'gi://FsCache?version=1';
import System from 'system';

const srcdir = ARGV[0] ?? '.';
let n = 0;
let failed = 0;

function check(cond, what) {
    n += 1;
    print(`${cond ? 'ok' : 'not ok'} ${n} ${what}`);
    if (!cond)
        failed += 1;
}

const path = GLib.build_filenamev([srcdir, 'tests', 'fuzz', 'corpus', 'fuzz-manifest', 'small']);
const [, data] = GLib.file_get_contents(path);
const manifest = FsCache.CacheManifest.new_from_bytes(new GLib.Bytes(data));

const checksum = GLib.compute_checksum_for_bytes(GLib.ChecksumType.SHA256, new GLib.Bytes(data));
check(manifest.get_digest() === checksum, 'the digest is the SHA-256 of the bytes');
check(manifest.get_n_items() === 6 && manifest.get_n_nodes() === 6, 'six nodes');

const paths = [];
for (let i = 0; i < manifest.get_n_items(); i++)
    paths.push(manifest.get_item(i).get_path());
check(paths.join(' ') === '. a b b/c b/d e', `the nodes in order: ${paths.join(' ')}`);

const a = manifest.lookup('a');
check(a.get_node_type() === FsCache.CacheNodeType.REGULAR, 'a is a regular file');
check(a.get_sha256() === GLib.compute_checksum_for_string(GLib.ChecksumType.SHA256, 'alpha\n', -1),
    'the SHA-256 of a');
check(manifest.lookup('b/d').get_symlink_target() === 'c', 'b/d points to c');
check(manifest.lookup('b').get_mode() === 0o750, 'b has mode 0750');
check(manifest.lookup('nothing') === null, 'no node "nothing"');

const json = JSON.parse(manifest.to_json(false));
check(json.nodes.length === 6 && json.nodes[3].path === 'b/c', 'the JSON form');

try {
    FsCache.CacheManifest.new_from_bytes(new GLib.Bytes(data.slice(0, 100)));
    check(false, 'a truncated manifest is refused');
} catch (e) {
    check(e.matches(FsCache.cache_error_quark(), FsCache.CacheError.CORRUPT),
        'a truncated manifest is refused as corrupt');
}

print(`1..${n}`);
System.exit(failed > 0 ? 1 : 0);

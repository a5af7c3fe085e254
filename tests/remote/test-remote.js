// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The remote tier from GJS, against a real nginx (tests/remote/
// nginx_fixture.py, started here as a program: it prints "PORT PID" and
// stops nginx when its standard input closes): the remote settings of
// FsCacheInfo, push, pull through Gio._promisify() with progress, a load
// that pulls on a miss, FsCacheTransfer. Run with
//
//   gjs -m tests/remote/test-remote.js
//
// (meson sets GI_TYPELIB_PATH, LD_LIBRARY_PATH and FSCACHE_NGINX_FIXTURE).
// TAP output; exit status 77 when nginx is not installed.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import FsCache from 'gi://FsCache?version=1';
import System from 'system';

const APP_ID = 'org.example.FsCacheGjsRemote';
const UNLIMITED = 2n ** 64n - 1n;

Gio._promisify(FsCache.Cache.prototype, 'pull_async', 'pull_finish');
Gio._promisify(FsCache.Cache.prototype, 'push_async', 'push_finish');

let n = 0;
let failed = 0;
function check(cond, what) {
    n += 1;
    print(`${cond ? 'ok' : 'not ok'} ${n} ${what}`);
    if (!cond)
        failed += 1;
}

// ---- the server ----------------------------------------------------------

const tmp = GLib.dir_make_tmp('fscache-gjs-remote-XXXXXX');
const fixture = GLib.getenv('FSCACHE_NGINX_FIXTURE');
const server = Gio.Subprocess.new(['/usr/bin/python3', fixture, 'serve', `${tmp}/nginx`],
    Gio.SubprocessFlags.STDIN_PIPE | Gio.SubprocessFlags.STDOUT_PIPE);
const out = new Gio.DataInputStream({base_stream: server.get_stdout_pipe()});
const [line] = out.read_line_utf8(null);
if (line === null) {
    server.wait(null);
    if (server.get_exit_status() === 77) {
        print('1..0 # SKIP nginx is not installed');
        System.exit(77);
    }
    print('Bail out! the nginx fixture did not start');
    System.exit(1);
}
const url = `http://127.0.0.1:${line.split(' ')[0]}/`;

function openCache(name) {
    const cache = FsCache.Cache.new_for_path(APP_ID, `${tmp}/${name}`, null);
    const info = FsCache.CacheInfo.new();
    info.set_maximum_size(UNLIMITED);
    info.set_remote_url(url);
    cache.set_info(info, null);
    return cache;
}

function rmTree(path) {
    Gio.Subprocess.new(['rm', '-rf', path], Gio.SubprocessFlags.NONE).wait(null);
}

const loop = new GLib.MainLoop(null, false);

async function main() {
    // The settings, through cache.info.
    const a = openCache('a');
    const b = openCache('b');
    const info = b.dup_info(null);
    check(info.get_remote_url() === url, 'the remote URL is read back');
    check(info.get_remote_mode() === FsCache.CacheRemoteMode.READ_WRITE, 'read-write by default');
    check(info.get_remote_connections() === 8 && info.get_remote_timeout() === 30,
        'the default connections and timeout');

    // A stores and pushes.
    const entry = a.store('tree', null);
    const bytes = new Uint8Array(100000).map((_, i) => (i * 7) % 251);
    GLib.mkdir_with_parents(`${entry.get_path()}/sub`, 0o755);
    GLib.file_set_contents(`${entry.get_path()}/sub/data`, bytes);
    GLib.file_set_contents(`${entry.get_path()}/hello`, 'hello from GJS\n');
    const [, status] = entry.commit(null);
    check(status === FsCache.CacheCommitStatus.STORED, 'stored in A');
    const pushed = await a.push_async('tree', GLib.PRIORITY_DEFAULT, null, null);
    check(pushed.get_blobs_sent() === 3 && pushed.blobs_skipped === 0,
        `pushed three blobs (${pushed.get_blobs_sent()})`);
    check(pushed.get_tree_digest() === entry.get_tree_digest(), 'the tree digest of the push');
    entry.release();

    // B pulls, with progress in this main context.
    const seen = [];
    const [pulled, pullStatus] = await b.pull_async('tree', GLib.PRIORITY_DEFAULT, null,
        (current, total) => seen.push([current, total]));
    check(pullStatus === FsCache.CacheCommitStatus.STORED, 'pulled into B');
    check(pulled.get_blobs_received() === 3, 'three blobs received');
    check(pulled.get_tree_digest() === pushed.get_tree_digest(), 'the same tree digest');
    check(seen.length > 0 && seen[seen.length - 1][0] === 100000 + 15,
        `progress up to the total (${JSON.stringify(seen[seen.length - 1])})`);

    // A plain load misses; a remote load pulls.
    const c = openCache('c');
    try {
        c.load('tree', null);
        check(false, 'a plain load misses');
    } catch (e) {
        check(e.matches(FsCache.cache_error_quark(), FsCache.CacheError.MISS), 'a plain load misses');
    }
    const loaded = c.load_full('tree', FsCache.CacheLoadFlags.REMOTE, null);
    const [, text] = GLib.file_get_contents(`${loaded.get_path()}/hello`);
    check(new TextDecoder().decode(text) === 'hello from GJS\n', 'a remote load pulls the entry');
    loaded.release();

    // Read-only: no push.
    const ro = FsCache.CacheInfo.new();
    ro.set_remote_mode(FsCache.CacheRemoteMode.READ_ONLY);
    a.set_info(ro, null);
    try {
        a.push('tree', null, null);
        check(false, 'a read-only remote refuses a push');
    } catch (e) {
        check(e.matches(FsCache.cache_error_quark(), FsCache.CacheError.NO_REMOTE),
            'a read-only remote refuses a push');
    }
}

let exitStatus = 0;
main().catch(e => {
    n += 1;
    failed += 1;
    print(`not ok ${n} ${e}`);
}).finally(() => {
    print(`1..${n}`);
    exitStatus = failed > 0 ? 1 : 0;
    loop.quit();
});
loop.run();
server.get_stdin_pipe().close(null);
server.wait(null);
rmTree(tmp);
System.exit(exitStatus);

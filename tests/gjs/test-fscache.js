// SPDX-License-Identifier: LGPL-2.1-or-later
//
// libfscache from GJS: the synchronous API, the asynchronous API through
// Gio._promisify(), and error matching. An ES module: run with
//
//   gjs -m tests/gjs/test-fscache.js
//
// with GI_TYPELIB_PATH and LD_LIBRARY_PATH pointing at the build folder
// (meson test sets both). Prints one TAP line per test; exits with status 1
// if any test failed.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import FsCache from 'gi://FsCache?version=1';
import System from 'system';

const APP_ID = 'org.example.FsCacheGjs';
const PRIO = GLib.PRIORITY_DEFAULT;
const Status = FsCache.CacheCommitStatus;
const Kind = FsCache.CacheEntryKind;
// FS_CACHE_SIZE_UNLIMITED is G_MAXUINT64, which a JS Number can't hold
// (FsCache.CACHE_SIZE_UNLIMITED reads as 2**64, rounded): pass a BigInt.
const UNLIMITED = 2n ** 64n - 1n;

Gio._promisify(FsCache.Cache, 'new_async', 'new_finish');
for (const m of ['load', 'store', 'stage', 'list', 'remove', 'get_usage', 'set_maximum_size',
    'dup_info', 'get_stats', 'zero_stats', 'pin', 'describe', 'prune_full', 'load_or_store'])
    Gio._promisify(FsCache.Cache.prototype, `${m}_async`, `${m}_finish`);
for (const m of ['commit', 'release'])
    Gio._promisify(FsCache.CacheEntry.prototype, `${m}_async`, `${m}_finish`);

// ---------------------------------------------------------------------------
// a tiny harness

const tests = [];
function test(name, func) {
    tests.push({name, func});
}

class AssertionError extends Error {}

function assert(cond, what = 'assertion failed') {
    if (!cond)
        throw new AssertionError(what);
}

function assertEqual(actual, expected, what = '') {
    if (actual !== expected)
        throw new AssertionError(`${what}: expected ${expected}, got ${actual}`);
}

function assertThrows(func, domain, code, what) {
    try {
        func();
    } catch (e) {
        assert(e instanceof GLib.Error, `${what}: not a GLib.Error: ${e}`);
        assert(e.matches(domain, code), `${what}: wrong error ${e.domain}/${e.code}: ${e.message}`);
        return e;
    }
    throw new AssertionError(`${what}: nothing thrown`);
}

async function assertRejects(promise, domain, code, what) {
    try {
        await promise;
    } catch (e) {
        assert(e instanceof GLib.Error, `${what}: not a GLib.Error: ${e}`);
        assert(e.matches(domain, code), `${what}: wrong error ${e.domain}/${e.code}: ${e.message}`);
        return e;
    }
    throw new AssertionError(`${what}: promise resolved`);
}

const decoder = new TextDecoder();

function writeFile(dir, name, text) {
    GLib.file_set_contents(GLib.build_filenamev([dir, name]), text);
}

function readFile(dir, name) {
    const [, bytes] = GLib.file_get_contents(GLib.build_filenamev([dir, name]));
    return decoder.decode(bytes);
}

function exists(path) {
    return GLib.file_test(path, GLib.FileTest.EXISTS);
}

function listDir(path) {
    const names = [];
    const enumerator = Gio.File.new_for_path(path).enumerate_children('standard::name',
        Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
    for (let info = enumerator.next_file(null); info !== null; info = enumerator.next_file(null))
        names.push(info.get_name());
    enumerator.close(null);
    return names.sort();
}

function leftovers(cacheDir) {
    const found = [];
    for (const sub of ['objects', 'stage', 'journal']) {
        const d = GLib.build_filenamev([cacheDir, sub]);
        if (exists(d))
            found.push(...listDir(d).filter(n => n.startsWith('uuid-')).map(n => `${sub}/${n}`));
    }
    return found;
}

function rmrf(path) {
    const file = Gio.File.new_for_path(path);
    const info = file.query_info('standard::type', Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
    if (info.get_file_type() === Gio.FileType.DIRECTORY) {
        for (const name of listDir(path))
            rmrf(GLib.build_filenamev([path, name]));
    }
    file.delete(null);
}

let tmpdir;
let counter = 0;
function newCacheDir() {
    counter += 1;
    return GLib.build_filenamev([tmpdir, `cache-${counter}`]);
}

function openUnlimited(dir) {
    const cache = FsCache.Cache.new_for_path(APP_ID, dir, null);
    cache.set_maximum_size(UNLIMITED, null);
    return cache;
}

// ---------------------------------------------------------------------------
// synchronous API

test('sync: store, commit, load, stage', () => {
    const dir = newCacheDir();
    const cache = FsCache.Cache.new(APP_ID, Gio.File.new_for_path(dir), null);
    cache.set_maximum_size(UNLIMITED, null);
    assertEqual(readFile(dir, 'cache.info').includes('"unlimited"'), true, 'cache.info says unlimited');

    const entry = cache.store('tree', null);
    assertEqual(entry.get_kind(), Kind.STORING, 'kind');
    assertEqual(entry.get_name(), null, 'anonymous');
    writeFile(entry.get_path(), 'file', 'hello from gjs\n');
    const [ok, status] = entry.commit(null);
    assertEqual(ok, true, 'commit ok');
    assertEqual(status, Status.STORED, 'status');
    assertEqual(entry.get_kind(), Kind.LOADED, 'kind after commit');
    assertEqual(entry.get_name(), 'tree', 'name after commit');
    entry.release();
    assert(entry.is_released(), 'released');

    const loaded = cache.load('tree', null);
    assertEqual(readFile(loaded.get_path(), 'file'), 'hello from gjs\n', 'content');
    assertEqual(loaded.get_file().get_path(), loaded.get_path(), 'file and path');
    assert(loaded.get_size() > 0, 'size');
    assert(loaded.get_last_used() instanceof GLib.DateTime, 'last used');
    loaded.release();

    const staged = cache.stage(null);
    assertEqual(staged.get_kind(), Kind.STAGED, 'staged kind');
    const data = staged.get_path();
    assert(exists(data), 'staged data exists');
    staged.release();
    assert(!exists(data), 'staged data deleted');

    const items = cache.list(null);
    assertEqual(items.get_n_items(), 1, 'one item');
    assertEqual(items.get_item(0).get_name(), 'tree', 'item name');

    assertEqual(cache.remove('tree', null), true, 'remove');
    assertEqual(cache.list(null).get_n_items(), 0, 'no item');
    assertEqual(leftovers(dir).length, 0, `leftovers ${leftovers(dir)}`);
    cache.close();
});

test('sync: commit statuses', () => {
    const dir = newCacheDir();
    // a new cache has no maximum size: nothing is kept
    const cache = FsCache.Cache.new_for_path(APP_ID, dir, null);
    let entry = cache.store('tree', null);
    writeFile(entry.get_path(), 'f', 'x');
    assertEqual(entry.commit(null)[1], Status.TOO_LARGE, 'no maximum size');
    assert(entry.is_released(), 'released after TOO_LARGE');

    cache.set_maximum_size(UNLIMITED, null);
    entry = cache.store('tree', null);
    assertEqual(entry.commit(null)[1], Status.STORED, 'first');
    entry.release();
    entry = cache.store('tree', null);
    assertEqual(entry.commit(null)[1], Status.EXISTS, 'second');
    assertEqual(leftovers(dir).length, 0, 'leftovers');
    cache.close();
});

test('sync: errors', () => {
    const dir = newCacheDir();
    const cache = openUnlimited(dir);

    // a miss: the FsCache.CacheError domain, by enum or by quark
    const e = assertThrows(() => cache.load('absent', null),
        FsCache.CacheError, FsCache.CacheError.MISS, 'miss');
    assert(e.matches(FsCache.cache_error_quark(), FsCache.CacheError.MISS), 'miss by quark');
    assert(!e.matches(FsCache.CacheError, FsCache.CacheError.INVALID_NAME), 'not invalid name');
    assert(e.message.includes('absent'), 'message names the entry');

    for (const bad of ['', '.', '..', 'a/b', 'uuid-x'])
        assertThrows(() => cache.store(bad, null), FsCache.CacheError, FsCache.CacheError.INVALID_NAME, `name '${bad}'`);

    const cancellable = new Gio.Cancellable();
    cancellable.cancel();
    assertThrows(() => cache.load('absent', cancellable), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'cancelled');

    cache.close();
    assertThrows(() => cache.stage(null), FsCache.CacheError, FsCache.CacheError.CLOSED, 'closed');
});

// ---------------------------------------------------------------------------
// asynchronous API

test('async: open, store, commit, load, release', async () => {
    const dir = newCacheDir();
    const cache = await FsCache.Cache.new_async(APP_ID, Gio.File.new_for_path(dir), PRIO, null);
    assert(cache instanceof FsCache.Cache, 'a cache');
    await cache.set_maximum_size_async(UNLIMITED, PRIO, null);

    const entry = await cache.store_async('tree', PRIO, null);
    writeFile(entry.get_path(), 'file', 'async\n');
    // the boolean success flag is dropped by _promisify: [status]
    const [status] = await entry.commit_async(PRIO, null);
    assertEqual(status, Status.STORED, 'status');
    await entry.release_async(PRIO, null);
    assert(entry.is_released(), 'released');

    const loaded = await cache.load_async('tree', PRIO, null);
    assertEqual(readFile(loaded.get_path(), 'file'), 'async\n', 'content');
    await loaded.release_async(PRIO, null);

    const staged = await cache.stage_async(PRIO, null);
    const data = staged.get_path();
    await staged.release_async(PRIO, null);
    assert(!exists(data), 'staged data deleted');

    const items = await cache.list_async(PRIO, null);
    assertEqual(items.get_n_items(), 1, 'one item');
    const [used] = await cache.get_usage_async(PRIO, null);
    assertEqual(used, items.get_item(0).get_size(), 'usage');
    await cache.remove_async('tree', PRIO, null);
    assertEqual(leftovers(dir).length, 0, 'leftovers');
    cache.close();
});

test('async: errors and cancellation', async () => {
    const dir = newCacheDir();
    const cache = openUnlimited(dir);

    const e = await assertRejects(cache.load_async('absent', PRIO, null),
        FsCache.CacheError, FsCache.CacheError.MISS, 'async miss');
    assert(e.matches(FsCache.cache_error_quark(), FsCache.CacheError.MISS), 'by quark');
    await assertRejects(cache.store_async('a/b', PRIO, null),
        FsCache.CacheError, FsCache.CacheError.INVALID_NAME, 'async invalid name');

    const cancellable = new Gio.Cancellable();
    cancellable.cancel();
    await assertRejects(cache.store_async('x', PRIO, cancellable),
        Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'store cancelled before start');
    await assertRejects(cache.stage_async(PRIO, cancellable),
        Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'stage cancelled before start');

    const entry = await cache.store_async('x', PRIO, null);
    await assertRejects(entry.commit_async(PRIO, cancellable),
        Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'commit cancelled before start');
    assert(entry.is_released(), 'a failed commit releases the entry');
    await assertRejects(cache.load_async('x', PRIO, null),
        FsCache.CacheError, FsCache.CacheError.MISS, 'nothing committed');

    // the GC may still hold the results of the cancelled calls; collect them
    System.gc();
    await new Promise(resolve => GLib.idle_add(GLib.PRIORITY_LOW, () => resolve() && false));
    assertEqual(leftovers(dir).join(','), '', 'leftovers');

    cache.close();
    await assertRejects(cache.load_async('x', PRIO, null),
        FsCache.CacheError, FsCache.CacheError.CLOSED, 'closed');
    await assertRejects(FsCache.Cache.new_async(APP_ID,
        Gio.File.new_for_path('/proc/version/cache'), PRIO, null),
    Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_DIRECTORY, 'open below a file');
});

test('async: many concurrent stores and loads', async () => {
    const dir = newCacheDir();
    const cache = openUnlimited(dir);
    const names = Array.from({length: 24}, (_, i) => `entry-${i}`);

    const statuses = await Promise.all(names.map(async name => {
        const entry = await cache.store_async(name, PRIO, null);
        writeFile(entry.get_path(), 'file', name);
        const [status] = await entry.commit_async(PRIO, null);
        entry.release();
        return status;
    }));
    assert(statuses.every(s => s === Status.STORED), `statuses ${statuses}`);

    const loads = names.concat(names, ['absent-1', 'absent-2']).map(async name => {
        try {
            const entry = await cache.load_async(name, PRIO, null);
            const text = readFile(entry.get_path(), 'file');
            entry.release();
            return text === name ? 'hit' : `wrong content ${text} for ${name}`;
        } catch (e) {
            if (e instanceof GLib.Error && e.matches(FsCache.CacheError, FsCache.CacheError.MISS))
                return 'miss';
            throw e;
        }
    });
    const results = await Promise.all(loads);
    assertEqual(results.filter(r => r === 'hit').length, 48, `hits in ${results}`);
    assertEqual(results.filter(r => r === 'miss').length, 2, 'misses');
    assertEqual(listDir(GLib.build_filenamev([dir, 'objects'])).length, 24, 'entries');
    assertEqual(leftovers(dir).length, 0, 'leftovers');
    cache.close();
});

// ---------------------------------------------------------------------------
// management: the configuration, statistics, pins, prune, describe, single
// flight

test('management: dup_info takes a cancellable like its neighbours', async () => {
    const cache = openUnlimited(newCacheDir());
    const info = cache.dup_info(null);
    assertEqual(info.get_maximum_size(), Number(UNLIMITED), 'maximum size');
    const again = await cache.dup_info_async(PRIO, null);
    assertEqual(again.get_version(), 1, 'version');
    const cancellable = new Gio.Cancellable();
    cancellable.cancel();
    assertThrows(() => cache.dup_info(cancellable), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED,
        'dup_info cancelled');
    cache.close();
});

test('management: stats, pins, describe, prune_full', async () => {
    const dir = newCacheDir();
    const cache = openUnlimited(dir);
    for (const name of ['a', 'b', 'c']) {
        const entry = cache.store(name, null);
        writeFile(entry.get_path(), 'f', name.repeat(5000));
        const [, status] = entry.commit(null);
        assertEqual(status, Status.STORED, `commit ${name}`);
        entry.release();
    }
    cache.load('a', null).release();
    assertThrows(() => cache.load('absent', null), FsCache.CacheError, FsCache.CacheError.MISS,
        'miss');

    const stats = await cache.get_stats_async(PRIO, null);
    assertEqual(stats.get_hits(), 1, 'hits');
    assertEqual(stats.get_misses(), 1, 'misses');
    assertEqual(stats.get_stored(), 3, 'stored');
    assertEqual(stats.hit_ratio, 0.5, 'hit ratio');
    assert(stats.get_since() !== null, 'since');

    await cache.pin_async('b', true, PRIO, null);
    const item = await cache.describe_async('b', PRIO, null);
    assertEqual(item.get_pinned(), true, 'pinned');
    assertEqual(item.in_use, false, 'in use');
    assertEqual(cache.describe('a', null).get_name(), 'a', 'described');

    const list = await cache.prune_full_async(0, -1, 0, FsCache.CacheMaintenanceFlags.NONE, PRIO,
        null);
    const outcomes = {};
    for (let i = 0; i < list.get_n_items(); i++) {
        const it = list.get_item(i);
        outcomes[it.get_name()] = it.get_prune_outcome();
    }
    assertEqual(outcomes.b, FsCache.CachePruneOutcome.SKIPPED_PINNED, 'b kept');
    assertEqual(outcomes.a, FsCache.CachePruneOutcome.REMOVED, 'a removed');
    assertEqual(listDir(GLib.build_filenamev([dir, 'objects'])).join(','), 'b', 'left');

    await cache.zero_stats_async(PRIO, null);
    assertEqual(cache.get_stats(null).get_hits(), 0, 'zeroed');
    cache.close();
});

test('management: load_or_store builds once, then loads', async () => {
    const dir = newCacheDir();
    const cache = openUnlimited(dir);
    const entry = await cache.load_or_store_async('t', -1, PRIO, null);
    assertEqual(entry.get_kind(), Kind.STORING, 'a miss: build it');

    const other = FsCache.Cache.new_for_path(APP_ID, dir, null);
    assertThrows(() => other.load_or_store('t', 0, null), Gio.IOErrorEnum,
        Gio.IOErrorEnum.TIMED_OUT, 'another builder holds it');
    const waiting = other.load_or_store_async('t', -1, PRIO, null);

    writeFile(entry.get_path(), 'f', 'built');
    const [status] = await entry.commit_async(PRIO, null);
    assertEqual(status, Status.STORED, 'stored');
    entry.release();
    const loaded = await waiting;
    assertEqual(loaded.get_kind(), Kind.LOADED, 'the waiter loads it');
    assertEqual(readFile(loaded.get_path(), 'f'), 'built', 'content');
    loaded.release();
    other.close();
    cache.close();
});

// ---------------------------------------------------------------------------

async function main() {
    tmpdir = GLib.dir_make_tmp('fscache-gjs-XXXXXX');
    let failed = 0;
    print(`1..${tests.length}`);
    try {
        for (const [i, t] of tests.entries()) {
            try {
                // eslint-disable-next-line no-await-in-loop
                await t.func();
                print(`ok ${i + 1} ${t.name}`);
            } catch (e) {
                failed += 1;
                print(`not ok ${i + 1} ${t.name}`);
                printerr(`# ${t.name}: ${e}\n${e.stack ?? ''}`);
            }
        }
    } finally {
        rmrf(tmpdir);
    }
    return failed;
}

const loop = new GLib.MainLoop(null, false);
let status = 1;
main().then(failed => {
    status = failed > 0 ? 1 : 0;
}, e => {
    logError(e);
}).finally(() => loop.quit());
loop.run();
System.exit(status);

# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject overrides for libfscache (``from gi.repository import FsCache``).

They add what a Python user expects on top of the introspected API, and keep
every introspected call working as before:

- entries are context managers::

      with cache.load("name") as entry:     # released at the end
          ...
      with cache.store("name") as entry:    # committed at the end, then released
          ...                               # (discarded if the block raises)
      print(entry.status)                   # what the commit did
      with cache.stage() as entry:          # discarded at the end
          ...

  and path-like objects (``os.fspath(entry)`` is the entry's data directory);
- a miss (``load``, ``describe``) raises :class:`MissError`, a subclass of
  ``GLib.Error``, so both
  ``except FsCache.MissError`` and ``GLib.Error.matches(FsCache.cache_error_quark(),
  FsCache.CacheError.MISS)`` work;
- ``FsCache.Cache.new(app_id, directory)`` (and ``new_for_path``,
  ``new_async``) take a ``str``, ``bytes``, ``os.PathLike`` or ``Gio.File``;
- ``cancellable`` may be left out of ``load``, ``store``, ``stage`` and
  ``commit`` (PyGObject already lets a trailing nullable argument be left
  out of the other calls);
- a cache is a context manager too: it is closed at the end of the block;
- ``cache.store_tree(name, source)`` and ``entry.export(destination)`` take
  a ``str``, ``bytes``, ``os.PathLike`` or ``Gio.File``, and default their
  flags (and progress) to none;
- ``cache.get_usage()`` returns ``(used, maximum)``, and
  ``cache.get_maximum_size()`` reads the maximum size the setter sets;
- ``FsCache.Cache.name_is_valid(name)`` returns ``False`` for an invalid
  name instead of raising (``check_name()`` raises, with the reason);
- the values of the enums (a commit's ``entry.status``, an entry's kind, a
  prune's outcome) compare equal to their nick: ``entry.status ==
  "stored"``;
- every ``*_async`` method can be awaited from asyncio: left without a
  callback, it returns a coroutine that gives what the ``*_finish`` method
  gives (``entry = await cache.load_async("name")``). Cancelling the asyncio
  task cancels the call. PyGObject 3.42 has no asyncio event loop of its
  own, so the calls complete in a GLib main context that a thread of this
  module runs; the GIO way, with a callback, works as before.
"""

import asyncio
import os
import threading

from gi.repository import Gio, GLib

from ..module import get_introspection_module
from ..overrides import override

FsCache = get_introspection_module("FsCache")

__all__ = []


class MissError(GLib.Error):
    """Raised when an entry is not in the cache.

    ``Cache.load()`` and ``Cache.load_finish()`` raise it instead of a plain
    ``GLib.Error`` when the error is ``FsCache.CacheError.MISS``. It *is* a
    ``GLib.Error`` (domain ``fs-cache-error-quark``, code
    ``FsCache.CacheError.MISS``), so code that catches ``GLib.Error`` and
    calls ``matches()`` keeps working.
    """

    def __repr__(self):
        return "FsCache.MissError(%r, %r, %d)" % (self.message, self.domain, self.code)


__all__.append("MissError")


def _reraise(error):
    """Raises @error again, as MissError if it is a miss."""
    if error.matches(FsCache.cache_error_quark(), FsCache.CacheError.MISS):
        raise MissError(error.message, error.domain, error.code) from None
    raise error


def _to_file(directory):
    """A Gio.File for @directory: a Gio.File, str, bytes or os.PathLike."""
    if isinstance(directory, Gio.File):
        return directory
    if isinstance(directory, (str, bytes, os.PathLike)):
        return Gio.File.new_for_path(os.fspath(directory))
    raise TypeError(
        "directory must be a str, bytes, os.PathLike or Gio.File, not %s"
        % type(directory).__name__
    )


def _enum_eq(self, other):
    if isinstance(other, str):
        return other in (self.value_nick, self.value_name)
    return int.__eq__(self, other)


def _enum_ne(self, other):
    result = _enum_eq(self, other)
    return result if result is NotImplemented else not result


# The values of the enums compare equal to their nick ("stored") and name
# ("FS_CACHE_COMMIT_STORED") as well as to their number.
for _enum in (FsCache.CacheCommitStatus, FsCache.CacheEntryKind, FsCache.CachePruneOutcome):
    _enum.__eq__ = _enum_eq
    _enum.__ne__ = _enum_ne
    _enum.__hash__ = int.__hash__


class _Pump:
    """A thread that runs a GLib main context, for the calls awaited from
    asyncio: an async call started in that thread completes there."""

    _lock = threading.Lock()
    _instance = None

    def __init__(self):
        self.context = GLib.MainContext.new()
        ready = threading.Event()
        thread = threading.Thread(target=self._run, args=(ready,), name="FsCache-asyncio",
                                  daemon=True)
        thread.start()
        ready.wait()

    def _run(self, ready):
        self.context.push_thread_default()
        ready.set()
        while True:
            self.context.iteration(True)

    @classmethod
    def get(cls):
        with cls._lock:
            if cls._instance is None:
                cls._instance = _Pump()
            return cls._instance

    def call(self, func):
        """Runs @func in the pump's thread."""

        def run(*unused):
            func()
            return GLib.SOURCE_REMOVE

        source = GLib.idle_source_new()
        source.set_callback(run)
        source.attach(self.context)


def _release_late(value):
    """An entry nobody awaits any more is released at once."""
    for item in value if isinstance(value, tuple) else (value,):
        if isinstance(item, FsCache.CacheEntry):
            item.release()


def _await_call(start, finish, cancellable):
    """A coroutine for an async call: @start(callback) starts it in the pump's
    thread, @finish(result) finishes it there; the result goes to the asyncio
    loop of the caller."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def deliver(ok, value):
        if future.done():
            if ok:
                _release_late(value)
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def done(source, result, *unused):
        try:
            value = finish(result)
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting task
            loop.call_soon_threadsafe(deliver, False, error.with_traceback(None))
        else:
            loop.call_soon_threadsafe(deliver, True, value)

    _Pump.get().call(lambda: start(done))

    async def wait():
        try:
            return await future
        except asyncio.CancelledError:
            cancellable.cancel()
            raise

    return wait()


def _awaitable(klass, name):
    """The method @name ("load_async") of the introspected @klass, which also
    returns a coroutine when called without a callback."""
    info = getattr(klass, name)
    every = info.get_arguments()
    # PyGObject hides the destroy notifiers of callbacks from Python.
    hidden = {a.get_destroy() for a in every if a.get_destroy() >= 0}
    args = [a for i, a in enumerate(every) if i not in hidden]
    names = [a.get_name() for a in args]
    position = names.index("callback")
    finish_name = name[: -len("_async")] + "_finish"

    def method(self, *given, **kwargs):
        if len(given) > position or "callback" in kwargs:
            return info(self, *given, **kwargs)
        values = list(given)
        cancellable = None
        for arg in args[len(given):position]:
            arg_name = arg.get_name()
            if arg_name in kwargs:
                value = kwargs.pop(arg_name)
            elif arg_name == "io_priority":
                value = GLib.PRIORITY_DEFAULT
            elif arg_name == "cancellable" or arg.may_be_null():
                value = None
            elif arg.get_type().get_tag_as_string() == "interface" and arg_name == "flags":
                value = 0
            else:
                raise TypeError("%s() missing the argument %r" % (name, arg_name))
            values.append(value)
        if kwargs:
            raise TypeError("%s() got unexpected arguments %s" % (name, ", ".join(kwargs)))
        for i, arg_name in enumerate(names[:position]):
            if arg_name in ("source", "destination", "directory"):
                values[i] = _to_file(values[i])
            elif arg_name == "cancellable":
                if values[i] is None:
                    values[i] = Gio.Cancellable()
                cancellable = values[i]
        if cancellable is None:
            cancellable = Gio.Cancellable()
        finish = getattr(self, finish_name)
        return _await_call(lambda done: info(self, *values, done), finish, cancellable)

    method.__name__ = name
    method.__doc__ = (
        "The introspected %s(); without a callback, a coroutine to await that gives "
        "what %s() gives." % (name, finish_name)
    )
    return method


def _to_path(path):
    if isinstance(path, Gio.File):
        return path.get_path()
    if isinstance(path, (str, bytes, os.PathLike)):
        return os.fspath(path)
    raise TypeError(
        "path must be a str, bytes, os.PathLike or Gio.File, not %s" % type(path).__name__
    )


class Cache(FsCache.Cache):
    """A cache of directory trees (see the C documentation of FsCache).

    Open one with ``FsCache.Cache.new(app_id, directory)``. Used as a context
    manager, the cache is closed at the end of the block::

        with FsCache.Cache.new("org.example.App", "/var/cache/app") as cache:
            ...
    """

    @classmethod
    def new(cls, app_id, directory, cancellable=None):
        """Opens (creating it if needed) the cache in @directory.

        @directory may be a ``str``, ``bytes``, ``os.PathLike`` or
        ``Gio.File``. Raises ``GLib.Error`` on failure.
        """
        return super().new(app_id, _to_file(directory), cancellable)

    @classmethod
    def new_for_path(cls, app_id, path, cancellable=None):
        """Like new(), with a path (``str``, ``bytes``, ``os.PathLike``)."""
        return super().new_for_path(app_id, _to_path(path), cancellable)

    @staticmethod
    def new_async(app_id, directory, io_priority=GLib.PRIORITY_DEFAULT, cancellable=None,
                  callback=None, *user_data):
        """Opens the cache without blocking; finish with Cache.new_finish().

        @directory may be a ``str``, ``bytes``, ``os.PathLike`` or
        ``Gio.File``; the other arguments are those of the C call. Without a
        callback, returns a coroutine to await from asyncio, which gives the
        open cache.
        """
        if callback is None:
            cancellable = cancellable if cancellable is not None else Gio.Cancellable()
            return _await_call(
                lambda done: FsCache.Cache.new_async(
                    app_id, _to_file(directory), io_priority, cancellable, done
                ),
                FsCache.Cache.new_finish,
                cancellable,
            )
        return FsCache.Cache.new_async(
            app_id, _to_file(directory), io_priority, cancellable, callback, *user_data
        )

    @staticmethod
    def name_is_valid(name):
        """Whether @name can name an entry: ``True`` or ``False``, never an
        exception (see ``check_name()`` for the reason)."""
        try:
            return FsCache.Cache.name_is_valid(name)
        except GLib.Error:
            return False

    @staticmethod
    def check_name(name):
        """Raises ``GLib.Error`` (``FsCache.CacheError.INVALID_NAME``, with the
        reason) when @name can't name an entry."""
        FsCache.Cache.name_is_valid(name)

    def get_usage(self, cancellable=None):
        """Returns ``(used, maximum)``: the space used by the entries and the
        maximum size (0 when unset, ``FsCache.CACHE_SIZE_UNLIMITED``), in
        bytes. Raises ``GLib.Error`` on failure."""
        ok, used, maximum = super().get_usage(cancellable)
        return used, maximum

    def get_usage_finish(self, result):
        """Finishes get_usage_async(): ``(used, maximum)``."""
        ok, used, maximum = super().get_usage_finish(result)
        return used, maximum

    def get_maximum_size(self, cancellable=None):
        """The maximum size of the cache in bytes, as set_maximum_size() sets
        it: 0 when unset (nothing is kept), ``FsCache.CACHE_SIZE_UNLIMITED``
        when unlimited. Read from ``cache.info``."""
        return self.dup_info(cancellable).get_maximum_size()

    def store_tree(self, name, source, flags=FsCache.CacheStoreFlags.NONE, progress=None,
                   progress_data=None, cancellable=None):
        """Stores a copy (or with ``FsCache.CacheStoreFlags.MOVE``, the tree
        itself) of @source under @name and commits it; returns ``(True,
        status)``. @source may be a ``str``, ``bytes``, ``os.PathLike`` or
        ``Gio.File``; @progress(current, total, progress_data) is called as
        the copy goes."""
        return super().store_tree(name, _to_file(source), flags, progress, progress_data,
                                  cancellable)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()
        return False

    def load(self, name, cancellable=None):
        """Loads the committed entry @name, read-locked.

        Returns a ``CacheEntry``; use it in a ``with`` block (released at the
        end) or call ``release()`` when done. Raises ``FsCache.MissError`` (a
        ``GLib.Error``) when the entry is not in the cache, ``GLib.Error``
        on other failures.
        """
        try:
            return super().load(name, cancellable)
        except GLib.Error as error:
            _reraise(error)

    def load_finish(self, result):
        """Finishes load_async(); raises ``FsCache.MissError`` on a miss."""
        try:
            return super().load_finish(result)
        except GLib.Error as error:
            _reraise(error)

    def describe(self, name, cancellable=None):
        """Describes the committed entry @name (a ``CacheItem``); raises
        ``FsCache.MissError`` when there is none."""
        try:
            return super().describe(name, cancellable)
        except GLib.Error as error:
            _reraise(error)

    def describe_finish(self, result):
        """Finishes describe_async(); raises ``FsCache.MissError`` on a miss."""
        try:
            return super().describe_finish(result)
        except GLib.Error as error:
            _reraise(error)

    def store(self, name, cancellable=None):
        """Starts storing an entry named @name.

        Returns a writable anonymous ``CacheEntry``: fill its directory
        (``entry.get_path()``, or ``os.fspath(entry)``), then either

        - let a ``with`` block end: the entry is committed, then released.
          The commit status (a ``FsCache.CacheCommitStatus``) is in
          ``entry.status`` after the block. A status other than ``STORED``
          (the cache declined to keep the entry: ``EXISTS``, ``TOO_LARGE``,
          ``NO_SPACE``, ``INCOMPATIBLE``) is not an exception, as in C: a
          cache may always decline. A real failure of the commit raises
          ``GLib.Error``. If the block raises, nothing is committed, the
          entry is discarded and the exception propagates. @cancellable, if
          given, also applies to that commit;
        - or call ``entry.commit()`` yourself, which returns ``(True,
          status)`` like the introspected call, and ``release()``.
        """
        entry = super().store(name, cancellable)
        entry._cancellable = cancellable
        return entry

    def stage(self, cancellable=None):
        """Creates a scratch entry, discarded when released.

        Use it in a ``with`` block (discarded at the end) or call
        ``release()``.
        """
        return super().stage(cancellable)


for _name in dir(FsCache.Cache):
    if _name.endswith("_async") and _name != "new_async" and _name not in Cache.__dict__:
        setattr(Cache, _name, _awaitable(FsCache.Cache, _name))

Cache = override(Cache)
__all__.append("Cache")


class CacheEntry(FsCache.CacheEntry):
    """An entry of a cache, holding its lock until released.

    A context manager: at the end of a ``with`` block the entry is released
    (a loaded entry gives its read lock back; a staged entry is discarded);
    an entry from ``Cache.store()`` is first committed if the block ended
    normally (see ``Cache.store()``), and ``status`` then holds the
    ``FsCache.CacheCommitStatus`` of that commit. ``status`` is ``None``
    until the entry is committed.

    ``os.fspath(entry)`` is the entry's data directory, so an entry can be
    used wherever a path is expected (``open(os.path.join(entry, "f"))``,
    ``pathlib.Path(entry)``).
    """

    status = None
    _cancellable = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        try:
            if (
                exc_type is None
                and not self.is_released()
                and self.get_kind() == FsCache.CacheEntryKind.STORING
            ):
                self.commit(self._cancellable)
        finally:
            self.release()
        return False

    def __fspath__(self):
        return self.get_path()

    def commit(self, cancellable=None):
        """Publishes a storing entry under its name.

        Returns ``(True, status)`` like the introspected call and records
        ``status`` in ``self.status``. Raises ``GLib.Error`` on a failure
        (the entry is then released).
        """
        result = super().commit(cancellable)
        self.status = result[1]
        return result

    def commit_finish(self, result):
        """Finishes commit_async(); also records the status in ``self.status``."""
        ret = super().commit_finish(result)
        self.status = ret[1]
        return ret

    def export(self, destination, flags=FsCache.CacheExportFlags.NONE, progress=None,
               progress_data=None, cancellable=None):
        """Copies the entry's tree out to @destination (a new directory: a
        ``str``, ``bytes``, ``os.PathLike`` or ``Gio.File``)."""
        return super().export(_to_file(destination), flags, progress, progress_data, cancellable)


for _name in dir(FsCache.CacheEntry):
    if _name.endswith("_async") and _name not in CacheEntry.__dict__:
        setattr(CacheEntry, _name, _awaitable(FsCache.CacheEntry, _name))

CacheEntry = override(CacheEntry)
__all__.append("CacheEntry")

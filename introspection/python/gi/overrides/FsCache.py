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
- a miss raises :class:`MissError`, a subclass of ``GLib.Error``, so both
  ``except FsCache.MissError`` and ``GLib.Error.matches(FsCache.cache_error_quark(),
  FsCache.CacheError.MISS)`` work;
- ``FsCache.Cache.new(app_id, directory)`` (and ``new_for_path``,
  ``new_async``) take a ``str``, ``bytes``, ``os.PathLike`` or ``Gio.File``;
- ``cancellable`` may be left out of ``load``, ``store``, ``stage`` and
  ``commit`` (PyGObject already lets a trailing nullable argument be left
  out of the other calls);
- a cache is a context manager too: it is closed at the end of the block.
"""

import os

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
    def new_async(app_id, directory, io_priority, cancellable, callback, *user_data):
        """Opens the cache without blocking; finish with Cache.new_finish().

        @directory may be a ``str``, ``bytes``, ``os.PathLike`` or
        ``Gio.File``; the other arguments are those of the C call.
        """
        return FsCache.Cache.new_async(
            app_id, _to_file(directory), io_priority, cancellable, callback, *user_data
        )

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


CacheEntry = override(CacheEntry)
__all__.append("CacheEntry")

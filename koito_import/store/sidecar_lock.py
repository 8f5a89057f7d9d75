"""The import lock of a SQLite database: a file beside it, there only while a run holds it."""

from __future__ import annotations

import fcntl
import os
from contextlib import suppress

from koito_import.core.files import own_like
from koito_import.store.base import StoreError


class SidecarLock:
    """A lock file removed when released. Removing it is safe because it is only ever removed
    by the process holding the lock, and a lock counts only on the file the path names when
    the lock is taken: a process that opened the file just before it was removed gets the lock
    on a file nobody can see, notices (the path names another file, or none), and tries again
    on the new one. Without that check two processes could both think they hold the lock."""

    def __init__(self, path: str, database: str) -> None:
        self.path = path
        self._database = database
        self._fd: int | None = None

    def try_lock(self) -> bool:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise StoreError(f"cannot create the import lock {self.path}: {exc}") from exc
            own_like(self.path, self._database)  # root's lock must not lock Koito's user out
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        if self._names_our_file():
            return True
        self.close()  # locked a file its holder removed meanwhile: open the new one
        return False

    def _names_our_file(self) -> bool:
        assert self._fd is not None
        mine = os.fstat(self._fd)
        try:
            named = os.stat(self.path)
        except FileNotFoundError:
            return False
        return (mine.st_dev, mine.st_ino) == (named.st_dev, named.st_ino)

    def release(self) -> None:
        """Remove the file, then unlock: whoever waits on this file finds it gone."""
        with suppress(FileNotFoundError):
            os.unlink(self.path)
        self.close()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock too
            self._fd = None

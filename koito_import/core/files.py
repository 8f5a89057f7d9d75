"""A SQLite database is a file someone else usually owns: Koito in Docker runs as its own user
on a bind-mounted folder, while cron runs koito-import as root. So: files koito-import creates
beside a database take its owner, group and mode (Koito must still open them), and a database
the running user cannot read or write is one plain line naming who owns it and who runs."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path
from typing import Any

from koito_import.core.dburl import DatabaseChoiceError


class DatabaseAccessError(DatabaseChoiceError):
    """The running user may not read or write the database file or its folder (exit 4)."""


def own_like(path: Path | str, model: Path | str) -> None:
    """Give `path` the owner and group of `model` (the database, or the folder of a new one)
    and its mode (to a file, only its read and write bits), when running as root: without
    root, a file is its creator's and chown is not allowed anyway. Best effort: a file system
    without owners (a FAT stick, some network mounts) refuses, and the file stays as it is."""
    if os.geteuid() != 0:
        return
    try:
        like = os.stat(model)
        here = os.stat(path)
        if (here.st_uid, here.st_gid) != (like.st_uid, like.st_gid):
            os.chown(path, like.st_uid, like.st_gid)
        mode = stat.S_IMODE(like.st_mode)
        if not stat.S_ISDIR(here.st_mode):
            mode &= 0o666  # a folder's x bits make no sense on a file
        if stat.S_IMODE(here.st_mode) != mode:
            os.chmod(path, mode)
    except OSError:
        pass


def check_access(path: Path, shown: str, *, write: bool) -> None:
    """Refuse, in one line, a database file the running user cannot use. SQLite needs more
    than the file: in WAL mode (Koito's) even a reader creates `-shm` (and `-wal`) beside it,
    so the folder must be writable unless they exist and are writable. A missing file is no
    problem here: whether it may be created is the caller's question."""
    folder = path.parent
    try:
        folder.stat()
    except FileNotFoundError:
        return  # the caller says the folder is missing, and how to name one
    except OSError:
        raise DatabaseAccessError(_denied(shown, "open", folder)) from None
    if not _may(folder, os.X_OK):
        raise DatabaseAccessError(_denied(shown, "open", folder, "its folder"))
    if path.exists() and not _may(path, os.R_OK | (os.W_OK if write else 0)):
        raise DatabaseAccessError(_denied(shown, "write to" if write else "read", path, "the file"))
    for sidecar in (Path(f"{path}-shm"), Path(f"{path}-wal")):
        if sidecar.exists() and not _may(sidecar, os.R_OK | os.W_OK):
            raise DatabaseAccessError(_denied(shown, "open", sidecar, "its WAL index"))
    creates = write or not Path(f"{path}-shm").exists()
    if creates and not _may(folder, os.W_OK | os.X_OK):
        why = "" if write else " (SQLite keeps its -shm and -wal files beside it, even to read)"
        raise DatabaseAccessError(_denied(shown, "write to" if write else "open", folder, why=why))


def _may(path: Path, mode: int) -> bool:
    return os.access(path, mode, effective_ids=True)


def _denied(shown: str, verb: str, culprit: Path, what: str = "its folder", why: str = "") -> str:
    me = _name(os.geteuid(), pwd.getpwuid)
    try:
        info = culprit.stat()
    except OSError:  # not even that: its own folder is closed to us
        return f"cannot {verb} {shown}: permission denied; koito-import runs as {me}"
    import grp

    owner = _name(info.st_uid, pwd.getpwuid)
    group = _name(info.st_gid, grp.getgrgid)
    return (
        f"cannot {verb} {shown}{why}: {what}"
        f"{'' if what == 'the file' else ' ' + str(culprit)} is owned by {owner}:{group}"
        f" ({info.st_uid}:{info.st_gid}, mode {stat.S_IMODE(info.st_mode):04o})"
        f" and koito-import runs as {me} (uid {os.geteuid()}); run it as {owner},"
        " or give that user access"
    )


def _name(number: int, look_up: Any) -> str:
    try:
        return str(look_up(number)[0])
    except KeyError:  # a container's user or group unknown to this system
        return str(number)

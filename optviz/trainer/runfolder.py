"""A run folder written whole or not at all.

A run is written into a hidden temporary folder beside the target
(``.NAME.part-XXXX``) and swapped into place only when every file is complete:
an existing folder is renamed aside (``.NAME.old-XXXX``), the new one renamed
in, then the old one deleted; if the swap fails the old one is put back. So a
failure, a full disk or a signal leaves the old run byte for byte as it was,
and no temporary folder behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from optviz import interrupt
from optviz.errors import OptvizError


def check_target(out: str | Path) -> Path:
    """`out` as a Path, if it can be a run folder (a folder or nothing yet)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OptvizError(f"--out {out} is a file; give a folder")
    if out.name in ("", ".", ".."):
        raise OptvizError(f"--out {str(out)!r} must name a folder (not . or ..)")
    for parent in out.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise OptvizError(f"--out {out}: {parent} is a file, not a folder")
            break
    return out


@contextlib.contextmanager
def run_folder(out: str | Path) -> Iterator[Path]:
    """A temporary folder beside `out`; it becomes `out` only if the block succeeds."""
    out = check_target(out).absolute()
    created = _make_parents(out.parent)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.part-", dir=out.parent))
    except BaseException:
        _remove_empty(created)
        raise
    try:
        yield tmp
        interrupt.check()  # a stop swallowed on the way: nothing goes into place
        os.chmod(tmp, _new_folder_mode())  # mkdtemp makes it private (0700)
        with _signals_deferred():
            _swap(tmp, out)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(created)
        if isinstance(err, OSError) and err.filename and _inside(err.filename, tmp):
            # name the file meant, not its temporary twin
            meant = out / Path(err.filename).relative_to(tmp)
            raise OSError(err.errno, err.strerror or str(err), str(meant)) from err
        raise


def _swap(new: Path, out: Path) -> None:
    if not out.exists():
        os.rename(new, out)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rename(out, aside)  # onto an empty folder: allowed by POSIX rename
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(aside, out)
        raise
    shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done (a swap is never half done).

    Only the main thread can set handlers; elsewhere the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    sigs = (signal.SIGINT, signal.SIGTERM)
    old = {s: signal.signal(s, lambda signum, frame: pending.append(signum)) for s in sigs}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
    if pending:  # the run is in place; the stop is still reported
        signal.raise_signal(pending[0])


def _make_parents(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents; the ones created, deepest first."""
    missing = []
    for p in (folder, *folder.parents):
        if p.exists():
            break
        missing.append(p)
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _inside(name: str | os.PathLike, folder: Path) -> bool:
    return Path(name).absolute().is_relative_to(folder)


def _new_folder_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask

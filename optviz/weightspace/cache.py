"""A computed landscape kept as an .npz, keyed by a digest of everything that decides it.

The key covers the request (optimizers, hyperparameters, data set, epochs, seed,
plane, grid, span, ...), the training data's bytes, the network's shape, the
versions of the libraries that compute the numbers and the source of optviz's
modules that do (the trainer and this package); so the same request is drawn
again (another view, size or format) without training or evaluating anything. The
folder is ``landscapes`` in the user's cache folder (``~/.cache/optviz/landscapes``
on Linux), or under ``OPTVIZ_CACHE_DIR``; ``OPTVIZ_CACHE_DIR=off`` turns it off.
Files are written whole or not at all.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

import numpy as np

from optviz.jaxcache import ENV, OFF

FORMAT = 1  # bump when what is stored changes
VERSIONED = ("numpy", "jax", "jaxlib", "optax")
# the code whose changes change the numbers: the trainer and the weight-space package
SOURCES = ("trainer", "weightspace", "optimizers")


def default_folder() -> Path | None:
    """Where landscapes are kept (None: caching is off)."""
    value = os.environ.get(ENV, "").strip()
    if value.lower() == OFF:
        return None
    if value:
        return Path(value).expanduser() / "landscapes"
    import platformdirs

    return Path(platformdirs.user_cache_dir("optviz")) / "landscapes"


def folder_for(cache) -> Path | None:
    """The folder an API call's ``cache=`` argument names: True the default folder,
    False or None no caching, anything else a folder of the caller's."""
    if cache is True:
        return default_folder()
    if cache is False or cache is None:
        return None
    return Path(cache)


def digest(request: dict, arrays: list[np.ndarray]) -> str:
    """SHA-256 of the request (JSON), the library versions and the arrays' bytes."""
    h = hashlib.sha256()
    versions = {name: metadata.version(name) for name in VERSIONED}
    head = {"format": FORMAT, "request": request, "versions": versions}
    h.update(json.dumps(head, sort_keys=True, default=str).encode())
    h.update(_source_digest().encode())
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _source_digest() -> str:
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for name in SOURCES:
        for file in sorted((root / name).glob("*.py")):
            h.update(file.name.encode())
            h.update(file.read_bytes())
    return h.hexdigest()


def load(folder: Path | None, key: str) -> dict[str, np.ndarray] | None:
    """The stored arrays for `key`, or None (no folder, no file, or an unreadable one)."""
    if folder is None:
        return None
    path = folder / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError):
        return None


def store(folder: Path | None, key: str, arrays: dict[str, np.ndarray]) -> Path | None:
    """Keep `arrays` under `key` (atomically); None if caching is off or impossible."""
    if folder is None:
        return None
    from optviz.render.encode import atomic_output

    path = folder / f"{key}.npz"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_output(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)
    except OSError:
        return None
    return path

"""JAX's persistent compilation cache, so the command line starts warm from its second run.

The cache lives in the user's cache folder (`platformdirs.user_cache_dir("optviz")`,
e.g. ``~/.cache/optviz`` on Linux), in a ``jax`` subfolder. The environment
variable ``OPTVIZ_CACHE_DIR`` moves it; ``OPTVIZ_CACHE_DIR=off`` turns it off. A
cache folder that JAX was already given (``JAX_COMPILATION_CACHE_DIR``, or
`jax.config` in this process) is kept as it is.

`enable` never fails: a folder that cannot be created or written leaves the
cache off and optviz compiles as usual. It does not import JAX: before JAX is
imported, the settings go into JAX's own environment variables, which JAX
reads when it loads (so `optviz --help` stays fast).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

ENV = "OPTVIZ_CACHE_DIR"
OFF = "off"
JAX_DIR = "jax_compilation_cache_dir"
# Cache every program, however fast it compiled and however small it is: the
# engine's scans compile in well under JAX's default threshold of one second.
SETTINGS = {
    "jax_persistent_cache_min_compile_time_secs": 0.0,
    "jax_persistent_cache_min_entry_size_bytes": -1,
}


def cache_dir(environ: MutableMapping[str, str] = os.environ) -> Path | None:
    """The folder for JAX's compiled programs, or None if ``OPTVIZ_CACHE_DIR=off``."""
    value = environ.get(ENV, "").strip()
    if value.lower() == OFF:
        return None
    if value:
        return Path(value).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("optviz")) / "jax"


def enable(environ: MutableMapping[str, str] = os.environ) -> Path | None:
    """Turn on JAX's persistent compilation cache; the folder it uses, or None if off.

    environ: where to read ``OPTVIZ_CACHE_DIR`` and, if JAX is not imported
    yet, where to write JAX's settings (the process environment).
    """
    folder = cache_dir(environ)
    if folder is None or _jax_has_a_cache(environ) or not _writable(folder):
        return None
    settings = {JAX_DIR: str(folder), **SETTINGS}
    jax = sys.modules.get("jax")
    if jax is None:
        for name, value in settings.items():
            environ[name.upper()] = str(value)
    else:
        for name, value in settings.items():
            jax.config.update(name, value)
    return folder


def _jax_has_a_cache(environ: MutableMapping[str, str]) -> bool:
    jax = sys.modules.get("jax")
    if jax is not None:
        return bool(getattr(jax.config, JAX_DIR))
    return bool(environ.get(JAX_DIR.upper()))


def _writable(folder: Path) -> bool:
    """Create `folder` (private to the user: the cache holds executable code) and try a write."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return False
    return True

"""Test-session set-up."""

from __future__ import annotations

import os
import shutil
import tempfile

# Several test processes (pytest-xdist workers) may share one GPU: take memory as needed.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # after the setting above

pytest_plugins = ["tests.train_fixtures"]

# One persistent JAX compilation cache for the whole session, in a fresh
# temporary folder: a program that several tests build (through new jit
# objects, a notebook kernel, a command-line subprocess or another pytest-xdist
# worker, which all inherit these variables) compiles once. Every program is
# cached, however small or quick. The process that made the folder removes it.
_SHARED = "OPTVIZ_TESTS_JAX_CACHE"
_OWNER = _SHARED not in os.environ
if _OWNER:
    os.environ[_SHARED] = tempfile.mkdtemp(prefix="optviz-tests-jax-cache-")
_JAX_SETTINGS = {
    "jax_compilation_cache_dir": os.environ[_SHARED],
    "jax_persistent_cache_min_compile_time_secs": 0.0,
    "jax_persistent_cache_min_entry_size_bytes": -1,
}
for _name, _value in _JAX_SETTINGS.items():
    os.environ[_name.upper()] = str(_value)
    jax.config.update(_name, _value)


def pytest_unconfigure(config):
    if _OWNER:
        shutil.rmtree(os.environ[_SHARED], ignore_errors=True)

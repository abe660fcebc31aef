"""The command line's compilation cache: where it goes, how it turns off, never a crash."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import platformdirs

from optviz import jaxcache


def test_the_cache_goes_to_the_user_cache_folder_unless_moved_or_off():
    default = Path(platformdirs.user_cache_dir("optviz")) / "jax"
    assert jaxcache.cache_dir({}) == default
    assert jaxcache.cache_dir({"OPTVIZ_CACHE_DIR": ""}) == default
    assert jaxcache.cache_dir({"OPTVIZ_CACHE_DIR": "/some/where"}) == Path("/some/where")
    assert jaxcache.cache_dir({"OPTVIZ_CACHE_DIR": "~/c"}) == Path.home() / "c"
    assert jaxcache.cache_dir({"OPTVIZ_CACHE_DIR": "off"}) is None
    assert jaxcache.cache_dir({"OPTVIZ_CACHE_DIR": " OFF "}) is None


def test_before_jax_loads_the_settings_go_to_its_environment_variables(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "jax")  # as in a fresh `optviz` process
    env = {"OPTVIZ_CACHE_DIR": str(tmp_path / "cache")}
    assert jaxcache.enable(env) == tmp_path / "cache"
    assert (tmp_path / "cache").is_dir()
    assert env["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "cache")
    assert float(env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]) == 0
    assert int(env["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"]) == -1
    # ... and a cache folder JAX already has is kept
    assert jaxcache.enable({**env, "OPTVIZ_CACHE_DIR": str(tmp_path / "other")}) is None
    assert not (tmp_path / "other").exists()


def test_after_jax_loads_the_settings_go_to_its_config(tmp_path, monkeypatch):
    updates = {}
    config = types.SimpleNamespace(jax_compilation_cache_dir=None, update=updates.__setitem__)
    monkeypatch.setitem(sys.modules, "jax", types.SimpleNamespace(config=config))
    env = {"OPTVIZ_CACHE_DIR": str(tmp_path)}
    assert jaxcache.enable(env) == tmp_path
    assert updates == {
        "jax_compilation_cache_dir": str(tmp_path),
        "jax_persistent_cache_min_compile_time_secs": 0.0,
        "jax_persistent_cache_min_entry_size_bytes": -1,
    }
    assert list(env) == ["OPTVIZ_CACHE_DIR"]  # the environment is left alone
    config.jax_compilation_cache_dir = "/already/set"
    updates.clear()
    assert jaxcache.enable(env) is None and updates == {}


def test_off_or_an_unwritable_folder_leaves_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "jax")
    env = {"OPTVIZ_CACHE_DIR": "off"}
    assert jaxcache.enable(env) is None and list(env) == ["OPTVIZ_CACHE_DIR"]
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {"OPTVIZ_CACHE_DIR": str(blocker / "cache")}  # cannot be created
    assert jaxcache.enable(env) is None and list(env) == ["OPTVIZ_CACHE_DIR"]
    env = {"OPTVIZ_CACHE_DIR": str(blocker)}  # exists, but is no folder
    assert jaxcache.enable(env) is None and list(env) == ["OPTVIZ_CACHE_DIR"]


def optviz_process(args, cwd, cache):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "OPTVIZ_"))}
    env["OPTVIZ_CACHE_DIR"] = str(cache)
    return subprocess.run(
        [sys.executable, "-m", "optviz", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_command_line_fills_the_cache_and_a_second_run_compiles_nothing_new(tmp_path):
    args = ["trajectory", "sgd,adam", "bowl", "--steps", "5"]
    cache = tmp_path / "cache"
    first = optviz_process(args, tmp_path, cache)
    assert first.returncode == 0 and first.stderr == "", first.stderr
    entries = sorted(p.name for p in cache.iterdir())
    assert any(name.startswith("jit_optviz_paths-") for name in entries), entries
    second = optviz_process(args, tmp_path, cache)
    assert second.returncode == 0 and second.stderr == "", second.stderr
    assert second.stdout == first.stdout
    assert sorted(p.name for p in cache.iterdir()) == entries  # every program was found

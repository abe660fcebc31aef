"""The trainer under bad input and faults: every bad argument is one `OptvizError` line
before any work, IDX files are checked while they stream, and a run folder is replaced
whole or not at all (an old run survives any failure or signal byte for byte)."""

from __future__ import annotations

import gzip
import math
import signal
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optviz.errors import OptvizError
from optviz.trainer import train
from optviz.trainer.data import Dataset
from optviz.trainer.idx import IdxError, read_idx, write_idx
from optviz.trainer.model import ACTIVATIONS
from tests.cli_process import run_cli

OLD_RUN = {
    "metrics.jsonl": b'{"kind": "epoch", "optimizer": "sgd"}\n',
    "params_sgd.npz": b"old weights",
    "curves.png": b"old curves",
    "only-in-the-old-run.txt": b"old",
}
NOT_NUMBERS = st.one_of(st.none(), st.booleans(), st.text(max_size=5), st.lists(st.integers()))
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
NEGATIVE = st.floats(max_value=-1e-9)


def UNKNOWN_ACTIVATION(name: str) -> bool:
    return name not in ACTIVATIONS


def old_run(folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in OLD_RUN.items():
        (folder / name).write_bytes(data)
    return snapshot(folder)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name != folder.name)


def tiny_dataset(**changes) -> Dataset:
    rng = np.random.default_rng(0)
    parts = {
        "x_train": rng.uniform(size=(40, 8, 8, 1)).astype(np.float32),
        "y_train": np.arange(40, dtype=np.int32) % 10,
        "x_test": rng.uniform(size=(10, 8, 8, 1)).astype(np.float32),
        "y_test": np.arange(10, dtype=np.int32),
    }
    parts.update(changes)
    return Dataset("tiny", **parts)


@pytest.fixture
def no_training(monkeypatch):
    """Any call that reaches the training loop fails the test: checks come first."""

    def fit(*args, **kwargs):
        raise AssertionError("training started despite a bad argument")

    monkeypatch.setattr("optviz.trainer.loop.fit", fit)


# --- arguments -------------------------------------------------------------------------

BAD_ARGUMENTS = st.one_of(
    st.fixed_dictionaries({"lr": st.fixed_dictionaries({"adam": NON_FINITE | NOT_NUMBERS})}),
    st.fixed_dictionaries({"lr": st.fixed_dictionaries({"adam": st.floats(max_value=0)})}),
    st.fixed_dictionaries({"clip": NON_FINITE | NOT_NUMBERS.filter(lambda v: v is not None)}),
    st.fixed_dictionaries({"clip": st.floats(max_value=0)}),
    st.fixed_dictionaries({"weight_decay": NON_FINITE | NOT_NUMBERS}),
    st.fixed_dictionaries({"weight_decay": st.floats(max_value=-1e-12)}),
    st.fixed_dictionaries({"dropout": NON_FINITE | st.floats(min_value=1) | NEGATIVE}),
    st.fixed_dictionaries({"seed": st.integers(max_value=-1) | st.integers(min_value=2**32)}),
    st.fixed_dictionaries({"seed": st.floats() | NOT_NUMBERS}),
    st.fixed_dictionaries({"epochs": st.integers(max_value=-1) | st.floats() | NOT_NUMBERS}),
    st.fixed_dictionaries({"log_every": st.integers(max_value=0) | st.floats()}),
    st.fixed_dictionaries({"batch_size": st.integers(max_value=0) | st.floats() | st.booleans()}),
    st.fixed_dictionaries({"dataset": st.integers() | st.floats() | st.lists(st.none())}),
    st.fixed_dictionaries({"dataset": st.text(max_size=8).filter(lambda s: s != "digits")}),
    st.fixed_dictionaries({"optimizers": st.sampled_from(["adamm", "sgdd", "", ",", "adam,adam"])}),
    st.fixed_dictionaries({"optimizers": st.integers() | st.none() | st.just({"adam": 1})}),
    st.fixed_dictionaries({"hparams": st.fixed_dictionaries({"adamm": st.just({"b1": 0.9})})}),
    st.fixed_dictionaries({"hparams": st.fixed_dictionaries({"adam": st.dictionaries(
        st.sampled_from(["b1", "b2", "eps", "learning_rate"]), NON_FINITE | NOT_NUMBERS,
        min_size=1,
    )})}),
    st.fixed_dictionaries({"hparams": st.just({"adam": {"bb1": 0.9}}) | st.just({"adam": 3})}),
    st.fixed_dictionaries({"activation": st.text(max_size=6).filter(UNKNOWN_ACTIVATION)}),
    st.fixed_dictionaries({"augment": st.integers() | st.none()}),
    st.fixed_dictionaries({"callback": st.integers() | st.text(max_size=3)}),
)  # fmt: skip


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(bad=BAD_ARGUMENTS)
def test_every_bad_argument_is_one_line_before_any_work(no_training, tmp_path, bad):
    out = tmp_path / "run"
    kwargs = {"optimizers": "sgd,adam", "dataset": tiny_dataset(), "out": out, **bad}
    with pytest.raises(OptvizError) as info:
        train(**kwargs)
    message = str(info.value)
    assert message and "\n" not in message
    assert not out.exists() and siblings(out) == []


def test_misspelt_names_get_close_matches(no_training):
    with pytest.raises(OptvizError, match="did you mean 'adam'"):
        train("sgd,adam", dataset=tiny_dataset(), hparams={"adamm": {"b1": 0.8}})
    with pytest.raises(OptvizError, match="did you mean 'b1'"):
        train("adam", dataset=tiny_dataset(), hparams={"adam": {"bb1": 0.8}})
    with pytest.raises(OptvizError, match=r"seed must be in 0\.\.4294967295, not -1"):
        train("adam", dataset=tiny_dataset(), seed=-1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"x_test": np.zeros((0, 8, 8, 1), np.float32), "y_test": np.zeros(0, np.int32)},
         "tiny test set is empty"),
        ({"x_train": np.zeros((0, 8, 8, 1), np.float32), "y_train": np.zeros(0, np.int32)},
         "tiny train set is empty"),
        ({"y_train": np.arange(40, dtype=np.int32)}, r"labels must be in 0\.\.9, found 0\.\.39"),
        ({"y_test": -np.ones(10, np.int32)}, r"labels must be in 0\.\.9, found -1\.\.-1"),
        ({"y_test": np.zeros(10, np.float32)}, "labels must be whole numbers"),
        ({"x_test": np.full((10, 8, 8, 1), np.nan, np.float32)}, "images must be finite"),
        ({"x_test": np.zeros((10, 6, 6, 1), np.float32)}, "differ in shape"),
    ],
)  # fmt: skip
def test_a_data_set_that_cannot_train_is_refused(no_training, tmp_path, changes, message):
    out = tmp_path / "run"
    with pytest.raises(OptvizError, match=message):
        train("sgd", dataset=tiny_dataset(**changes), out=out)
    assert not out.exists()


def test_cli_rejects_non_finite_numbers_before_any_work(tmp_path):
    from optviz.cli.app import main

    out = tmp_path / "run"
    before = old_run(out)
    for args in (["--lr", "adam=nan"], ["--clip", "nan"], ["--weight-decay", "inf"],
                 ["--weight-decay", "-1"], ["--seed", "-1"], ["--seed", str(2**40)],
                 ["--optimizers", "adamm"]):  # fmt: skip
        with pytest.raises(SystemExit) as exit_info:
            main(["train", "--optimizers", "adam", *args, "--out", str(out), "--quiet"])
        assert exit_info.value.code == 2, args
        assert snapshot(out) == before and siblings(out) == []


# --- the run folder --------------------------------------------------------------------


def test_a_run_that_fails_midway_leaves_the_old_run(monkeypatch, tmp_path):
    out = tmp_path / "run"
    before = old_run(out)

    def fit(*args, log=None, **kwargs):
        log.write({"kind": "epoch"})  # the new metrics file exists, half written
        raise RuntimeError("a fault during training")

    monkeypatch.setattr("optviz.trainer.loop.fit", fit)
    with pytest.raises(RuntimeError, match="a fault during training"):
        train("sgd", dataset=tiny_dataset(), out=out)
    assert snapshot(out) == before
    assert siblings(out) == []


def test_a_finished_run_replaces_the_old_one_whole(small_digits, tmp_path):
    out = tmp_path / "deep" / "run"
    old_run(out)
    result = train("sgd", dataset=small_digits, epochs=0, batch_size=16, out=out, plots=False)
    assert sorted(snapshot(out)) == ["metrics.jsonl", "params_sgd.npz"]
    assert result.curves["sgd"].epoch == [0]
    assert siblings(out) == []


def test_an_unwritable_file_is_named_by_its_place_in_the_run(monkeypatch, small_digits, tmp_path):
    out = tmp_path / "run"
    before = old_run(out)

    def save(path, *args):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr("optviz.trainer.api.save_params", save)
    with pytest.raises(OSError) as info:
        train("sgd", dataset=small_digits, epochs=0, batch_size=16, out=out, plots=False)
    assert info.value.filename == str((out / "params_sgd.npz").absolute())
    assert snapshot(out) == before and siblings(out) == []


def test_layers_bad_input_is_one_line_and_writes_nothing(capsys, tmp_path):
    from optviz.cli.app import main

    not_params = tmp_path / "not.npz"
    not_params.write_bytes(b"PK not a zip")
    png, txt = str(tmp_path / "x.png"), str(tmp_path / "x.txt")
    cases = [
        (["--channels", "-3", "--out", png], "--channels must be a positive"),
        (["--out", txt], "must be a .png file"),
        (["--params", str(not_params), "--out", png], "is not a parameter file"),
    ]
    for args, message in cases:
        with pytest.raises(SystemExit) as info:
            main(["layers", *args])
        err = capsys.readouterr().err
        assert info.value.code == 2 and message in err and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not.npz"]


# --- IDX files -------------------------------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_a_bad_deflate_stream_is_one_line(tmp_path):
    path = tmp_path / "bad.gz"
    good = gzip.compress(idx_bytes(np.arange(60, dtype=np.uint8).reshape(3, 4, 5)), mtime=0)
    path.write_bytes(good[:10] + b"\xff" * 40)  # a valid gzip header, then no deflate stream
    with pytest.raises(IdxError, match=f"{path.name}: damaged gzip data"):
        read_idx(path)


def test_dimensions_whose_product_overflows_int64_are_refused(tmp_path):
    path = tmp_path / "huge"
    path.write_bytes(bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 2**31, 2**31, 4))
    with pytest.raises(IdxError, match=r"\(2147483648, 2147483648, 4\) \(18,446,744,073"):
        read_idx(path)


def test_a_gzip_bomb_is_refused_from_its_header(tmp_path):
    """A header claiming 4 GB before 1 MB of zeros: refused without decompressing them."""
    path = tmp_path / "bomb.gz"
    header = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 4000, 1000, 1000)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    path.write_bytes(packer.compress(header + bytes(2**20)) + packer.flush())
    with pytest.raises(IdxError, match=r"more than the [\d,]+ bytes allowed"):
        read_idx(path, limit=10**9)
    with pytest.raises(IdxError, match="more than the 100 bytes allowed"):
        read_idx(path, limit=100)


def test_data_after_the_array_is_refused(tmp_path):
    path = tmp_path / "long"
    path.write_bytes(idx_bytes(np.zeros((2, 2), np.uint8)) + b"x")
    with pytest.raises(IdxError, match="data continues after the 4 bytes"):
        read_idx(path)


@settings(max_examples=80, deadline=None)
@given(data=st.binary(max_size=64), gz=st.booleans())
def test_random_bytes_are_an_error_or_an_array(tmp_path_factory, data, gz):
    path = tmp_path_factory.mktemp("idx") / "random"
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    try:
        array = read_idx(path, limit=10**6)
    except IdxError as err:
        assert "\n" not in str(err) and str(path) in str(err)
        return
    assert array.nbytes == len(data) - 4 - 4 * array.ndim  # the header's shape, all the data


REAL = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)


@settings(max_examples=80, deadline=None)
@given(gz=st.booleans(), cut=st.integers(min_value=0), flip=st.integers(min_value=0),
       bit=st.integers(min_value=0, max_value=7), truncate=st.booleans())  # fmt: skip
def test_damaged_real_files_are_an_error_or_the_array(
    tmp_path_factory, gz, cut, flip, bit, truncate
):
    path = write_idx(tmp_path_factory.mktemp("idx") / ("a.gz" if gz else "a"), REAL)
    raw = bytearray(path.read_bytes())
    if truncate:
        raw = raw[: cut % len(raw)]
    else:
        raw[flip % len(raw)] ^= 1 << bit
    path.write_bytes(bytes(raw))
    try:
        array = read_idx(path, limit=10**6)
    except IdxError as err:
        assert "\n" not in str(err) and str(path) in str(err)
        return
    assert not truncate  # every truncation is noticed
    if gz:  # gzip's CRC-32 catches any change to the data: what is read is the original
        np.testing.assert_array_equal(array, REAL)
    else:  # a changed data byte reads as data: the header's shape, a byte differing
        assert array.shape == REAL.shape and np.sum(array != REAL) <= 1


# --- faults from outside, on the real command ------------------------------------------

TRAIN = ["train", "--optimizers", "sgd", "--epochs", "2", "--batch-size", "64", "-q"]
# The full-disk test is about the run folder: the sharpness program (a long compile,
# the cache being off there) adds nothing to it.
DISK_FULL_TRAIN = [*TRAIN, "--no-sharpness"]


def one_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("optviz: "), stderr
    return lines[0]


def test_a_full_disk_keeps_the_old_run(tmp_path):
    out = tmp_path / "run"
    before = old_run(out)
    proc = run_cli([*DISK_FULL_TRAIN, "--out", "run"], tmp_path, blocks=40)  # 20 KB or 40 KB a file
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    assert f"cannot write {out.absolute()}/" in one_line(err)
    assert snapshot(out) == before and siblings(out) == []


# Each signal once, each at another moment (the handler is the same for both).
@pytest.mark.parametrize(
    ("sig", "delay"),
    [(signal.SIGINT, 2.0), (signal.SIGTERM, 6.0)],
    ids=["SIGINT-early", "SIGTERM-late"],
)
def test_a_signal_keeps_the_old_run_or_puts_a_whole_new_one(tmp_path, sig, delay):
    out = tmp_path / "run"
    before = old_run(out)
    proc = run_cli([*TRAIN, "--out", "run"], tmp_path)
    time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=300)
    assert siblings(out) == []
    if proc.returncode == -sig and snapshot(out) == before:
        return  # it came before optviz had started (or after it ended): nothing changed
    if proc.returncode in (0, -sig):  # it finished first: the new run is whole
        assert sorted(snapshot(out)) == [
            "curves.gif", "curves.png", "metrics.jsonl", "params_sgd.npz"
        ]  # fmt: skip
        return
    assert proc.returncode == 128 + sig, err
    one_line(err)
    assert snapshot(out) == before

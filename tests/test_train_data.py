"""IDX files, checksums and the offline downloader, on small files written here."""

import gzip
import hashlib
import struct

import numpy as np
import pytest

from optviz.errors import OptvizError, UnknownNameError
from optviz.trainer import download as dl
from optviz.trainer.data import epoch_batches, load, load_idx_dataset, parse_batch_size
from optviz.trainer.idx import IdxError, read_idx, write_idx


def raw_idx(array: np.ndarray, code: int) -> bytes:
    """IDX bytes by the format's definition (independent of write_idx)."""
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_uint8_images(tmp_path, gz):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = raw_idx(images, 0x08)
    path = tmp_path / ("x.gz" if gz else "x")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    got = read_idx(path)
    assert got.shape == (2, 3, 4)
    np.testing.assert_array_equal(got, images)


def test_read_idx_big_endian_int32_and_float(tmp_path):
    ints = np.array([1, -2, 70000], dtype=np.int32)
    (tmp_path / "i").write_bytes(raw_idx(ints, 0x0C))
    np.testing.assert_array_equal(read_idx(tmp_path / "i"), ints)
    floats = np.array([[1.5, -2.25]], dtype=np.float64)
    (tmp_path / "f").write_bytes(raw_idx(floats, 0x0E))
    np.testing.assert_array_equal(read_idx(tmp_path / "f"), floats)


def test_write_idx_round_trip(tmp_path):
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    path = write_idx(tmp_path / "labels.gz", labels)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(path.read_bytes()) == raw_idx(labels, 0x08)
    np.testing.assert_array_equal(read_idx(path), labels)


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(IdxError, match="magic"):
        read_idx(tmp_path / "bad")
    good = raw_idx(np.zeros((4, 2), np.uint8), 0x08)
    (tmp_path / "short").write_bytes(good[:-1])
    with pytest.raises(IdxError, match="header says"):
        read_idx(tmp_path / "short")


def write_fake_mnist(folder, n_train=6, n_test=4, gz=True, side=28):
    rng = np.random.default_rng(0)
    folder.mkdir(exist_ok=True)
    files = {}
    for key, name in dl.FILES.items():
        n = n_train if key.startswith("train") else n_test
        if key.endswith("images"):
            array, code = rng.integers(0, 256, (n, side, side)).astype(np.uint8), 0x08
        else:
            array, code = rng.integers(0, 10, n).astype(np.uint8), 0x08
        raw = raw_idx(array, code)
        path = folder / (name if gz else name.removesuffix(".gz"))
        path.write_bytes(gzip.compress(raw) if gz else raw)
        files[name] = path
    return files


@pytest.mark.parametrize("gz", [True, False])
def test_load_idx_dataset(tmp_path, gz):
    write_fake_mnist(tmp_path / "m", gz=gz)
    data = load_idx_dataset("mnist", tmp_path / "m")
    assert data.x_train.shape == (6, 28, 28, 1) and data.x_test.shape == (4, 28, 28, 1)
    assert (
        data.x_train.dtype == np.float32 and 0.0 <= data.x_train.min() <= data.x_train.max() <= 1.0
    )
    assert data.y_train.dtype == np.int32


def test_missing_data_dir_and_files(tmp_path):
    with pytest.raises(OptvizError, match="does not exist"):
        load("mnist", tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(OptvizError, match="--download"):
        load("fashion-mnist", tmp_path / "empty")
    with pytest.raises(OptvizError, match="--data-dir"):
        load("mnist", None)
    with pytest.raises(UnknownNameError, match="did you mean 'mnist'"):
        load("mnsit")


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_checksum_mismatch_raises(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"hello")
    dl.verify(path, hashlib.sha256(b"hello").hexdigest())
    with pytest.raises(dl.ChecksumError, match="does not match"):
        dl.verify(path, "0" * 64)


def test_download_from_file_url_verifies_and_caches(tmp_path):
    mirror = write_fake_mnist(tmp_path / "mirror")
    sums = {name: sha(p) for name, p in mirror.items()}
    dest = tmp_path / "data"
    paths = dl.download("mnist", dest, base_url=(tmp_path / "mirror").as_uri(), checksums=sums)
    assert {p.name for p in paths.values()} == set(sums)
    assert load_idx_dataset("mnist", dest).x_train.shape == (6, 28, 28, 1)

    def no_network(url, path):
        raise AssertionError("cached files must not be fetched again")

    dl.download("mnist", dest, checksums=sums, fetch=no_network)


def test_download_bad_checksum_leaves_nothing(tmp_path):
    def fetch(url, path):
        path.write_bytes(b"not the file")

    with pytest.raises(dl.ChecksumError):
        dl.download("fashion-mnist", tmp_path, fetch=fetch)
    assert list(tmp_path.iterdir()) == []


def test_published_checksums_are_well_formed():
    for source in dl.SOURCES.values():
        assert set(source["sha256"]) == set(dl.FILES.values())
        assert all(len(s) == 64 and int(s, 16) >= 0 for s in source["sha256"].values())


def test_digits_split_is_deterministic_and_disjoint(digits):
    a, b = digits, load("digits")
    np.testing.assert_array_equal(a.x_test, b.x_test)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert len(a.x_train) + len(a.x_test) == 1797
    assert a.x_train.shape[1:] == (8, 8, 1)
    train_rows = {r.tobytes() for r in a.x_train}
    overlap = sum(r.tobytes() in train_rows for r in a.x_test)
    assert overlap < 5  # the digits set has a few exact duplicate images, no shared rows
    assert set(np.unique(a.y_test)) == set(range(10))


def test_bundled_digits_are_the_published_uci_test_set():
    """Oracles from the data set's own description (UCI "Optical Recognition of
    Handwritten Digits", file optdigits.tes): 1797 images of 8x8 counts 0..16, this
    many of each digit, and its first row as printed there."""
    from optviz.trainer.data import DIGITS_FILE

    with np.load(DIGITS_FILE) as stored:
        images, labels = stored["images"], stored["labels"]
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.min() == 0 and images.max() == 16
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    first = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0]
    assert images[0].ravel()[:24].tolist() == first and labels[0] == 0
    data = load("digits")  # scaled to [0, 1] exactly: k / 16 is a float32
    pixels = np.concatenate([data.x_train.ravel(), data.x_test.ravel()])
    assert set(np.unique(pixels * 16).tolist()) == set(range(17))


def test_parse_batch_size():
    assert parse_batch_size("full", 100) == 100
    assert parse_batch_size("1", 100) == 1
    assert parse_batch_size(32, 100) == 32
    for bad in ["0", "-3", "abc", "101"]:
        with pytest.raises(OptvizError):
            parse_batch_size(bad, 100)


def test_epoch_batches_cover_without_repeats():
    batches = epoch_batches(10, 3, np.random.default_rng(0))
    assert batches.shape == (3, 3)
    assert len(set(batches.ravel())) == 9

"""Datasets for the trainer: the bundled 8x8 digits, or MNIST-style IDX files.

Images come out as float32 NHWC arrays in [0, 1], labels as int32. The test
set is always kept apart from the training set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optviz.errors import OptvizError, UnknownNameError
from optviz.trainer.download import FILES, download
from optviz.trainer.idx import read_idx

DATASETS = ("digits", "mnist", "fashion-mnist")
DIGITS_FILE = Path(__file__).with_name("digits.npz")  # uint8 images (1797, 8, 8), labels


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int = 10

    @property
    def image_shape(self) -> tuple[int, int]:
        return tuple(self.x_train.shape[1:3])

    def take(self, n_train: int | None = None, n_test: int | None = None) -> Dataset:
        """The first n examples of each split (for quick runs and tests)."""
        return Dataset(
            self.name,
            self.x_train[:n_train],
            self.y_train[:n_train],
            self.x_test[:n_test],
            self.y_test[:n_test],
            self.n_classes,
        )


def _stratified_split(y: np.ndarray, test_fraction: float, seed: int) -> tuple:
    """Indices of a per-class shuffled split: same classes mix in train and test."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_test = round(len(idx) * test_fraction)
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def load_digits(test_fraction: float = 0.2, split_seed: int = 0) -> Dataset:
    """The 8x8 handwritten digits bundled with optviz (1797 images), split
    deterministically: the test set of Alpaydin & Kaynak's "Optical Recognition of
    Handwritten Digits" (UCI Machine Learning Repository, 1998, CC BY 4.0,
    doi:10.24432/C50P49), pixels 0..16, in the order scikit-learn ships it."""
    with np.load(DIGITS_FILE) as stored:
        images, labels = stored["images"], stored["labels"]
    x = (images / np.float32(16.0)).astype(np.float32)[..., None]
    y = labels.astype(np.int32)
    train, test = _stratified_split(y, test_fraction, split_seed)
    return Dataset("digits", x[train], y[train], x[test], y[test])


def load_idx_dataset(name: str, data_dir: str | Path) -> Dataset:
    """MNIST or Fashion-MNIST from the four standard IDX files (``.gz`` or unpacked)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise OptvizError(f"data directory {str(data_dir)!r} does not exist")
    arrays = {}
    for key, gz_name in FILES.items():
        candidates = [data_dir / gz_name, data_dir / gz_name.removesuffix(".gz")]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            raise OptvizError(
                f"{data_dir} has no {gz_name} (or unpacked {candidates[1].name}); "
                "pass --download to fetch it"
            )
        arrays[key] = read_idx(found)
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.shape != images.shape[:1]:
            raise OptvizError(
                f"{name} {split}: images {images.shape} and labels {labels.shape} do not match"
            )

    def images(a):
        return (a.astype(np.float32) / 255.0)[..., None]

    return Dataset(
        name,
        images(arrays["train_images"]),
        arrays["train_labels"].astype(np.int32),
        images(arrays["test_images"]),
        arrays["test_labels"].astype(np.int32),
    )


def load(name: str = "digits", data_dir: str | Path | None = None, *, fetch: bool = False):
    """A dataset by name; MNIST-style sets read from ``data_dir`` (fetched if ``fetch``)."""
    if name not in DATASETS:
        raise UnknownNameError("dataset", name, DATASETS)
    if name == "digits":
        return load_digits()
    if data_dir is None:
        raise OptvizError(f"dataset {name!r} needs --data-dir (a folder with its IDX files)")
    if fetch:
        download(name, data_dir)
    return load_idx_dataset(name, data_dir)


def parse_batch_size(value: int | str, n_train: int) -> int:
    """1 = online learning, N = mini-batch, 'full' = batch learning (all of the training set)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("full", "batch", "all"):
            return n_train
        try:
            value = int(text)
        except ValueError:
            raise OptvizError(
                f"batch size must be a positive integer or 'full', not {value!r}"
            ) from None
    if not 1 <= value:
        raise OptvizError(f"batch size must be at least 1, not {value}")
    if value > n_train:
        raise OptvizError(f"batch size {value} exceeds the {n_train} training examples")
    return int(value)


def epoch_batches(n_train: int, batch_size: int, rng: np.random.Generator) -> np.ndarray:
    """(steps, batch_size) example indices: one shuffled pass, the last partial batch dropped."""
    steps = n_train // batch_size
    return rng.permutation(n_train)[: steps * batch_size].reshape(steps, batch_size)

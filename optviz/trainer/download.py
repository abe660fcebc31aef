"""Fetch MNIST / Fashion-MNIST IDX files on request, verified by SHA-256.

Nothing here runs unless a user asks for it (``optviz train --download``).
Files are cached in the data directory: a file already there with the right
checksum is not fetched again; a file with the wrong checksum is an error.
"""

from __future__ import annotations

import hashlib
import shutil
import urllib.request
from collections.abc import Callable
from pathlib import Path

from optviz.errors import OptvizError

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

SOURCES = {
    "mnist": {
        "url": "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "sha256": {
            "train-images-idx3-ubyte.gz": (
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
            ),
            "train-labels-idx1-ubyte.gz": (
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
            ),
            "t10k-images-idx3-ubyte.gz": (
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
            ),
            "t10k-labels-idx1-ubyte.gz": (
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
            ),
        },
    },
    "fashion-mnist": {
        "url": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "sha256": {
            "train-images-idx3-ubyte.gz": (
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
            ),
            "train-labels-idx1-ubyte.gz": (
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"
            ),
            "t10k-images-idx3-ubyte.gz": (
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"
            ),
            "t10k-labels-idx1-ubyte.gz": (
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"
            ),
        },
    },
}

Fetch = Callable[[str, Path], None]


class ChecksumError(OptvizError):
    """A file whose SHA-256 is not the published one."""


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: str | Path, expected: str) -> None:
    """Raise ChecksumError unless the file's SHA-256 is ``expected``."""
    actual = sha256_of(path)
    if actual != expected.lower():
        raise ChecksumError(f"{path}: SHA-256 {actual} does not match the expected {expected}")


def _urlopen_fetch(url: str, dest: Path) -> None:
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out)


def download(
    dataset: str,
    data_dir: str | Path,
    *,
    base_url: str | None = None,
    checksums: dict[str, str] | None = None,
    fetch: Fetch | None = None,
) -> dict[str, Path]:
    """Make sure the four IDX files of ``dataset`` are in ``data_dir``; return their paths.

    ``base_url`` (e.g. a ``file://`` mirror), ``checksums`` and ``fetch(url, dest)``
    can be replaced, which is how the tests run it offline.
    """
    if dataset not in SOURCES:
        from optviz.errors import UnknownNameError

        raise UnknownNameError("dataset", dataset, SOURCES)
    source = SOURCES[dataset]
    base_url = base_url or source["url"]
    checksums = checksums or source["sha256"]
    fetch = fetch or _urlopen_fetch
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, name in FILES.items():
        dest = data_dir / name
        if not dest.exists():
            partial = dest.with_name(dest.name + ".part")
            try:
                fetch(base_url.rstrip("/") + "/" + name, partial)
                verify(partial, checksums[name])
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            partial.replace(dest)
        else:
            verify(dest, checksums[name])
        paths[key] = dest
    return paths

"""The IDX file format of MNIST and Fashion-MNIST, gzipped or not.

An IDX file is: two zero bytes, a type code, the number of dimensions, each
dimension as a big-endian uint32, then the data in big-endian C order.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from optviz import limits
from optviz.errors import OptvizError

_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in _TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


class IdxError(OptvizError):
    """A file that is not a well-formed IDX file."""


def max_bytes() -> int:
    """The most data an IDX file may hold here: an eighth of the memory budget, since the
    trainer turns bytes into float32 (4x) and keeps the images on the host and the device."""
    return limits.budget() // 8


def read_idx(path: str | Path, *, limit: int | None = None) -> np.ndarray:
    """The array stored in an IDX file (``.gz`` or plain, recognised by content).

    The header is read first, from the stream: the data's size is computed from
    it (Python integers, no overflow) and refused above ``limit`` bytes (default
    `max_bytes`) before anything is decompressed; then exactly that many bytes
    are read and nothing may follow. Every fault is one `IdxError` naming the file.
    """
    path = Path(path)
    limit = max_bytes() if limit is None else limit
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        try:
            return _read(stream, path, limit)
        except (OSError, EOFError, zlib.error) as err:
            if not gzipped:
                raise
            raise IdxError(f"{path}: damaged gzip data ({err})") from None


def _read(stream: BinaryIO, path: Path, limit: int) -> np.ndarray:
    magic = stream.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _TYPES:
        raise IdxError(f"{path}: not an IDX file (bad magic number)")
    dtype, ndim = _TYPES[magic[2]], magic[3]
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise IdxError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", dims)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > limit:
        raise IdxError(
            f"{path}: IDX header says {shape} ({nbytes:,} bytes of data), more than the "
            f"{limit:,} bytes allowed here (an eighth of the memory budget)"
        )
    data = np.empty(nbytes, np.uint8)
    view = memoryview(data)
    got = 0
    while got < nbytes:
        n = stream.readinto(view[got:])
        if not n:
            break
        got += n
    if got < nbytes:
        raise IdxError(
            f"{path}: IDX header says {shape} ({nbytes:,} bytes of data), file has {got:,}"
        )
    if stream.read(1):
        raise IdxError(f"{path}: data continues after the {nbytes:,} bytes its IDX header says")
    return data.view(dtype).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Write an array as IDX; gzipped when ``compress`` or when the name ends in .gz."""
    path = Path(path)
    array = np.asarray(array)
    code = _CODES.get(array.dtype)
    if code is None:
        raise IdxError(f"IDX cannot store dtype {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(_TYPES[code]).tobytes()
    if compress if compress is not None else path.suffix == ".gz":
        raw = gzip.compress(raw, mtime=0)
    path.write_bytes(raw)
    return path

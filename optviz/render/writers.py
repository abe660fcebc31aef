"""One writer per output format, registered by file extension.

Each writer has the shape of matplotlib's `AbstractMovieWriter`: `open` it on a
path, `add` frames ((H, W, 3|4) uint8 arrays) one at a time, `finish` to close the
file. Frame writers know nothing about matplotlib. A writer that draws in the
viewer instead (`wants_stage`: the html page, `optviz.render.html`) is handed the
`Stage` once, through `write_stage`, and gets no frames. `format_of` is the one
place that decides a file's format from its name; the command line, `Race.save`
and the gallery all go through it.

>>> format_of("race.GIF"), WRITERS["webp"].alpha
('gif', True)
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path as FsPath

import numpy as np

from optviz.errors import OptvizError
from optviz.render import encode
from optviz.render.encode import Encoded
from optviz.render.html import HtmlWriter
from optviz.render.writer import Writer


class _Streamed(Writer):
    """A writer whose encoder pulls frames from an iterator: it runs in a thread fed by
    `add` (see `_Feed`), so frames stream to the file without being held."""

    def encode(self, frames: Iterator[np.ndarray]) -> Encoded:
        """Write every frame of `frames` to `self.path`."""
        raise NotImplementedError

    def _open(self, samples, reserved) -> None:
        self._frames = _Feed()
        self._frames.start(self.encode)

    def add(self, frame: np.ndarray) -> None:
        self._frames.put(frame)

    def finish(self) -> Encoded:
        return self._frames.close()

    def abort(self) -> None:
        if hasattr(self, "_frames"):  # opened: stop its encoder thread
            self._frames.cancel()


class GifWriter(_Streamed):
    """A streamed GIF with one global palette (see `encode.GifStream`)."""

    fmt, palette = "gif", True

    @classmethod
    def check(cls, *, fps: float, transparent: bool) -> None:
        super().check(fps=fps, transparent=transparent)
        if fps > encode.MAX_GIF_FPS:
            raise OptvizError(
                f"GIF cannot play faster than {encode.MAX_GIF_FPS} fps (got {fps}); "
                "use .mp4 or .webp"
            )

    def _open(self, samples, reserved) -> None:
        self._palette = encode.Palette(list(samples), list(reserved))
        super()._open(samples, reserved)

    def encode(self, frames: Iterator[np.ndarray]) -> Encoded:
        return encode.write_gif(frames, self.path, fps=self.fps, palette=self._palette)


class WebpWriter(_Streamed):
    """Lossless animated WebP (libwebp stores unchanged regions and repeats cheaply)."""

    fmt, alpha = "webp", True

    def encode(self, frames: Iterator[np.ndarray]) -> Encoded:
        n, alpha = self.n_frames, self.transparent
        return encode.write_webp(frames, self.path, fps=self.fps, n=n, alpha=alpha)


class Mp4Writer(_Streamed):
    """H.264 through imageio's ffmpeg plugin (the optional `mp4` extra)."""

    fmt = "mp4"

    @classmethod
    def check(cls, *, fps: float, transparent: bool) -> None:
        super().check(fps=fps, transparent=transparent)
        encode.require_mp4()

    def encode(self, frames: Iterator[np.ndarray]) -> Encoded:
        return encode.write_mp4(frames, self.path, fps=self.fps)


class PngWriter(Writer):
    """A still: the last frame added."""

    fmt, alpha, still = "png", True, True

    def _open(self, samples, reserved) -> None:
        self._last: np.ndarray | None = None

    def add(self, frame: np.ndarray) -> None:
        self._last = frame

    def finish(self) -> Encoded:
        if self._last is None:
            raise OptvizError("no frames to write")
        return encode.write_png(self._last, self.path, alpha=self.transparent)


WRITERS: dict[str, type[Writer]] = {
    w.fmt: w for w in (GifWriter, WebpWriter, Mp4Writer, PngWriter, HtmlWriter)
}
FORMATS: tuple[str, ...] = tuple(WRITERS)


def format_of(out: str | FsPath, fmt: str | None = None) -> str:
    """The format of output file `out`: `fmt` if given (it must agree with a known
    extension), else the one its extension names."""
    suffix = FsPath(out).suffix.lower().lstrip(".")
    if fmt is not None:
        if fmt not in WRITERS:
            raise OptvizError(f"unknown format {fmt!r}; choose from: {', '.join(FORMATS)}")
        if suffix in WRITERS and suffix != fmt:
            raise OptvizError(f"the file name {FsPath(out).name!r} says {suffix}, not {fmt}")
        return fmt
    if suffix not in WRITERS:
        raise OptvizError(
            f"cannot tell the format of {FsPath(out).name!r} from its extension; "
            f"use one of: {', '.join('.' + f for f in FORMATS)}"
        )
    return suffix


def writer_for(fmt: str) -> Writer:
    """A new writer for `fmt`."""
    try:
        return WRITERS[fmt]()
    except KeyError:
        raise OptvizError(f"unknown format {fmt!r}; choose from: {', '.join(FORMATS)}") from None


class _Feed:
    """Runs a pull-style encoder (it iterates over frames) in a thread, fed by `put`,
    so a push-style writer streams without holding every frame. At most two frames
    wait in between; an encoder error reaches the caller at the next `put` or at
    `close`."""

    _END = object()

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._result: Encoded | None = None
        self._error: BaseException | None = None
        self._stop = threading.Event()

    def start(self, encoder) -> None:
        def frames():
            while True:
                item = self._queue.get()
                if item is self._END or self._stop.is_set():
                    return
                yield item

        def run():
            try:
                self._result = encoder(frames())
            except BaseException as err:  # handed to the caller's thread
                self._error = err
            finally:
                self._stop.set()
                _drain(self._queue)

        self._thread = threading.Thread(target=run, name="optviz-writer", daemon=True)
        self._thread.start()

    def put(self, frame: np.ndarray) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(frame, timeout=0.05)
                return
            except queue.Full:
                continue
        self._raise()

    def close(self) -> Encoded:
        if not self._stop.is_set():
            self.put(self._END)
        self._thread.join()
        self._raise()
        assert self._result is not None
        return self._result

    def cancel(self) -> None:
        self._stop.set()
        _drain(self._queue)
        self._queue.put(self._END)
        self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


def _drain(q: queue.Queue) -> None:
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return

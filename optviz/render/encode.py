"""Frames (uint8 RGB arrays) -> an image file. Knows nothing about matplotlib.

GIF is written as a stream, one frame at a time, so memory stays flat however many
frames there are: one global palette (every reserved colour in an exact slot, so path
colours never shift), consecutive duplicate frames merged into one longer frame, and
each frame stored as the rectangle that changed with unchanged pixels transparent.
Every format is written to a temporary file beside the target and moved into place
only when complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path as FsPath

import numpy as np
from PIL import GifImagePlugin, Image

from optviz import interrupt
from optviz.errors import OptvizError

TRANSPARENT = 255  # the GIF palette slot reserved for "unchanged since last frame"
MAX_GIF_FPS = 50  # viewers treat GIF delays under 2/100 s as 1/10 s


@dataclass(frozen=True)
class Encoded:
    n_frames: int  # frames stored, after merging consecutive duplicates
    duration_s: float  # total play time


@contextlib.contextmanager
def atomic_output(out: str | os.PathLike) -> Iterator[FsPath]:
    """A temporary path beside `out`, moved onto `out` only if the block succeeds.

    On failure the temporary file is removed and an existing `out` is left untouched.
    """
    out = FsPath(out)
    # keep the real extension last: encoders (ffmpeg) pick the container from it
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=f".part{out.suffix}", dir=out.parent)
    os.close(fd)
    tmp_path = FsPath(tmp)
    try:
        yield tmp_path
        interrupt.check()  # never put a file in place after a stop was asked for
        os.chmod(tmp_path, _new_file_mode(out))  # mkstemp makes it private (0600)
        os.replace(tmp_path, out)
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        if isinstance(err, OSError) and err.filename != str(out):  # name the file meant
            raise OSError(err.errno, err.strerror or str(err), str(out)) from err
        raise


def _new_file_mode(out: FsPath) -> int:
    """The mode `out` would get from a plain open(): its current one, else 0666 & ~umask."""
    with contextlib.suppress(FileNotFoundError):
        return out.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def boundaries(n: int, fps: float, unit: float) -> np.ndarray:
    """Frame i plays from b[i] to b[i+1] (in 1/unit s), rounded without drift."""
    return np.rint(np.arange(n + 1) * unit / fps).astype(np.int64)


def packed(frame: np.ndarray) -> np.ndarray:
    """(H, W) uint32 colour keys r | g << 8 | b << 16 of an (H, W, 3|4) uint8 frame
    (alpha ignored; frames are opaque)."""
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in (3, 4):
        raise ValueError(
            f"frames must be (H, W, 3 or 4) uint8 arrays, got {frame.shape} {frame.dtype}"
        )
    if frame.shape[2] == 4 and frame.flags.c_contiguous:
        return frame.view("<u4")[..., 0] & np.uint32(0xFFFFFF)
    f = frame[..., :3].astype(np.uint32)
    return f[..., 0] | (f[..., 1] << 8) | (f[..., 2] << 16)


def _unpack(keys: np.ndarray) -> np.ndarray:
    """(k,) colour keys -> (k, 3) uint8 RGB."""
    return np.stack([keys & 0xFF, (keys >> 8) & 0xFF, (keys >> 16) & 0xFF], axis=-1).astype(
        np.uint8
    )


class Palette:
    """255 colours (slot 255 is kept for transparency): the reserved ones first, in
    exact slots, then the colours that best cover the sample frames."""

    def __init__(self, samples: Sequence[np.ndarray], reserved: Sequence[tuple[int, int, int]]):
        reserved = list(dict.fromkeys(tuple(int(v) for v in c) for c in reserved))[:64]
        colors = list(reserved)
        if samples:
            keys = np.concatenate([packed(f).ravel() for f in samples])
            stack = Image.fromarray(_unpack(keys).reshape(len(samples), -1, 3))
            q = stack.quantize(
                colors=255 - len(reserved),
                method=Image.Quantize.MEDIANCUT,
                dither=Image.Dither.NONE,
            )
            pal = q.getpalette()
            have = set(colors)
            for i in np.unique(np.asarray(q)).tolist():
                c = tuple(pal[3 * i : 3 * i + 3])
                if c not in have:
                    colors.append(c)
                    have.add(c)
        colors = colors[:255]
        colors += [colors[-1]] * (255 - len(colors))
        self.colors = np.asarray(colors, dtype=np.uint8)  # (255, 3)
        self.image = Image.new("P", (1, 1))
        self.image.putpalette(self.colors.tobytes())  # 255 entries: slot 255 never chosen
        c = self.colors[: len(reserved)].astype(np.uint32)
        self.reserved_keys = c[:, 0] | (c[:, 1] << 8) | (c[:, 2] << 16)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """(k,) colour keys -> (k,) palette indices: nearest colour, reserved ones exact."""
        if keys.size == 0:
            return np.zeros(0, np.uint8)
        row = Image.fromarray(_unpack(keys)[None])
        idx = np.asarray(row.quantize(palette=self.image, dither=Image.Dither.NONE))[0].copy()
        for slot, key in enumerate(self.reserved_keys.tolist()):
            idx[keys == key] = slot
        return idx

    def gif_table(self) -> bytes:
        return self.colors.tobytes() + bytes(3)  # slot 255: transparent


class Indexer:
    """Frames -> palette indices, converting only the pixels that changed since the
    previous frame (the rest keep their index)."""

    def __init__(self, palette: Palette):
        self.palette = palette
        self.frame: np.ndarray | None = None
        self.keys: np.ndarray | None = None
        self.idx: np.ndarray | None = None

    def __call__(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(indices (H, W), flat positions whose index changed). The same array again
        (a held last frame: writers are handed frames nobody changes) changed nothing."""
        if frame is self.frame:
            return self.idx, np.zeros(0, np.intp)
        keys = _raw_keys(frame)
        if self.keys is None or self.keys.shape != keys.shape:
            idx = self.palette.lookup(packed(frame).ravel()).reshape(keys.shape)
            where = np.arange(idx.size)
        else:
            where = np.flatnonzero(keys != self.keys)
            idx = self.idx.copy()
            flat = idx.reshape(-1)
            new = self.palette.lookup(keys.reshape(-1)[where] & np.uint32(0xFFFFFF))
            keep = new != flat[where]
            flat[where] = new
            where = where[keep]
        # The frame is kept, not copied: its keys are the next frame's reference.
        self.frame, self.keys, self.idx = frame, keys, idx
        return idx, where


def _raw_keys(frame: np.ndarray) -> np.ndarray:
    """One uint32 per pixel that differs wherever the colour differs: the RGBA bytes
    themselves when they can be viewed so (no copy), else the packed colour."""
    rgba = frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 4
    return frame.view("<u4")[..., 0] if rgba and frame.flags.c_contiguous else packed(frame)


class GifStream:
    """Writes a GIF frame by frame: header once, then each frame as the rectangle that
    changed, with unchanged pixels inside it transparent (drawn over the last frame)."""

    def __init__(self, fp, size: tuple[int, int], palette: Palette):
        w, h = size
        self.fp, self.first = fp, True
        fp.write(b"GIF89a" + w.to_bytes(2, "little") + h.to_bytes(2, "little"))
        fp.write(bytes([0xF7, 0, 0]))  # global table of 256 colours, background 0
        fp.write(palette.gif_table())
        fp.write(b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00")  # loop forever

    def add(self, idx: np.ndarray, centiseconds: int, changed: np.ndarray) -> None:
        """Append `idx` (H, W), shown for `centiseconds`; `changed`: the flat positions
        where it differs from the frame added before (ignored for the first)."""
        if self.first:
            box, params, patch = (0, 0, idx.shape[1], idx.shape[0]), {}, idx
            self.first = False
        else:
            if changed.size == 0:  # identical: a 1-pixel frame that only adds time
                changed = np.zeros(1, np.intp)
            rows, cols = np.divmod(changed, idx.shape[1])
            r0, c0 = int(rows.min()), int(cols.min())
            box = (c0, r0, int(cols.max()) + 1, int(rows.max()) + 1)
            patch = np.full((box[3] - r0, box[2] - c0), TRANSPARENT, np.uint8)
            patch[rows - r0, cols - c0] = idx.reshape(-1)[changed]
            params = {"transparency": TRANSPARENT}
        patch = np.ascontiguousarray(patch, dtype=np.uint8)
        im = Image.frombytes("P", (patch.shape[1], patch.shape[0]), patch.tobytes())
        for chunk in GifImagePlugin.getdata(
            im, offset=box[:2], duration=10 * centiseconds, disposal=1, **params
        ):
            self.fp.write(chunk)

    def close(self) -> None:
        self.fp.write(b";")


def write_gif(
    frames: Iterable[np.ndarray], path: FsPath, *, fps: float, palette: Palette
) -> Encoded:
    """Stream frames into a GIF, merging consecutive duplicates. Returns what was stored."""
    if fps > MAX_GIF_FPS:
        raise OptvizError(
            f"GIF cannot play faster than {MAX_GIF_FPS} fps (got {fps}); use fmt='mp4' or 'webp'"
        )
    indexer = Indexer(palette)
    stream, pending, start, n_out, i = None, None, 0, 0, 0
    with open(path, "wb") as fp:
        for i, frame in enumerate(frames):
            idx, changed = indexer(frame)
            if stream is None:
                stream = GifStream(fp, (frame.shape[1], frame.shape[0]), palette)
                pending, start, pending_changed = idx, i, changed
            elif changed.size:
                stream.add(pending, _cs(start, i, fps), pending_changed)
                pending, start, pending_changed, n_out = idx, i, changed, n_out + 1
        if stream is None:
            raise OptvizError("no frames to write")
        stream.add(pending, _cs(start, i + 1, fps), pending_changed)
        stream.close()
    return Encoded(n_out + 1, float(boundaries(i + 1, fps, 100)[-1]) / 100)


def _cs(a: int, b: int, fps: float) -> int:
    """Centiseconds from frame a to frame b (at least 2, the smallest delay viewers honour)."""
    return max(round(b * 100 / float(fps)) - round(a * 100 / float(fps)), 2)


def _image(frame: np.ndarray, alpha: bool = False) -> Image.Image:
    """A Pillow image of an (H, W, 3|4) uint8 frame: RGB (alpha dropped), or RGBA if
    `alpha` (straight alpha; an RGB frame is made opaque)."""
    if not alpha:
        return Image.fromarray(np.ascontiguousarray(frame[..., :3]))
    if frame.shape[2] == 3:
        frame = np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)])
    return Image.fromarray(np.ascontiguousarray(frame))


class _LazyFrames(Image.Image):
    """A multi-frame image whose frames are pulled from an iterator as Pillow seeks
    through them, so an animated WebP is encoded without holding every frame."""

    def __init__(self, frames: Iterator[np.ndarray], n: int, first: np.ndarray, alpha: bool):
        super().__init__()
        self._frames, self._n, self._pos, self.alpha = frames, n, -1, alpha
        self._mode, self._size = "RGBA" if alpha else "RGB", (first.shape[1], first.shape[0])
        self.prev = first  # to count frames that differ from the one before
        self.distinct = 0

    @property
    def n_frames(self) -> int:
        return self._n

    def seek(self, frame: int) -> None:
        if frame == self._pos:
            return
        if frame != self._pos + 1:
            raise EOFError("frames can only be read in order")
        rgb = next(self._frames)
        if not np.array_equal(rgb, self.prev):
            self.distinct += 1
        self.prev, self._pos = rgb, frame
        self.im = _image(rgb, self.alpha).im

    def tell(self) -> int:
        return max(self._pos, 0)


def write_webp(
    frames: Iterable[np.ndarray], path: FsPath, *, fps: float, n: int, alpha: bool = False
) -> Encoded:
    """Lossless animated WebP (libwebp stores unchanged regions and repeats cheaply);
    alpha: keep the frames' alpha channel."""
    it = iter(frames)
    first = next(it)
    ms = np.diff(boundaries(n, fps, 1000)).tolist()
    head = _image(first, alpha)
    if n == 1:
        head.save(path, format="WEBP", lossless=True, method=4)
        return Encoded(1, ms[0] / 1000)
    rest = _LazyFrames(it, n - 1, first, alpha)
    head.save(
        path,
        format="WEBP",
        save_all=True,
        append_images=[rest],
        duration=ms,
        loop=0,
        lossless=True,
        quality=60,
        method=0,
        background=(0, 0, 0, 0),
    )
    return Encoded(1 + rest.distinct, float(sum(ms)) / 1000)


def write_png(frame: np.ndarray, path: FsPath, *, alpha: bool = False) -> Encoded:
    """A PNG still; alpha: keep the frame's alpha channel."""
    _image(frame, alpha).save(path, format="PNG", optimize=True)
    return Encoded(1, 0.0)


MP4_EXTRA = "mp4 needs the optional extra: pip install 'optviz[mp4]'"


def require_mp4() -> None:
    """Fail early, before any drawing, if the mp4 encoder is missing."""
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        raise OptvizError(MP4_EXTRA) from None


def write_mp4(frames: Iterable[np.ndarray], path: FsPath, *, fps: float) -> Encoded:
    """H.264 through imageio's ffmpeg plugin (the optional imageio-ffmpeg package)."""
    require_mp4()
    import imageio.v2 as iio

    n = 0
    with warnings.catch_warnings():
        # imageio-ffmpeg starts ffmpeg with subprocess (fork + exec at once, no
        # Python in the child); JAX warns about any fork once it is loaded.
        warnings.filterwarnings("ignore", r"os\.fork\(\) was called", RuntimeWarning)
        writer = iio.get_writer(
            path,
            format="FFMPEG",
            mode="I",
            fps=fps,
            codec="libx264",
            pixelformat="yuv420p",
            macro_block_size=2,
            quality=8,
            ffmpeg_log_level="error",
            output_params=["-f", "mp4", "-map_metadata", "-1", "-fflags", "+bitexact"],
        )
        try:
            for rgb in frames:
                h, w = rgb.shape[:2]
                if h % 2 or w % 2:  # yuv420p needs even sides: repeat the last row/column
                    rgb = np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
                writer.append_data(np.ascontiguousarray(rgb[..., :3]))
                n += 1
        finally:
            writer.close()
        check_mp4(path, n)
    return Encoded(n, n / fps)


def check_mp4(path: FsPath, n: int) -> None:
    """Read the written file back: ffmpeg can end without an error on a full disk and
    leave a file it cannot open itself."""
    import imageio_ffmpeg

    try:
        frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    except (RuntimeError, OSError):
        frames = -1
    if frames != n:
        raise OSError(f"the video came out incomplete ({max(frames, 0)} of {n} frames readable)")

"""Pictures of a training run: learning curves (PNG, growing GIF) and feature maps.

Only matplotlib and numpy here: these functions read a finished ``TrainResult``
(or arrays) and never run the network or an optimizer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Okabe & Ito's colour-blind-safe palette (yellow last: weak on white).
OKABE_ITO = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#D55E00",
    "#0072B2",
    "#CC79A7",
    "#000000",
    "#F0E442",
)


def colors_for(names: list[str]) -> dict[str, str]:
    """Each optimizer's colour: the registry's when it has one, else Okabe–Ito in order."""
    try:
        from optviz.optimizers import spec
    except ImportError:
        spec = None
    colors = {}
    for i, name in enumerate(names):
        color = None
        if spec is not None:
            try:
                color = spec(name).color
            except (KeyError, ValueError, AttributeError):
                color = None
        colors[name] = color or OKABE_ITO[i % len(OKABE_ITO)]
    return colors


def _figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), dpi=100, layout="constrained")
    return fig, fig.subplots(1, 2)


def _draw(axes, result, colors, upto: int | None = None) -> None:
    loss_ax, acc_ax = axes
    max_epoch = max((c.epoch[-1] for c in result.curves.values() if c.epoch), default=1)
    max_loss = max(
        (max(c.train_loss + c.test_loss) for c in result.curves.values() if c.epoch),
        default=1.0,
    )
    for name in result.optimizers:
        c = result.curves[name]
        k = len(c.epoch) if upto is None else min(upto + 1, len(c.epoch))
        color = colors[name]
        for ax, train, test in (
            (loss_ax, c.train_loss, c.test_loss),
            (acc_ax, c.train_acc, c.test_acc),
        ):
            ax.plot(c.epoch[:k], test[:k], color=color, lw=2, label=f"{name} test")
            ax.plot(c.epoch[:k], train[:k], color=color, lw=1.2, ls="--", label=f"{name} train")
    title = f"{result.dataset}, batch size {result.batch_size}"
    cfg = result.config
    knobs = [f"depth {cfg.depth}"] if cfg.depth != 2 else []
    knobs += [f"{cfg.norm} norm"] if cfg.norm != "none" else []
    knobs += ["skip"] if cfg.skip else []
    if knobs:
        title += ", " + ", ".join(knobs)
    if result.interrupted:
        title += " (interrupted)"
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy loss", title=title)
    acc_ax.set(xlabel="epoch", ylabel="accuracy", title="solid: test, dashed: train")
    finite = max_loss if np.isfinite(max_loss) else 5.0
    loss_ax.set_ylim(0, min(finite, 5.0) * 1.05)
    acc_ax.set_ylim(0, 1.0)
    for ax in axes:
        ax.set_xlim(0, max(max_epoch, 1))
        ax.grid(alpha=0.3)
    acc_ax.legend(loc="lower right", fontsize="small", ncols=2)


def curves_png(result, path: str | Path) -> Path:
    """Train and test loss and accuracy per epoch, one colour per optimizer."""
    fig, axes = _figure()
    _draw(axes, result, colors_for(result.optimizers))
    fig.savefig(path)
    return Path(path)


def _rgb(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def curves_gif(result, path: str | Path, *, duration_ms: int = 400) -> Path:
    """The curves growing epoch by epoch (one frame per epoch, the last held longer)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    colors = colors_for(result.optimizers)
    n_epochs = max((len(c.epoch) for c in result.curves.values()), default=1)
    frames = []
    for upto in range(max(n_epochs, 1)):
        fig, axes = _figure()
        FigureCanvasAgg(fig)
        _draw(axes, result, colors, upto=upto)
        frames.append(Image.fromarray(_rgb(fig)))
    durations = [duration_ms] * (len(frames) - 1) + [duration_ms * 5]
    frames[0].save(
        path, save_all=True, append_images=frames[1:], duration=durations, loop=0, optimize=False
    )
    return Path(path)


def feature_maps_png(
    image: np.ndarray, maps: dict[str, np.ndarray], path: str | Path, *, channels: int = 8
) -> Path:
    """The lecture's pictures: rows after convolution, after activation, after pooling.

    ``image`` is one (H, W, C) input; ``maps`` holds (H', W', channels) arrays
    for the keys conv1, act1, pool1, conv2, ... (a block without a pool has no poolN).
    """
    from matplotlib.figure import Figure

    kinds = {"conv": "conv", "act": "activation", "pool": "max-pool"}
    blocks = sorted({int(k.removeprefix("conv")) for k in maps if k.startswith("conv")})
    rows = [f"{kind}{i}" for i in blocks for kind in kinds if f"{kind}{i}" in maps]
    labels = {f"{kind}{i}": f"{word} {i}" for i in blocks for kind, word in kinds.items()}
    n = min(channels, min(maps[k].shape[-1] for k in rows))
    fig = Figure(figsize=(1.3 * (n + 1), 1.4 * len(rows)), dpi=100, layout="constrained")
    axes = fig.subplots(len(rows), n + 1, squeeze=False)
    for r, key in enumerate(rows):
        ax = axes[r, 0]
        if r == 0:
            ax.imshow(image[..., 0], cmap="gray")
            ax.set_title("input", fontsize=9)
        ax.set_ylabel(labels[key], fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        if r:
            ax.set_frame_on(False)
        row = maps[key][..., :n]
        for c in range(n):
            ax = axes[r, c + 1]
            flat = np.ptp(row[..., c]) == 0  # e.g. a 1x1 map: shown on the row's scale
            scale = {"vmin": row.min(), "vmax": row.max()} if flat else {}
            ax.imshow(row[..., c], cmap="gray", **scale)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"filter {c + 1}", fontsize=9)
    fig.savefig(path)
    return Path(path)

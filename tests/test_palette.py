"""Every optimizer colour reads on both themes and stays distinguishable for the
common colour-vision deficiencies; contour lines stay visible on the fill.

The colour science is written here in numpy float64 and checked against
published values before it judges the palette:
- WCAG 2.x relative luminance and contrast ratio (W3C, "relative luminance" and
  "contrast ratio" in the WCAG 2.2 glossary), with sRGB decoding (IEC 61966-2-1);
- CIELAB (D65) and CIEDE2000, against the test pairs of Sharma, Wu & Dalal
  (2005), Color Research & Application 30(1):21-30, Table 1;
- protanopia and deuteranopia as the severity-1.0 matrices of Machado,
  Oliveira & Fernandes (2009), IEEE TVCG 15(6):1291-1298, applied to linear
  sRGB, checked to hide exactly what a dichromat cannot see: a change of the
  missing cone's signal, computed with an independent cone model (the linear
  sRGB -> LMS matrix of Viénot, Brettel & Mollon 1999).
"""

from __future__ import annotations

import itertools

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgb

from optviz import optimizers
from optviz.errors import UnknownNameError
from optviz.optimizers.registry import SPARE_COLORS
from optviz.render.theme import THEMES

# The floors the palette must keep.
MIN_CONTRAST = 3.0  # WCAG 2.x 1.4.11, non-text contrast: a path against the background
MIN_CONTOUR_CONTRAST = 2.0  # a contour line against the fill it is drawn on
MIN_DE00 = 12.0  # any two colours of one theme, normal colour vision
MIN_DE00_CVD = 7.0  # the same under simulated protanopia and deuteranopia

# --- sRGB, WCAG ------------------------------------------------------------------------


def srgb(color: str) -> np.ndarray:
    """'#rrggbb' (or any matplotlib colour) -> sRGB in [0, 1], float64."""
    return np.asarray(to_rgb(color), dtype=np.float64)


def to_linear(c: np.ndarray) -> np.ndarray:
    """Decode sRGB (IEC 61966-2-1) to linear light."""
    c = np.asarray(c, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def luminance(c: np.ndarray) -> float:
    """WCAG relative luminance of an sRGB colour."""
    return float(to_linear(c) @ np.array([0.2126, 0.7152, 0.0722]))


def contrast(a: np.ndarray, b: np.ndarray) -> float:
    """WCAG contrast ratio, from 1 (none) to 21 (black on white)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# --- CIELAB, CIEDE2000 -----------------------------------------------------------------

# linear sRGB -> CIE XYZ (IEC 61966-2-1); the reference white is its image of (1, 1, 1)
_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
_WHITE = _XYZ.sum(axis=1)


def lab_of_linear(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of a linear sRGB colour."""
    t = _XYZ @ np.clip(rgb, 0.0, 1.0) / _WHITE
    d = 6.0 / 29.0
    f = np.where(t > d**3, np.cbrt(t), t / (3 * d * d) + 4.0 / 29.0)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def de2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """CIEDE2000 colour difference (kL = kC = kH = 1), as in Sharma et al. (2005)."""
    L1, a1, b1 = lab1
    L2, a2, b2 = lab2
    cbar7 = ((np.hypot(a1, b1) + np.hypot(a2, b2)) / 2) ** 7
    g = 0.5 * (1 - np.sqrt(cbar7 / (cbar7 + 25.0**7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1 = np.degrees(np.arctan2(b1, a1)) % 360 if c1 else 0.0
    h2 = np.degrees(np.arctan2(b2, a2)) % 360 if c2 else 0.0
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    dH = 2 * np.sqrt(c1 * c2) * np.sin(np.radians(dh / 2))
    lbar, cbar = (L1 + L2) / 2, (c1 + c2) / 2
    if c1 * c2 == 0:
        hbar = h1 + h2
    elif abs(h1 - h2) <= 180:
        hbar = (h1 + h2) / 2
    else:
        hbar = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (
        1
        - 0.17 * np.cos(np.radians(hbar - 30))
        + 0.24 * np.cos(np.radians(2 * hbar))
        + 0.32 * np.cos(np.radians(3 * hbar + 6))
        - 0.20 * np.cos(np.radians(4 * hbar - 63))
    )
    sl = 1 + 0.015 * (lbar - 50) ** 2 / np.sqrt(20 + (lbar - 50) ** 2)
    sc = 1 + 0.045 * cbar
    sh = 1 + 0.015 * cbar * t
    rc = 2 * np.sqrt(cbar**7 / (cbar**7 + 25.0**7))
    rt = -np.sin(np.radians(60 * np.exp(-(((hbar - 275) / 25) ** 2)))) * rc
    dl, dc, dh_ = (L2 - L1) / sl, (c2 - c1) / sc, dH / sh
    return float(np.sqrt(dl**2 + dc**2 + dh_**2 + rt * dc * dh_))


# --- Dichromats ------------------------------------------------------------------------

# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear sRGB
CVD = {
    "normal": np.eye(3),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
}
# Viénot, Brettel & Mollon (1999): linear sRGB -> LMS (Smith & Pokorny fundamentals)
LMS = np.array(
    [[17.8824, 43.5161, 4.11935], [3.45565, 27.1554, 3.86714], [0.0299566, 0.184309, 1.46709]]
)


def seen(color: str, vision: str) -> np.ndarray:
    """CIELAB of `color` as seen with `vision`."""
    return lab_of_linear(CVD[vision] @ to_linear(srgb(color)))


# --- The formulas against published values ----------------------------------------------


@pytest.mark.parametrize(
    ("fg", "bg", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#767676", "#ffffff", 4.54),  # the lightest grey that passes AA on white
        ("#0000ff", "#ffffff", 8.59),
        ("#ff0000", "#ffffff", 4.00),
    ],
)
def test_wcag_contrast_matches_published_ratios(fg, bg, ratio):
    assert contrast(srgb(fg), srgb(bg)) == pytest.approx(ratio, abs=0.005)


def test_cielab_matches_published_values():
    np.testing.assert_allclose(lab_of_linear(np.ones(3)), (100, 0, 0), atol=1e-9)
    np.testing.assert_allclose(seen("#ff0000", "normal"), (53.24, 80.09, 67.20), atol=0.05)


# Sharma, Wu & Dalal (2005), Table 1: pairs 1, 4, 7, 13-16 (hue wrap-around), 17-20, 25, 34
SHARMA = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, -1.3802, -84.2814), (50.0, 0.0, -82.7485), 1.0000),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0009), 7.1792),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0010), 7.1792),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0011), 7.2195),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0012), 7.2195),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((50.0, 2.5, 0.0), (61.0, -5.0, 29.0), 22.8977),
    ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
    ((50.0, 2.5, 0.0), (58.0, 24.0, 15.0), 19.4535),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


@pytest.mark.parametrize(("lab1", "lab2", "expected"), SHARMA)
def test_ciede2000_matches_sharma_et_al(lab1, lab2, expected):
    assert de2000(np.array(lab1), np.array(lab2)) == pytest.approx(expected, abs=1e-4)
    assert de2000(np.array(lab2), np.array(lab1)) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(("vision", "cone"), [("protanopia", 0), ("deuteranopia", 1)])
def test_dichromat_simulation_hides_only_the_missing_cone(vision, cone):
    m = CVD[vision]
    np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-5)  # greys stay grey
    # a change of the missing cone's signal alone is (nearly) invisible ...
    missing = np.linalg.solve(LMS, np.eye(3)[cone])
    assert np.linalg.norm(m @ missing) < 0.03 * np.linalg.norm(missing)
    # ... while a change of the short-wave cone, which the dichromat has, is not
    kept = np.linalg.solve(LMS, np.eye(3)[2])
    assert np.linalg.norm(m @ kept) > 0.5 * np.linalg.norm(kept)
    # red and green, far apart for trichromats, come close
    red_green = de2000(seen("#d00000", vision), seen("#008000", vision))
    assert red_green < 0.5 * de2000(seen("#d00000", "normal"), seen("#008000", "normal"))


# --- The palette -----------------------------------------------------------------------

SPECS = [optimizers.spec(n) for n in optimizers.names()]


def palette(theme: str) -> dict[str, str]:
    """Every colour a path can take on `theme`: the registry's, then the spares."""
    colors = {s.name: s.color_for(theme) for s in SPECS}
    index = 0 if theme == "light" else 1
    colors.update({f"spare {i}": pair[index] for i, pair in enumerate(SPARE_COLORS)})
    return colors


@pytest.mark.parametrize("theme", list(THEMES))
def test_every_colour_has_3_to_1_contrast_on_its_theme(theme):
    background = srgb(THEMES[theme].background)
    low = {n: contrast(srgb(c), background) for n, c in palette(theme).items()}
    assert min(low.values()) >= MIN_CONTRAST, sorted(low.items(), key=lambda kv: kv[1])[:3]


@pytest.mark.parametrize("vision", list(CVD))
@pytest.mark.parametrize("theme", list(THEMES))
def test_every_two_colours_stay_apart(theme, vision):
    floor = MIN_DE00 if vision == "normal" else MIN_DE00_CVD
    labs = {n: seen(c, vision) for n, c in palette(theme).items()}
    close = [
        (round(de2000(labs[a], labs[b]), 1), a, b)
        for a, b in itertools.combinations(labs, 2)
        if de2000(labs[a], labs[b]) < floor
    ]
    assert not close, close


def test_each_optimizer_keeps_its_hue_family_across_themes():
    # the dark theme's colour is the same colour made lighter, not another one
    for s in SPECS:
        (_, a1, b1), (_, a2, b2) = seen(s.color, "normal"), seen(s.dark_color, "normal")
        turn = abs((np.degrees(np.arctan2(b2, a2) - np.arctan2(b1, a1)) + 180) % 360 - 180)
        assert turn < 45, (s.name, turn)


def test_color_for_picks_the_theme_and_rejects_others():
    sgd = optimizers.spec("sgd")
    assert sgd.color_for("light") == sgd.color and sgd.color_for() == sgd.color
    assert sgd.color_for(THEMES["dark"]) == sgd.dark_color != sgd.color
    with pytest.raises(UnknownNameError, match="did you mean 'dark'"):
        sgd.color_for("drak")
    spare = optimizers.spec("optax:adabelief")
    assert (spare.color, spare.dark_color) in SPARE_COLORS


def _blend(line: np.ndarray, alpha: float, fill: np.ndarray) -> np.ndarray:
    """What Agg draws: `line` at `alpha` over `fill`, mixed in sRGB values."""
    return alpha * line + (1 - alpha) * fill


@pytest.mark.parametrize("theme", list(THEMES))
def test_contour_lines_stand_out_from_every_fill_colour(theme):
    t = THEMES[theme]
    cmap = matplotlib.colormaps[t.cmap]
    line = srgb(t.muted)
    worst = min(
        contrast(_blend(line, t.contour_alpha, fill), fill)
        for fill in (np.asarray(cmap(v)[:3]) for v in np.linspace(*t.cmap_range, 256))
    )
    assert worst >= MIN_CONTOUR_CONTRAST, worst


# --- Legends --------------------------------------------------------------------------


def test_optax_names_read_as_their_papers_spell_them():
    spell = optimizers.display_name
    assert optimizers.spec("optax:adabelief").display == "AdaBelief"
    assert [spell(n) for n in ("amsgrad", "lbfgs", "sign_sgd", "sm3")] == [
        "AMSGrad",
        "L-BFGS",
        "signSGD",
        "SM3",
    ]
    # names without an entry: words in sentence case, known names kept
    assert spell("noisy_sgd") == "Noisy SGD"
    assert spell("optimistic_adam_v2") == "Optimistic Adam v2"
    assert spell("scale_by_rprop") == "Scale by Rprop"
    assert spell("polyak_sgd") == "Polyak SGD"
    # every alias optax has gets a name that is not its raw lower-case spelling
    for alias in optimizers.optax_names():
        name = spell(alias)
        assert name != alias and "_" not in name, alias

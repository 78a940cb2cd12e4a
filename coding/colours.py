"""The colours of codes, in one place: the palette new codes take their colour from (and charts fall back on),
the further hues a lead may choose, and how far apart two colours look."""

from __future__ import annotations

import re

# Paul Tol's "muted" scheme: distinguishable with the common colour-vision deficiencies, and light enough as a
# highlight behind black text. Ordered so that neighbours in the list differ most. Without the scheme's pale grey,
# which reads as "no colour" on a highlight (greys stay among the hues a lead may choose).
PALETTE = (
    ("#332288", "Indigo"),
    ("#ddcc77", "Sand"),
    ("#117733", "Forest green"),
    ("#cc6677", "Rose"),
    ("#88ccee", "Sky blue"),
    ("#882255", "Wine"),
    ("#44aa99", "Sea green"),
    ("#999933", "Moss"),
    ("#aa4499", "Mauve"),
)
# Further distinct hues a lead may choose, each readable as a light highlight behind black text.
FURTHER = (
    ("#1f77b4", "Blue"),
    ("#aec7e8", "Light blue"),
    ("#ff7f0e", "Orange"),
    ("#ffbb78", "Light orange"),
    ("#2ca02c", "Green"),
    ("#98df8a", "Light green"),
    ("#d62728", "Red"),
    ("#ff9896", "Light red"),
    ("#9467bd", "Purple"),
    ("#c5b0d5", "Light purple"),
    ("#8c564b", "Brown"),
    ("#c49c94", "Light brown"),
    ("#e377c2", "Pink"),
    ("#f7b6d2", "Light pink"),
    ("#7f7f7f", "Grey"),
    ("#c7c7c7", "Light grey"),
    ("#bcbd22", "Olive"),
    ("#dbdb8d", "Light olive"),
    ("#17becf", "Teal"),
    ("#9edae5", "Light teal"),
)
# What a code's colour field offers: the palette first, then the further hues.
CODE_COLOURS = [*PALETTE, *FURTHER]
PALETTE_COLOURS = tuple(colour for colour, _ in PALETTE)

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def palette_colours(count: int) -> list[str]:
    """`count` colours from the palette, in its order, repeating after its last."""
    return [PALETTE_COLOURS[index % len(PALETTE_COLOURS)] for index in range(count)]


def person_colour(user_id: int, chosen: str = "") -> str:
    """The colour a person's initials are shown in: the one they chose on their profile, else one of the palette's
    that stays theirs (picked by their id)."""
    return chosen or PALETTE_COLOURS[user_id % len(PALETTE_COLOURS)]


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def colour_distance(a: str, b: str) -> float:
    """The "redmean" approximation of perceived difference between two sRGB colours."""
    (r1, g1, b1), (r2, g2, b2) = _rgb(a), _rgb(b)
    mean = (r1 + r2) / 2
    dr, dg, db = r1 - r2, g1 - g2, b1 - b2
    return ((2 + mean / 256) * dr * dr + 4 * dg * dg + (2 + (255 - mean) / 256) * db * db) ** 0.5


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in _rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def text_colour_on(colour: str) -> str:
    """Black or white, whichever contrasts more with `colour` as a background."""
    luminance = _luminance(colour)
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"

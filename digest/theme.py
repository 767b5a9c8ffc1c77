"""Colour checks for the email's theme: is every text readable on its background?

Pure. The contrast formula is WCAG 2.x's relative luminance; 4.5:1 is its AA
level for body text, which is what our dates, outlets and footer are.
"""

from __future__ import annotations

from .types import Theme

AA_NORMAL_TEXT = 4.5
COLOURS = ("ink", "muted", "accent", "paper", "page")
# Every colour setting of a Theme: each colour, then its dark-mode twin.
THEME_COLOURS = (*COLOURS, *(f"dark_{name}" for name in COLOURS))


def relative_luminance(colour: str) -> float:
    """Luminance of a `#rrggbb` colour, 0 (black) to 1 (white), per WCAG."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    red, green, blue = linear
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(foreground: str, background: str) -> float:
    """From 1 (no contrast) to 21 (black on white)."""
    lighter, darker = sorted(
        (relative_luminance(foreground), relative_luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def text_pairs(theme: Theme) -> list[tuple[str, str, str, str]]:
    """(what, foreground, background, mode) for every text the email shows."""
    pairs = []
    for mode, prefix in (("light", ""), ("dark", "dark_")):
        colour = {name: getattr(theme, prefix + name) for name in COLOURS}
        pairs += [
            ("text", colour["ink"], colour["paper"], mode),
            ("links and headings", colour["accent"], colour["paper"], mode),
            ("dates and outlets", colour["muted"], colour["paper"], mode),
            ("header and footer", colour["muted"], colour["page"], mode),
            ("footer links", colour["accent"], colour["page"], mode),
        ]
    return pairs


def contrast_warnings(theme: Theme) -> list[str]:
    """One sentence per text colour that falls short of WCAG AA on its background."""
    warnings = []
    for what, foreground, background, mode in text_pairs(theme):
        ratio = contrast_ratio(foreground, background)
        if ratio < AA_NORMAL_TEXT:
            warnings.append(
                f"{what} in {mode} mode ({foreground} on {background}) has contrast "
                f"{ratio:.1f}:1; readers need at least {AA_NORMAL_TEXT}:1 (WCAG AA)"
            )
    return warnings

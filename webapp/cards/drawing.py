"""Drawing the cards (PNG, with Pillow) and the badges (SVG text): pure functions of what they show."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, ImageDraw, ImageFont

CARD_SIZE = (1200, 630)
# Debian's fonts-dejavu-core (installed by .ci/run); Pillow's own font when they are missing.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
# Part of every card's cache key: a change to the drawing below must change it, so stored cards are redrawn.
DRAWING_VERSION = "2"

INK = (27, 31, 42)
MUTED = (91, 100, 118)
ACCENT = (79, 70, 229)
ACCENT_2 = (14, 165, 164)
ACCENT_SOFT = (238, 240, 255)
BORDER = (223, 227, 236)
BACKGROUND = (255, 255, 255)
MARGIN = 80
DESCRIPTION_BOTTOM = 424  # the figures' rule is at 440


@cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (bold) at ``size`` pixels, or Pillow's default font when DejaVu is not installed."""
    try:
        return ImageFont.truetype(str(FONT_DIR / (BOLD if bold else REGULAR)), size)
    except OSError:
        return ImageFont.load_default(size)


@dataclass(frozen=True)
class Card:
    """What a card shows: a small label above the title, the title, a description and up to four figures."""

    site_name: str
    kicker: str
    title: str
    description: str
    figures: tuple[tuple[str, str], ...]  # (value, label)

    def key(self) -> str:
        """Everything the drawing depends on, as text (the cache key is its hash)."""
        return repr((DRAWING_VERSION, self))


def _width(text: str, face) -> float:
    return face.getlength(text)


def _ellipsize(text: str, face, width: float) -> str:
    """``text`` cut to fit ``width`` with "…", at a word's end when one is near."""
    if _width(text, face) <= width:
        return text
    cut = text
    while cut and _width(cut + "…", face) > width:
        cut = cut[:-1]
    at_word = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return (at_word if len(at_word) >= len(cut) * 0.7 else cut).rstrip(" ,.;:-") + "…"


def wrap(text: str, face, width: float, max_lines: int) -> list[str]:
    """``text`` broken into at most ``max_lines`` lines no wider than ``width``; the last one ends in "…" when
    the text does not fit. A word longer than a line is cut."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for index, word in enumerate(words):
        candidate = f"{current} {word}".strip()
        if _width(candidate, face) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while _width(current, face) > width and len(lines) < max_lines:
            cut = len(current)
            while cut > 1 and _width(current[:cut], face) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
        if len(lines) >= max_lines:
            rest = " ".join([current, *words[index + 1:]]).strip()
            lines[max_lines - 1] = _ellipsize(lines[max_lines - 1] + (" " + rest if rest else ""), face, width)
            return lines[:max_lines]
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines[max_lines - 1] = _ellipsize(" ".join(lines[max_lines - 1:]), face, width)
    return lines[:max_lines]


def _title_lines(title: str, width: float) -> tuple[list[str], object, int]:
    """The title in the largest size that fits in two lines (down to 52 px, then cut)."""
    for size in (76, 68, 60, 52):
        face = font(size, bold=True)
        lines = wrap(title, face, width, 2)
        if not lines[-1].endswith("…"):
            return lines, face, size
    return lines, face, size


def _brand(draw: ImageDraw.ImageDraw, x: int, y: int, size: int) -> None:
    """The site's four-square mark (as in the page header)."""
    half = (size - 4) // 2
    for column, row, colour in ((0, 0, ACCENT), (1, 0, ACCENT_2), (0, 1, ACCENT_2), (1, 1, ACCENT)):
        left, top = x + column * (half + 4), y + row * (half + 4)
        draw.rounded_rectangle((left, top, left + half, top + half), radius=4, fill=colour)


def draw_card(card: Card) -> bytes:
    """The card as a 1200x630 PNG."""
    image = Image.new("RGB", CARD_SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    width = CARD_SIZE[0] - 2 * MARGIN

    _brand(draw, MARGIN, 64, 40)
    draw.text((MARGIN + 56, 84), card.site_name, font=font(30, bold=True), fill=INK, anchor="lm")
    if card.kicker:
        kicker_face = font(24, bold=True)
        kicker = _ellipsize(card.kicker.upper(), kicker_face, width / 2)
        right = CARD_SIZE[0] - MARGIN
        text_width = _width(kicker, kicker_face)
        draw.rounded_rectangle((right - text_width - 32, 62, right, 106), radius=22, fill=ACCENT_SOFT)
        draw.text((right - 16, 84), kicker, font=kicker_face, fill=ACCENT, anchor="rm")

    lines, title_face, size = _title_lines(card.title, width)
    y = 150
    for line in lines:
        draw.text((MARGIN, y), line, font=title_face, fill=INK)
        y += int(size * 1.18)

    description_face = font(32)
    room = max(0, (DESCRIPTION_BOTTOM - (y + 16)) // 44)  # the lines left above the figures
    for line in wrap(card.description, description_face, width, room) if room else []:
        draw.text((MARGIN, y + 16), line, font=description_face, fill=MUTED)
        y += 44

    if card.figures:
        top = 440
        draw.line((MARGIN, top, CARD_SIZE[0] - MARGIN, top), fill=BORDER, width=2)
        column = width / len(card.figures)
        for index, (value, label) in enumerate(card.figures):
            x = MARGIN + index * column
            draw.text((x, top + 28), value, font=font(56, bold=True), fill=INK)
            draw.text((x, top + 96), label, font=font(26), fill=MUTED)

    draw.rectangle((0, CARD_SIZE[1] - 14, CARD_SIZE[0] * 2 // 3, CARD_SIZE[1]), fill=ACCENT)
    draw.rectangle((CARD_SIZE[0] * 2 // 3, CARD_SIZE[1] - 14, CARD_SIZE[0], CARD_SIZE[1]), fill=ACCENT_2)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# -- badges ----------------------------------------------------------------------------------------------------

BADGE_LABEL_COLOUR = "#555"


def _badge_text_width(text: str) -> int:
    # Measured in DejaVu Sans 11 px, close to the Verdana shields.io badges are drawn with.
    return int(round(font(11).getlength(text))) + 10


def badge_svg(label: str, value: str, colour: str, title: str) -> str:
    """A shields-style flat badge: ``label`` on grey, ``value`` on ``colour``; ``title`` for screen readers."""
    left, right = _badge_text_width(label), _badge_text_width(value)
    total = left + right
    label_text, value_text = escape(label), escape(value)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label={quoteattr(title)}><title>{escape(title)}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="{BADGE_LABEL_COLOUR}"/>'
        f'<rect x="{left}" width="{right}" height="20" fill={quoteattr(colour)}/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="15" fill="#010101" fill-opacity=".3">{label_text}</text>'
        f'<text x="{left / 2}" y="14">{label_text}</text>'
        f'<text x="{left + right / 2}" y="15" fill="#010101" fill-opacity=".3">{value_text}</text>'
        f'<text x="{left + right / 2}" y="14">{value_text}</text></g></svg>'
    )

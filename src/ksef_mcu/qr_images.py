"""QR code images for KSeF links (PNG or SVG) with the label KSeF asks for under the code.

Labels: the KSeF number (KOD I of an invoice that has one), `OFFLINE` (KOD I before the invoice reaches KSeF) or
`CERTYFIKAT` (KOD II). Rendering is pure — text in, bytes out; writing files is the caller's job. The QR symbol
follows ISO/IEC 18004 (via segno) with error correction level M and the standard 4-module quiet zone.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

import segno
from PIL import Image, ImageDraw, ImageFont

QUIET_ZONE_MODULES = 4


def qr_matrix(link: str) -> list[list[bool]]:
    """The QR symbol for `link` as rows of dark (True) / light modules, quiet zone included."""
    code = segno.make_qr(link, error="m")
    return [[bool(module) for module in row] for row in code.matrix_iter(scale=1, border=QUIET_ZONE_MODULES)]


def render_qr_png(link: str, label: str, *, module_px: int = 6, font_px: int = 16) -> bytes:
    """A PNG (8-bit greyscale) of the QR code for `link` with `label` centred under it."""
    rows = qr_matrix(link)
    modules = len(rows)
    symbol = Image.new("L", (modules, modules), 255)
    symbol.putdata([0 if dark else 255 for row in rows for dark in row])
    symbol = symbol.resize((modules * module_px, modules * module_px), Image.Resampling.NEAREST)

    font = ImageFont.load_default(size=font_px)
    measure = ImageDraw.Draw(symbol)
    left, top, right, bottom = (round(edge) for edge in measure.textbbox((0, 0), label, font=font))
    text_width, text_height = right - left, bottom - top
    width = max(symbol.width, text_width + 2 * font_px)
    label_band = text_height + 2 * font_px // 3 + font_px // 2  # some space above and more below the text
    canvas = Image.new("L", (width, symbol.height + label_band), 255)
    canvas.paste(symbol, ((width - symbol.width) // 2, 0))
    draw = ImageDraw.Draw(canvas)
    # The quiet zone already leaves space under the symbol; the label sits in the band below it.
    draw.text(((width - text_width) // 2 - left, symbol.height + font_px // 3 - top), label, fill=0, font=font)

    output = io.BytesIO()
    canvas.save(output, format="PNG", optimize=True)
    return output.getvalue()


def render_qr_svg(link: str, label: str, *, module_px: int = 6, font_px: int = 16) -> bytes:
    """An SVG of the QR code for `link` with `label` centred under it (one path for the dark modules)."""
    rows = qr_matrix(link)
    modules = len(rows)
    path: list[str] = []
    for y, row in enumerate(rows):
        x = 0
        while x < modules:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < modules and row[x]:
                x += 1
            path.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    # Units are modules; the label band is sized like the PNG's, converted to modules.
    font_modules = font_px / module_px
    height = modules + 2 * font_modules
    width_px, height_px = round(modules * module_px), round(height * module_px)
    svg = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_px}" height="{height_px}" '
        f'viewBox="0 0 {modules} {height:g}" shape-rendering="crispEdges">'
        f'<rect width="{modules}" height="{height:g}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(path)}"/>'
        f'<text x="{modules / 2:g}" y="{modules + 1.2 * font_modules:g}" text-anchor="middle" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="{font_modules:g}" fill="#000">'
        f"{escape(label)}</text></svg>\n"
    )
    return svg.encode("utf-8")

from __future__ import annotations

import io
import re

import pytest
from lxml import etree
from PIL import Image

from ksef_mcu.qr_images import QUIET_ZONE_MODULES, qr_matrix, render_qr_png, render_qr_svg

LINK = "https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"


def test_matrix_has_quiet_zone_and_finder_patterns() -> None:
    matrix = qr_matrix(LINK)
    size = len(matrix)
    assert all(len(row) == size for row in matrix)
    assert not any(matrix[0])
    assert not any(matrix[-1])
    # Top-left finder pattern: a 7×7 dark ring right after the quiet zone.
    q = QUIET_ZONE_MODULES
    assert all(matrix[q][q : q + 7])
    assert all(matrix[q + row][q] for row in range(7))


@pytest.mark.parametrize("label", ["OFFLINE", "CERTYFIKAT", "5265877635-20250729-01004014E040-00"])
def test_png_holds_the_exact_symbol_and_a_label(label: str) -> None:
    module_px = 6
    image = Image.open(io.BytesIO(render_qr_png(LINK, label, module_px=module_px)))
    assert image.format == "PNG"
    matrix = qr_matrix(LINK)
    square = len(matrix) * module_px
    left = (image.width - square) // 2
    for row, modules in enumerate(matrix):
        for column, dark in enumerate(modules):
            pixel = image.getpixel((left + column * module_px + module_px // 2, row * module_px + module_px // 2))
            assert pixel == (0 if dark else 255), (row, column)
    band = image.crop((0, square, image.width, image.height))
    assert band.getextrema()[0] == 0
    # The label is centred: ink starts and ends about equally far from the edges.
    bbox = Image.eval(band, lambda value: 255 - value).getbbox()
    assert bbox is not None
    assert abs(bbox[0] - (band.width - bbox[2])) <= 2


def test_svg_path_draws_the_symbol_and_the_label_is_escaped() -> None:
    svg = render_qr_svg(LINK, "A & <B>")
    root = etree.fromstring(svg)
    namespace = {"s": "http://www.w3.org/2000/svg"}
    (path,) = root.findall("s:path", namespace)
    (text,) = root.findall("s:text", namespace)
    assert text.text == "A & <B>"
    matrix = qr_matrix(LINK)
    drawn = [[False] * len(matrix) for _ in matrix]
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path.get("d", "")):
        for column in range(int(x), int(x) + int(width)):
            drawn[int(y)][column] = True
    assert drawn == matrix
    assert float(text.get("y", "0")) > len(matrix)

"""The PDF as a reader gets it: poppler's pdftotext finds the Korean title and summary (the font
is embedded, so Hangul is text, not boxes), and pdftoppm's page image has the charts' colours
where the charts are drawn."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from openmsp.reports import actions, pdf
from openmsp.reports.tests.conftest import AFTER, MONTH, SYSTEM

pytestmark = pytest.mark.django_db
POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext") and shutil.which("pdffonts")


def _coloured(
    image: Image.Image, colour: tuple[int, int, int], box: tuple[int, int, int, int]
) -> int:
    raw = image.convert("RGB").crop(box).tobytes()
    pixels = (raw[i : i + 3] for i in range(0, len(raw), 3))
    return sum(1 for p in pixels if all(abs(p[i] - colour[i]) <= 30 for i in range(3)))


@pytest.mark.skipif(
    not POPPLER, reason="poppler-utils missing: scripts/ensure-services installs it"
)
def test_the_pdf_has_the_korean_title_an_embedded_font_and_drawn_charts(
    seeded: dict[str, Any], tmp_path: Path
) -> None:
    report = actions.generate(actor=SYSTEM, client=seeded["client"], month=MONTH, now=AFTER)
    path = tmp_path / "report.pdf"
    path.write_bytes(bytes(report.pdf))

    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "월간 서비스 보고서" in text
    assert "Hanbit Logistics · 2026-10" in text
    assert "가용성은 99.660%로 계약 목표 99.900%에 미달했습니다" in text
    assert "SLA 위반 2건이 있었습니다" in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout
    assert "Nanum" in fonts
    assert " yes " in fonts

    subprocess.run(
        ["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "page")],
        check=True,
    )
    [png] = sorted(tmp_path.glob("page*.png"))
    image = Image.open(png)
    width = image.width
    # The availability chart: green daily bars; the ticket charts: blue bars. Below the title.
    assert _coloured(image, pdf.GREEN, (0, 0, width, image.height)) > 200
    assert _coloured(image, pdf.BLUE, (0, 0, width, image.height)) > 50
    blank_top = _coloured(image, pdf.GREEN, (0, 0, width, 40))
    assert blank_top == 0  # the title area has no chart colour: the bars are where charts are


def test_the_same_report_renders_the_same_bytes(seeded: dict[str, Any]) -> None:
    report = actions.generate(actor=SYSTEM, client=seeded["client"], month=MONTH, now=AFTER)
    again = pdf.render(report.figures, report.summary, report.language)
    assert again == bytes(report.pdf)

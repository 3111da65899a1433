"""The QBR's PDF as a reader gets it: pdftotext finds the Korean title, the recurring problem
with its root cause, the recommendation, the fee, the edited agenda and the meeting's action
item; the trend charts are drawn (green and blue bars on the page image)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from openmsp.reports import actions, pdf, qbr_pdf
from openmsp.reports.tests.conftest import AFTER_QUARTER, QUARTER, SYSTEM
from openmsp.reports.tests.test_pdf import _coloured

pytestmark = pytest.mark.django_db
POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext")


@pytest.mark.skipif(
    not POPPLER, reason="poppler-utils missing: scripts/ensure-services installs it"
)
def test_the_qbr_pdf_has_korean_text_the_meeting_and_drawn_charts(
    quarter: dict[str, Any], tmp_path: Path
) -> None:
    review = actions.generate_qbr(
        actor=SYSTEM, client=quarter["client"], quarter=QUARTER, now=AFTER_QUARTER
    )
    actions.set_root_cause(
        actor=SYSTEM, review=review, fingerprint=quarter["fingerprint"], text="로그 순환 설정 누락"
    )
    actions.update_agenda(actor=SYSTEM, review=review, agenda="인사\n예산 검토")
    meeting = actions.record_meeting(
        actor=SYSTEM, review=review, held_on=QUARTER, attendees=["김 부장"], decisions="NAS 교체",
        action_items=[{"title": "NAS 견적 요청", "owner": "이 대리", "due_on": None}],
    )  # fmt: skip
    document = qbr_pdf.render(review, actions.root_causes(review), [meeting])
    path = tmp_path / "qbr.pdf"
    path.write_bytes(document)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    for expected in (
        "분기 업무 검토 (QBR)",
        "Hanbit Logistics · 2026-Q4",
        "ERP disk full",
        "근본 원인: 로그 순환 설정 누락",
        "old-nas 교체 필요",
        "계약 요금: 4,500,000 KRW",
        "2. 예산 검토",
        "[미완료] NAS 견적 요청 · 이 대리",
    ):
        assert expected in flat, expected
    subprocess.run(
        ["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "p")],
        check=True,
    )
    [png] = sorted(tmp_path.glob("p*.png"))
    image = Image.open(png)
    box = (0, 0, image.width, image.height)
    assert _coloured(image, pdf.GREEN, box) > 100
    assert _coloured(image, pdf.BLUE, box) > 50

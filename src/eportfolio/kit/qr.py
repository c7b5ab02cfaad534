"""QR codes as inline SVG (segno): invitation links and fingerprints."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(payload: str) -> Markup:
    """A QR code as inline SVG (no style attributes, so the strict CSP allows it)."""
    return Markup(segno.make(payload, error="m").svg_inline(scale=5, dark="#000", light="#fff"))  # noqa: S704 - segno's own SVG, payload is escaped by segno

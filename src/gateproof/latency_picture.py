"""The warm-up's latency picture (PST-05's SVG) on its way from the test to the records.

The test leaves the SVG in its item's stash; the report hook copies it onto the call report as
a plain attribute (xdist serialises a report's attributes, so it reaches the controller from a
worker without any file written there); the controller's recorder writes it next to
``record.json`` as ``latency.svg`` and names it in the record's ``latency_picture`` block. The
release reads it back from there and embeds it, sanitised, in its HTML report.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

FILE = "latency.svg"
REPORT_ATTR = "gateproof_latency_svg"  # on the call report; not rendered by terminal/JUnit/HTML
SVG_KEY = pytest.StashKey[str]()  # item stash: the picture the test drew
MAX_BYTES = 4_000_000  # a warm-up of a few thousand points is well under 1 MB

_DROP_ELEMENTS = re.compile(
    r"<(script|foreignObject|iframe|object|embed)\b.*?(</\1\s*>|/>)", re.IGNORECASE | re.DOTALL
)
_OPEN_DROPPED = re.compile(r"<(script|foreignObject|iframe|object|embed)\b[^>]*>", re.IGNORECASE)
_EVENT_ATTR = re.compile(r"\s+on[a-z]+\s*=\s*(\"[^\"]*\"|'[^']*')", re.IGNORECASE)
# Any href (or xlink:href) that is not a reference inside the document itself (#id).
_EXTERNAL_HREF = re.compile(
    r"\s+(?:xlink:)?href\s*=\s*(\"(?!#)[^\"]*\"|'(?!#)[^']*')", re.IGNORECASE
)
_CSS_URL = re.compile(r"url\(\s*['\"]?(?!#)[^)]*\)", re.IGNORECASE)
_PROLOGUE = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>[]*(\[[^\]]*\])?\s*>", re.IGNORECASE)


def sanitise_svg(text: str) -> str:
    """The SVG element alone, fit to embed inline: no script, no event handler, no link or
    url() that leaves the document, no XML prologue or DOCTYPE. Empty if there is no <svg>."""
    text = _PROLOGUE.sub("", text)
    text = _DROP_ELEMENTS.sub("", text)
    text = _OPEN_DROPPED.sub("", text)  # an unclosed one: drop its opening tag at least
    text = _EVENT_ATTR.sub("", text)
    text = _EXTERNAL_HREF.sub("", text)
    text = _CSS_URL.sub("none", text)
    start = text.find("<svg")
    end = text.rfind("</svg>")
    if start < 0 or end < start:
        return ""
    return text[start : end + len("</svg>")]


def read_picture(record_dir: Path, block: object) -> tuple[str | None, str]:
    """The SVG a record's ``latency_picture`` block names, or None with the reason."""
    if not isinstance(block, dict) or not isinstance(block.get("file"), str):
        return None, "the record names no latency picture"
    name = block["file"]
    if Path(name).name != name or not name.endswith(".svg"):
        return None, f"the record's latency picture {name!r} is not a file beside it"
    path = record_dir / name
    try:
        if path.stat().st_size > MAX_BYTES:
            return None, f"{path} is larger than {MAX_BYTES} bytes"
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return None, f"{path} cannot be read: {exc.strerror or exc}"
    svg = sanitise_svg(text)
    return (svg, "") if svg else (None, f"{path} holds no <svg> element")

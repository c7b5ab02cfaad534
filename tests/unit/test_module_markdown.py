"""Lesson Markdown is rendered for phones and nothing in it can run script or restyle the page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from eportfolio.modules.markdown import render_markdown, sanitise_html

# Known XSS payloads, as staff could paste them into a lesson (Markdown and raw HTML).
XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">tap</a>',
    "[tap](javascript:alert(1))",
    "[tap](JaVaScRiPt:alert(1))",
    "[tap](&#106;avascript:alert(1))",
    "[tap]( javascript:alert(1))",
    "[tap](vbscript:msgbox(1))",
    "[tap](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](javascript:alert(1))",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<style>body{display:none}</style>",
    '<object data="https://evil.example/x.swf"></object>',
    "<math><mtext><script>alert(1)</script></mtext></math>",
    '<form action="https://evil.example"><input name=x></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '[tap](https://example.org "title" onclick=alert(1))',
]

DANGEROUS_TAGS = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "form",
    "input",
    "meta",
    "body",
}


class _Elements(HTMLParser):
    """The real elements and attributes of a fragment, as a browser would build them."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"{tag}[{name}]")
            if name in ("href", "src") and value is not None:
                scheme = "".join(value.split()).lower().split(":", 1)[0]
                if ":" in value and scheme in ("javascript", "vbscript", "data", "file"):
                    self.problems.append(f"{tag}[{name}={value}]")


def problems_in(html: str) -> list[str]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.problems


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_payload_in_markdown_is_neutralised(payload: str) -> None:
    html = render_markdown(f"Intro\n\n{payload}\n\nOutro")
    assert problems_in(html) == [], html
    assert "Outro" in html, "the rest of the lesson survives"


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_payload_as_raw_html_is_neutralised_by_the_second_layer(payload: str) -> None:
    # Even if the Markdown renderer ever let HTML through, nh3 removes the dangerous parts.
    html = sanitise_html(payload)
    assert problems_in(html) == [], html


def test_the_checker_itself_sees_danger() -> None:
    assert problems_in('<a href=" JavaScript:x">t</a><img src=x onerror=y><svg></svg>') == [
        "a[href= JavaScript:x]",
        "img[onerror]",
        "<svg>",
    ]
    escaped = "<p>&lt;img src=x onerror=alert(1)&gt;</p>"
    assert problems_in(escaped) == [], "escaped text is only text"


def test_script_content_is_dropped_not_shown_when_it_reaches_html() -> None:
    html = sanitise_html("<p>hi</p><script>alert(1)</script><svg><script>alert(2)</script></svg>")
    assert "alert" not in html


def test_ordinary_lesson_markdown_keeps_its_shape() -> None:
    html = render_markdown(
        "# Budget\n\nMake a **plan** with _small_ steps:\n\n1. income\n2. costs\n\n"
        "[Watch the video](https://video.example/budget) and "
        "![a wallet](/static/img/wallet.png)\n\n"
        "| week | amount |\n|---|---|\n| 1 | 20 |"
    )
    assert "<h2>Budget</h2>" in html, "a lesson heading never competes with the page title"
    assert "<strong>plan</strong>" in html
    assert "<em>small</em>" in html
    assert "<ol>\n<li>income</li>" in html
    assert '<a href="https://video.example/budget" rel="noopener noreferrer nofollow">' in html
    assert '<img src="/static/img/wallet.png" alt="a wallet">' in html
    assert "<table>" in html


def test_raw_html_in_markdown_is_shown_as_text() -> None:
    assert "&lt;b&gt;" in render_markdown("<b>bold?</b>")


def test_empty_body_renders_nothing() -> None:
    assert render_markdown("  \n") == ""

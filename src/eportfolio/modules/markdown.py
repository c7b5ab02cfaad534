"""Lesson text: Markdown written by staff, rendered by markdown-it-py and sanitised by nh3.

Two layers on purpose: markdown-it runs with raw HTML switched off (so ``<script>`` in a lesson is
shown as text), and nh3 then keeps only an allow-list of tags, attributes and URL schemes, so even
a renderer bug or a crafted link cannot put script, styles, frames or event handlers on the page.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h2",
        "h3",
        "h4",
        "strong",
        "em",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "img",
        "code",
        "pre",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
# No data:, javascript:, vbscript:, file:. Relative links (to our own pages) are kept by nh3.
ALLOWED_SCHEMES = frozenset({"https", "http", "mailto", "tel"})
# Removed together with everything inside them, not just unwrapped.
REMOVED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "svg", "math", "template"})


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    # "commonmark" with html off: raw HTML in the source is escaped, never passed through.
    options = {"html": False, "linkify": False, "typographer": False}
    return MarkdownIt("commonmark", options).enable("table")


def _shift_headings(html: str) -> str:
    # The page title is the only h1; a lesson's "# Heading" becomes h2.
    for level in (3, 2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 1}>")
        html = html.replace(f"</h{level}>", f"</h{level + 1}>")
    return html


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(source: str) -> str:
    """Safe HTML for a lesson body (an empty string for an empty body)."""
    if not source.strip():
        return ""
    return sanitise_html(_shift_headings(_renderer().render(source)))

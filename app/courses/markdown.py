"""Lesson Markdown to safe HTML: markdown-it-py (CommonMark plus tables and strikethrough) renders,
nh3 sanitises. What the practitioner previews is exactly what the patient gets.

Raw HTML in the Markdown is allowed through markdown-it on purpose (a `<details>` or `<mark>` is
handy in a lesson) and nh3 is the gate: an allow-list of tags and attributes, no scripts or styles
(their content is dropped too), no event handlers, and only http, https and mailto links. Inline
`style` attributes are dropped as well: the Content-Security-Policy would refuse them anyway. Images
must come from this site: one from another host would tell it who reads which lesson (and the CSP
blocks it).

A line holding only `{{emergency-steps}}` becomes the practice's anaphylaxis steps, read at render
time from the one canonical list (app.intake.red_flags.EMERGENCY_TITLE and EMERGENCY_STEPS), so a
lesson never carries its own copy that could drift out of order. It is expanded before sanitising,
like everything else on the page; inside a code span or block it stays literal text.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from app.intake import red_flags

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del", "ins",
    "mark", "small", "sub", "sup", "code", "pre", "kbd", "blockquote", "ul", "ol", "li", "dl", "dt", "dd",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "a", "img", "abbr", "details", "summary",
    "figure", "figcaption", "span", "div",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto"}
EXTERNAL_REL = "noopener noreferrer"

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"])
# nh3 writes every attribute as name="value" with quotes in values escaped, so an anchor's start
# tag is matched exactly (a ">" inside a quoted value does not end it).
_ANCHOR = re.compile(r'<a((?:\s+[^\s="<>]+="[^"]*")*)\s*>')
_HREF = re.compile(r'\shref="([^"]*)"')
EMERGENCY_PLACEHOLDER = "{{emergency-steps}}"
# markdown-it renders the placeholder line as a paragraph of its own; only that paragraph is replaced.
_EMERGENCY = re.compile(r"<p>\{\{emergency-steps\}\}</p>")


def render(source: str | None, top: int | None = None) -> Markup:
    """Markdown (as typed by the practitioner) to HTML that is safe to put in a page as it is.

    `top` is the heading level the text sits under plus one: the text's shallowest Markdown heading
    becomes that level and the others keep their distance from it (at most h6), so "###" typed
    under a lesson's h1 is an h2 and the page's outline has no gaps whatever level was typed."""
    # A module's quiz (a ```quiz block) is shown as a form by the lesson page, not as text.
    tokens = [token for token in _markdown.parse(source or "")
              if not (token.type == "fence" and token.info.strip() == "quiz")]
    if top is not None:
        _shift_headings(tokens, top)
    html = _EMERGENCY.sub(lambda _: emergency_steps_html(), _markdown.renderer.render(tokens, _markdown.options, {}))
    clean = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                      clean_content_tags={"script", "style"}, link_rel=None, strip_comments=True,
                      attribute_filter=_local_images)
    return Markup(_ANCHOR.sub(_mark_external, clean))


def emergency_steps_html() -> str:
    """The canonical emergency steps, in their order, as the HTML the placeholder stands for."""
    steps = "".join(f"<li>{escape(step)}</li>" for step in red_flags.EMERGENCY_STEPS)
    return f"<div><p><strong>{escape(red_flags.EMERGENCY_TITLE)}</strong></p><ol>{steps}</ol></div>"


def _shift_headings(tokens, top: int) -> None:
    headings = [t for t in tokens if t.type in ("heading_open", "heading_close")]
    if not headings:
        return
    shift = top - min(int(t.tag[1]) for t in headings)
    for token in headings:
        token.tag = f"h{max(1, min(6, int(token.tag[1]) + shift))}"


def is_external(href: str) -> bool:
    parts = urlsplit(href.replace("&amp;", "&"))
    return parts.scheme in ("http", "https") or (not parts.scheme and href.startswith("//"))


def _local_images(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and is_external(value):
        return None
    return value


def _mark_external(match: re.Match) -> str:
    attributes = match.group(1)
    href = _HREF.search(attributes)
    if href and is_external(href.group(1)):
        return f'<a{attributes} rel="{EXTERNAL_REL}">'
    return match.group(0)

"""Tenants' text (page blocks, posts) as Markdown, rendered to HTML that is safe on their site.

Two steps: markdown-it (CommonMark, plus tables and strikethrough) with raw HTML turned off, so
HTML typed into the text shows as text; then nh3 keeps only an allow-list of tags and
attributes. Links may go to http(s), mailto and tel addresses or to paths on the site; links
elsewhere get ``rel="noopener nofollow"``. Images only from the site's own ``/media/...``
(the site's CSP allows only same-origin images; any other image is left out). Headings start
at h2, since the page has its own h1. Plain text without any Markdown comes out as paragraphs.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from db.messages import N_

HELP = N_("Formatting: **bold**, *italic*, ## heading, - list, [link](https://…)")

TAGS = {
    "p", "h2", "h3", "h4", "strong", "em", "ul", "ol", "li", "a", "blockquote", "code", "pre",
    "br", "hr", "img", "s", "table", "thead", "tbody", "tr", "th", "td",
}
ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt", "width", "height"}, "ol": {"start"}}
EXTERNAL_REL = "noopener nofollow"
URL_SCHEMES = {"http", "https", "mailto", "tel"}
MEDIA_PATH = re.compile(r"/media/[A-Za-z0-9][A-Za-z0-9._-]*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_NUMBER = re.compile(r"[0-9]{1,5}")
LOWEST_HEADING, HIGHEST_HEADING = 2, 4


def is_site_image(src: str) -> bool:
    """Whether ``src`` is an uploaded file of the site itself: ``/media/<storage name>``."""
    return MEDIA_PATH.fullmatch(src) is not None


def is_external(href: str) -> bool:
    return href.startswith("//") or _SCHEME.match(href) is not None


def _heading(renderer, tokens, idx, options, env):
    """h1 becomes h2 and anything below h4 becomes h4 (opening and closing tags alike)."""
    token = tokens[idx]
    level = min(max(int(token.tag[1]), LOWEST_HEADING), HIGHEST_HEADING)
    token.tag = f"h{level}"
    return renderer.renderToken(tokens, idx, options, env)


def _link_open(renderer, tokens, idx, options, env):
    token = tokens[idx]
    if is_external(token.attrGet("href") or ""):
        token.attrSet("rel", EXTERNAL_REL)
    return renderer.renderToken(tokens, idx, options, env)


def _image(renderer, tokens, idx, options, env):
    """Only the site's own images; any other is left out, as the site could not show it."""
    if not is_site_image(tokens[idx].attrGet("src") or ""):
        return ""
    return renderer.image(tokens, idx, options, env)


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    for rule in ("heading_open", "heading_close"):
        parser.add_render_rule(rule, _heading)
    parser.add_render_rule("link_open", _link_open)
    parser.add_render_rule("image", _image)
    return parser


_PARSER = _parser()


def _attribute(tag: str, name: str, value: str) -> str | None:
    if tag == "img" and name == "src":
        return value if is_site_image(value) else None
    if tag == "img" and name in ("width", "height"):
        return value if _NUMBER.fullmatch(value) else None
    return value


def clean(html: str) -> str:
    """HTML reduced to the allow-list (a second line of defence behind the renderer)."""
    return nh3.clean(
        html, tags=TAGS, attributes=ATTRIBUTES, attribute_filter=_attribute,
        url_schemes=URL_SCHEMES, link_rel=None, clean_content_tags={"script", "style"},
        tag_attribute_values={"a": {"rel": {EXTERNAL_REL}}},
    )


def render(text) -> Markup:
    """``text`` (Markdown; anything not a string counts as empty) as sanitised HTML."""
    if not isinstance(text, str) or not text.strip():
        return Markup("")
    html = clean(_PARSER.render(text))
    return Markup(html)  # noqa: S704  # nosec B704: cleaned by nh3 to the allow-list above

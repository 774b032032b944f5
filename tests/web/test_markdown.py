"""Tenants' Markdown as it reaches their site: formatted, and never carrying scripts."""

import re

import pytest
from markupsafe import Markup

from tenants.markdown import render


def test_plain_text_still_shows_as_paragraphs():
    assert render("First paragraph.\n\nSecond one.") == "<p>First paragraph.</p>\n<p>Second one.</p>\n"
    assert isinstance(render("x"), Markup)
    assert render("") == "" and render(None) == "" and render(["not", "text"]) == ""


def test_the_formatting_the_help_line_names():
    html = render("**bold**, *italic*\n\n## heading\n\n- one\n- two\n\n[link](https://example.com/a)")
    assert "<strong>bold</strong>, <em>italic</em>" in html
    assert "<h2>heading</h2>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert '<a href="https://example.com/a" rel="noopener nofollow">link</a>' in html


def test_headings_start_below_the_pages_own_h1():
    html = render("# Top\n\n## Second\n\n### Third\n\n###### Tiny")
    assert "<h1" not in html
    assert "<h2>Top</h2>" in html and "<h2>Second</h2>" in html
    assert "<h3>Third</h3>" in html and "<h4>Tiny</h4>" in html


def test_raw_html_is_shown_as_text():
    html = render("Hello <b>there</b> <script>alert(1)</script>")
    assert "<b>" not in html and "<script" not in html
    assert "&lt;b&gt;there&lt;/b&gt;" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("source", [
    "<img src=/media/a.png onerror=alert(1)>",
    '<a href="/x" onclick="alert(1)">x</a>',
    "<div onmouseover=alert(1)>hover</div>",
])
def test_no_event_handlers_survive(source):
    html = render(source)
    assert "<img" not in html and "<a " not in html and "<div" not in html  # shown as text
    assert html.startswith("<p>&lt;")


@pytest.mark.parametrize("href", [
    "javascript:alert(1)", "JavaScript:alert(1)", "vbscript:msgbox(1)", "data:text/html,<b>x</b>",
    "jav&#x09;ascript:alert(1)",
])
def test_script_links_are_not_links(href):
    html = render(f"[click]({href})")
    assert not re.search(r'href="(javascript|vbscript|data):', html, re.IGNORECASE), html


def test_links_allowed_and_marked():
    html = render("[a](/contact) [b](https://x.example) [c](mailto:hi@x.example) [d](tel:+3120123)")
    assert '<a href="/contact">a</a>' in html  # the site's own pages are followed as usual
    assert '<a href="https://x.example" rel="noopener nofollow">b</a>' in html
    assert 'href="mailto:hi@x.example"' in html and 'href="tel:+3120123"' in html


def test_only_the_sites_own_images_are_kept():
    html = render("![ours](/media/abc123.png)\n\n![theirs](https://tracker.example/p.gif)\n\n"
                  "![sneaky](//tracker.example/p.gif)\n\n![up](/media/../admin)\n\n"
                  "![data](data:image/png;base64,AAAA)")
    assert '<img src="/media/abc123.png" alt="ours">' in html
    assert html.count("<img") == 1
    assert "tracker" not in html and "admin" not in html and "data:" not in html


def test_tables_and_code_keep_their_shape_but_not_their_markup():
    html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n```\n<script>x</script>\n```")
    assert "<table>" in html and "<td>1</td>" in html
    assert "<pre><code>&lt;script&gt;x&lt;/script&gt;\n</code></pre>" in html

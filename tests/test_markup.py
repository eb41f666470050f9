"""Tests for forum.markup, the single Markdown -> HTML pipeline.

Two kinds of tests: what ordinary Markdown looks like after the pipeline, and that hostile
input never yields active content.  Hostile input is checked twice: through render() (where
raw HTML is off, so most payloads become visible text) and straight through the sanitiser
(the backstop, in case raw HTML ever reaches it).  bleach, a test-only dependency, gives a
second opinion on the final markup.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import bleach
import pytest
from markupsafe import Markup

from forum import markup
from forum.markup import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    ALLOWED_URL_SCHEMES,
    LINK_REL,
    RENDERER_VERSION,
    plain_text,
    quote,
    render,
)

# --- Helpers ---------------------------------------------------------------------------------

Token = tuple[str, ...]


class _Tokens(HTMLParser):
    """Parse HTML into comparable tokens; attributes sorted, text unescaped and merged."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[Token] = []
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        self.tokens.append(("start", tag, *(f"{k}={v}" for k, v in sorted(attributes.items()))))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("end", tag))

    def handle_data(self, data: str) -> None:
        if self.tokens and self.tokens[-1][0] == "data":
            data = self.tokens.pop()[1] + data
        self.tokens.append(("data", data))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def parse(html: str) -> _Tokens:
    parser = _Tokens()
    parser.feed(html)
    parser.close()
    return parser


def hrefs(html: str) -> list[str]:
    return [attrs.get("href", "") for tag, attrs in parse(html).elements if tag == "a"]


def assert_safe(html: str) -> None:
    """Nothing in ``html`` can run script or load from an unapproved place."""
    assert "<script" not in html.lower()
    parsed = parse(html)
    assert parsed.comments == []
    for tag, attrs in parsed.elements:
        assert tag in ALLOWED_TAGS, tag
        allowed = ALLOWED_ATTRIBUTES.get(tag, frozenset()) | ({"rel"} if tag == "a" else set())
        for name, value in attrs.items():
            assert name in allowed, (tag, name)
            assert not name.startswith("on"), (tag, name)
            # Browsers ignore tab/CR/LF inside URLs, so "java\tscript:" counts as "javascript:".
            squeezed = value.lower().translate({9: None, 10: None, 13: None})
            for bad in ("javascript:", "vbscript:", "data:", "onerror", "onload"):
                assert bad not in squeezed, (tag, name, value)
        if tag == "a":
            assert attrs.get("rel") == LINK_REL
        if tag == "img":
            src = attrs.get("src", "")
            # Only images of the forum itself: another server would learn who reads the post.
            assert src.startswith("/"), src
            assert not src.startswith(("//", "/\\")), src


# --- Ordinary Markdown -----------------------------------------------------------------------


def test_public_constants() -> None:
    assert isinstance(RENDERER_VERSION, int)
    assert RENDERER_VERSION >= 1


@pytest.mark.parametrize("source", ["Hej", "", "<b>x</b>", "**fed**"])
def test_render_returns_markup(source: str) -> None:
    out = render(source)
    assert isinstance(out, Markup)
    # Markup is not escaped again when dropped into a template.
    assert Markup("<div>{}</div>").format(out) == f"<div>{out}</div>"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("# Titel", "<h1>Titel</h1>"),
        ("## Titel", "<h2>Titel</h2>"),
        ("### Titel", "<h3>Titel</h3>"),
        ("###### Titel", "<h6>Titel</h6>"),
        ("Titel\n=====", "<h1>Titel</h1>"),
        ("Titel\n-----", "<h2>Titel</h2>"),
        ("# Æbler & pærer", "<h1>Æbler &amp; pærer</h1>"),
    ],
)
def test_headings(source: str, expected: str) -> None:
    assert render(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        ("* a\n* b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        ("1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>"),
        # sane_lists keeps the author's first number.
        ("3. a\n4. b", '<ol start="3">\n<li>a</li>\n<li>b</li>\n</ol>'),
        (
            "- a\n    - b",
            "<ul>\n<li>a<ul>\n<li>b</li>\n</ul>\n</li>\n</ul>",
        ),
        # sane_lists: a change of list type starts a new list instead of merging.
        ("1. a\n\n- b", "<ol>\n<li>a</li>\n</ol>\n<ul>\n<li>b</li>\n</ul>"),
    ],
)
def test_lists(source: str, expected: str) -> None:
    assert render(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("*kursiv*", "<p><em>kursiv</em></p>"),
        ("_kursiv_", "<p><em>kursiv</em></p>"),
        ("**fed**", "<p><strong>fed</strong></p>"),
        ("__fed__", "<p><strong>fed</strong></p>"),
        ("***begge***", "<p><strong><em>begge</em></strong></p>"),
        ("snake_case_navn", "<p>snake_case_navn</p>"),
        (r"\*ikke kursiv\*", "<p>*ikke kursiv*</p>"),
    ],
)
def test_emphasis(source: str, expected: str) -> None:
    assert render(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # nl2br: a single newline is a line break, as people expect in a forum.
        ("linje 1\nlinje 2", "<p>linje 1<br>\nlinje 2</p>"),
        ("afsnit 1\n\nafsnit 2", "<p>afsnit 1</p>\n<p>afsnit 2</p>"),
        ("over\n\n---\n\nunder", "<p>over</p>\n<hr>\n<p>under</p>"),
        ("> citat", "<blockquote>\n<p>citat</p>\n</blockquote>"),
        # No smarty: quotes, dashes and dots stay as typed.
        ('"citat" -- og ...', '<p>"citat" -- og ...</p>'),
    ],
)
def test_paragraphs_breaks_and_no_smarty(source: str, expected: str) -> None:
    assert render(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "```python\nif a < b and c > d:\n    print('<b>&amp;</b>')\n```",
            (
                '<pre><code class="language-python">if a &lt; b and c &gt; d:\n'
                "    print('&lt;b&gt;&amp;amp;&lt;/b&gt;')\n</code></pre>"
            ),
        ),
        (
            "~~~\n<script>alert(1)</script>\n~~~",
            "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>",
        ),
        ("    <i>indrykket</i>", "<pre><code>&lt;i&gt;indrykket&lt;/i&gt;\n</code></pre>"),
        ("Brug `<br>` her", "<p>Brug <code>&lt;br&gt;</code> her</p>"),
        (
            "```\n</code></pre><script>alert(1)</script>\n```",
            "<pre><code>&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>",
        ),
    ],
)
def test_code_blocks_escape_html(source: str, expected: str) -> None:
    assert render(source) == expected


def test_table_with_alignment() -> None:
    source = "| Kommune | Sager |\n|:--|--:|\n| Aarhus | 12 |\n| Ærø | 1 |"
    assert render(source) == (
        "<table>\n<thead>\n<tr>\n"
        '<th align="left">Kommune</th>\n<th align="right">Sager</th>\n'
        "</tr>\n</thead>\n<tbody>\n<tr>\n"
        '<td align="left">Aarhus</td>\n<td align="right">12</td>\n'
        "</tr>\n<tr>\n"
        '<td align="left">Ærø</td>\n<td align="right">1</td>\n'
        "</tr>\n</tbody>\n</table>"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Raw HTML is shown, not interpreted and not silently dropped.
        ("<b>fed</b>", "<p>&lt;b&gt;fed&lt;/b&gt;</p>"),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("<div>\nblok\n</div>", "<p>&lt;div&gt;<br>\nblok<br>\n&lt;/div&gt;</p>"),
        ("<!-- hemmelig -->", "<p>&lt;!-- hemmelig --&gt;</p>"),
        ("1 < 2 & 3 > 2", "<p>1 &lt; 2 &amp; 3 &gt; 2</p>"),
        ("&lt;b&gt; og &amp;", "<p>&lt;b&gt; og &amp;</p>"),
    ],
)
def test_raw_html_is_visible_text(source: str, expected: str) -> None:
    assert render(source) == expected


# --- Links -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected_hrefs"),
    [
        ("Se https://kl.dk/rapport.", ["https://kl.dk/rapport"]),
        ("Se http://kl.dk i dag", ["http://kl.dk"]),
        ("(se https://kl.dk/side)", ["https://kl.dk/side"]),
        ("https://da.wikipedia.org/wiki/Foo_(bar)", ["https://da.wikipedia.org/wiki/Foo_(bar)"]),
        ("Hvad med https://kl.dk/?", ["https://kl.dk/"]),
        ("**https://x.dk/a_b_c**", ["https://x.dk/a_b_c"]),
        ("https://x.dk/?a=1&b=2", ["https://x.dk/?a=1&b=2"]),
        ("to: https://a.dk, https://b.dk;", ["https://a.dk", "https://b.dk"]),
        ("linje\nhttps://kl.dk\nlinje", ["https://kl.dk"]),
        ("<https://kl.dk>", ["https://kl.dk"]),
        ("[KL](https://kl.dk)", ["https://kl.dk"]),
        ("[https://a.dk](https://b.dk)", ["https://b.dk"]),  # never a link inside a link
        ("[se https://a.dk her](https://b.dk)", ["https://b.dk"]),
        # Another server's image becomes one link to it (its URL is not linked twice).
        ("![logo](https://kl.dk/logo.png)", ["https://kl.dk/logo.png"]),
        ("`https://kl.dk`", []),
        ("```\nhttps://kl.dk\n```", []),
        ("    https://kl.dk", []),
        ("xhttps://kl.dk", []),
        ("https://", []),
        ("ftp://kl.dk", []),
    ],
)
def test_autolinks(source: str, expected_hrefs: list[str]) -> None:
    assert hrefs(render(source)) == expected_hrefs


def test_autolink_keeps_sentence_punctuation_outside() -> None:
    assert render("Se https://kl.dk.") == (
        f'<p>Se <a href="https://kl.dk" rel="{LINK_REL}">https://kl.dk</a>.</p>'
    )


@pytest.mark.parametrize(
    "source",
    [
        "[KL](https://kl.dk)",
        "[KL](https://kl.dk 'Kommunernes Landsforening')",
        "https://kl.dk",
        "<https://kl.dk>",
        "[skriv](mailto:a@kl.dk)",
        "<a@kl.dk>",
        "[emne](/t/kvalitet-i-familiepleje)",
        "[KL][1]\n\n[1]: https://kl.dk",
        "[ondt](javascript:alert(1))",
    ],
)
def test_every_link_gets_rel(source: str) -> None:
    elements = parse(render(source)).elements
    links = [attrs for tag, attrs in elements if tag == "a"]
    assert len(links) == 1
    assert links[0]["rel"] == LINK_REL


def test_link_title_kept() -> None:
    assert render('[KL](https://kl.dk "Forsiden")') == (
        f'<p><a href="https://kl.dk" title="Forsiden" rel="{LINK_REL}">KL</a></p>'
    )


# --- Images ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("![Logo](/static/logo.png)", '<p><img alt="Logo" src="/static/logo.png"></p>'),
        (
            '![Logo](/static/logo.png "Titel")',
            '<p><img alt="Logo" src="/static/logo.png" title="Titel"></p>',
        ),
        # Another server's image would tell it who reads the post: a link to it instead.
        (
            "![Logo](https://kl.dk/logo.png)",
            f'<p><a href="https://kl.dk/logo.png" rel="{LINK_REL}">Logo</a></p>',
        ),
        (
            '![Logo](https://kl.dk/logo.png "Titel")',
            f'<p><a href="https://kl.dk/logo.png" rel="{LINK_REL}">Logo</a></p>',
        ),
        (
            "![](https://kl.dk/a.png?x=1&y=2)",
            f'<p><a href="https://kl.dk/a.png?x=1&amp;y=2" rel="{LINK_REL}">'
            "https://kl.dk/a.png?x=1&amp;y=2</a></p>",
        ),
        (
            '![a "b" <c>](https://x.example/a.png)',
            f'<p><a href="https://x.example/a.png" rel="{LINK_REL}">'
            "a &quot;b&quot; &lt;c&gt;</a></p>",
        ),
        # Inside a link it cannot become a second link: its text stays in the outer one.
        (
            "[![Logo](https://kl.dk/logo.png)](https://kl.dk)",
            f'<p><a href="https://kl.dk" rel="{LINK_REL}">Logo</a></p>',
        ),
        (
            "[![Logo](/static/logo.png)](https://kl.dk)",
            f'<p><a href="https://kl.dk" rel="{LINK_REL}">'
            '<img alt="Logo" src="/static/logo.png"></a></p>',
        ),
        # Refused sources: the image goes, its description stays readable.
        ("![Logo](http://kl.dk/logo.png)", "<p>Logo</p>"),
        ("![Logo](//evil.example/pixel.gif)", "<p>Logo</p>"),
        ("![Logo](/\\evil.example/pixel.gif)", "<p>Logo</p>"),
        ("![Logo](data:image/png;base64,iVBORw0KGgo=)", "<p>Logo</p>"),
        ("![Logo](javascript:alert(1))", "<p>Logo</p>"),
        ("![Logo](ftp://kl.dk/logo.png)", "<p>Logo</p>"),
        ("![Logo](logo.png)", "<p>Logo</p>"),  # relative to an unknown page: refused
        ("![<b>x</b>](http://kl.dk/x.png)", "<p>&lt;b&gt;x&lt;/b&gt;</p>"),
        ("![](http://tracker.example/p.gif)", "<p></p>"),
        ('![a "b" <c>](http://x.example/a.png)', "<p>a &quot;b&quot; &lt;c&gt;</p>"),
    ],
)
def test_images(source: str, expected: str) -> None:
    out = render(source)
    assert out == expected
    assert_safe(out)


# --- Hostile input ---------------------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="https://ok.example/a.png" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x]( javascript:alert(1))",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
    "![x](javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<form action="https://evil.example"><input name="p"></form>',
    '<p onclick="alert(1)" onmouseover="alert(1)">x</p>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<!-- <script>alert(1)</script> -->",
    "`<script>alert(1)</script>`",
    '[x](https://ok.example "t\\" onmouseover=\\"alert(1)")',
    '![x](https://ok.example/a.png" onerror="alert(1))',
    "[<svg onload=alert(1)>](https://ok.example)",
    "![http://tracker.example/p.gif](http://tracker.example/p.gif)",
    "![x](//evil.example/p.gif)",
    '<img src="//evil.example/p.gif">',
    "\x02klzzwxh:0\x03```\nx\n```",  # Python-Markdown's placeholder syntax
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_render(payload: str) -> None:
    assert_safe(render(payload))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_sanitiser_backstop(payload: str) -> None:
    # As if raw HTML had been switched back on: the allowlist alone must hold.
    assert_safe(markup._sanitise(payload))


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("<script>alert(1)</script>ok", "ok"),
        ("<style>p{}</style>ok", "ok"),
        ("<!-- c -->ok", "ok"),
        ('<a href="java script:alert(1)">x</a>', f'<a rel="{LINK_REL}">x</a>'),
        ('<a href="/t/emne">x</a>', f'<a href="/t/emne" rel="{LINK_REL}">x</a>'),
        ('<p onclick="x" class="y" id="z" style="w">ok</p>', "<p>ok</p>"),
        ('<img src="http://x.example/a.png" alt="a<b>">', "a&lt;b&gt;"),
        ('<img src="//x.example/a.png">', ""),
        ('<a title="<img x>">t</a>', f'<a title="&lt;img x&gt;" rel="{LINK_REL}">t</a>'),
        ('<img src="/\t/x.example/a.png">', ""),
        ('<img src="/static/a.png" width="1" height="1">', '<img src="/static/a.png">'),
        (
            '<img src="HTTPS://x.example/a.png">',
            f'<a href="HTTPS://x.example/a.png" rel="{LINK_REL}">HTTPS://x.example/a.png</a>',
        ),
        (
            '<a title="&quot;<img src=&quot;https://x.example/a.png&quot;>">t</a>',
            f'<a title="&quot;&lt;img src=&quot;https://x.example/a.png&quot;&gt;" '
            f'rel="{LINK_REL}">t</a>',
        ),
        ('<code class="language-py evil">x</code>', '<code class="language-py">x</code>'),
        ('<code class="evil">x</code>', "<code>x</code>"),
        (
            '<table><tr><td align="justify">x</td></tr></table>',
            "<table><tbody><tr><td>x</td></tr></tbody></table>",
        ),
        ('<ol start="-1"><li>x</li></ol>', "<ol><li>x</li></ol>"),
        (
            '<a href="https://x.example" rel="opener" target="_blank">x</a>',
            f'<a href="https://x.example" rel="{LINK_REL}">x</a>',
        ),
        (
            "<h1>x</h1><del>y</del><s>z</s><b>b</b><i>i</i>",
            "<h1>x</h1><del>y</del><s>z</s><b>b</b><i>i</i>",
        ),
    ],
)
def test_sanitiser_values(fragment: str, expected: str) -> None:
    assert markup._sanitise(fragment) == expected


# --- Second opinion --------------------------------------------------------------------------

RICH_SOURCE = (
    "# Møde i netværket\n\n"
    "Vi ses **tirsdag** kl. 10 på https://kl.dk/moede, se [programmet](/static/program.pdf).\n"
    "Spørgsmål? <a@kl.dk>\n\n"
    "1. Velkomst\n2. *Oplæg*\n\n"
    "> Bo skrev:\n> Godt initiativ\n\n"
    "| Punkt | Tid |\n|:--|--:|\n| Oplæg | 30 |\n\n"
    "```python\nprint('<b>' & \"x\")\n```\n\n"
    '![Kort](https://kl.dk/kort.png "Kort") ![Lokalt](/static/a.png)\n\n'
    "---\n\n`kode` og tekst med \"citater\" og 'apostroffer' & ampersand."
)


def _bleach_second_opinion(html: str) -> str:
    # bleach (html5lib) is an independent sanitiser.  Same allowlists; "rel" is allowed on
    # <a> only because nh3 adds it itself (link_rel).  bleach 6.4 imports and cleans without
    # warnings here, so no local filterwarnings is needed despite warnings-as-errors.
    attributes = {tag: sorted(names) for tag, names in ALLOWED_ATTRIBUTES.items()}
    attributes["a"] = [*attributes["a"], "rel"]
    return bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=attributes,
        protocols=ALLOWED_URL_SCHEMES,
        strip=True,
        strip_comments=True,
    )


@pytest.mark.parametrize("source", [RICH_SOURCE, *XSS_PAYLOADS])
def test_bleach_finds_nothing_to_remove(source: str) -> None:
    out = str(render(source))
    # Compare parsed tokens so serialisation details (attribute order, quoting) do not count.
    assert parse(_bleach_second_opinion(out)).tokens == parse(out).tokens


def test_rich_source_uses_the_whole_allowlist_safely() -> None:
    out = render(RICH_SOURCE)
    assert_safe(out)
    tags = {tag for tag, _ in parse(out).elements}
    assert {"h1", "a", "ol", "blockquote", "table", "pre", "code", "img", "hr"} <= tags


# --- Robustness ------------------------------------------------------------------------------


def test_control_characters_are_removed() -> None:
    assert render("a\x00b\x02c\x03d\x1be") == "<p>abcde</p>"


def test_pathological_nesting_falls_back_to_text() -> None:
    source = "- " * 3000 + "<b>x</b>"
    out = render(source)  # Python-Markdown itself raises RecursionError on this
    assert out.startswith("<p>- - - ")
    assert out.endswith("&lt;b&gt;x&lt;/b&gt;</p>")
    assert render("*ok*") == "<p><em>ok</em></p>"  # the thread's renderer still works


def test_plain_text_survives_pathological_nesting() -> None:
    source = "*" * 2000 + "ord" + "*" * 2000  # nests deeper than Python's recursion limit
    assert plain_text(source) == "ord"


def test_threads_render_independently() -> None:
    sources = [
        f"# Emne {i}\n\n- punkt *{i}*\n- https://kl.dk/{i}\n\n```\n{i}\n```" for i in range(40)
    ]
    expected = [str(render(s)) for s in sources]
    seen_threads: set[int] = set()
    # The first four tasks wait for each other, so four threads certainly render at once.
    barrier = threading.Barrier(4, timeout=10)

    def work(source: str) -> str:
        seen_threads.add(threading.get_ident())
        return str(render(source))

    def work_together(source: str) -> str:
        barrier.wait()
        return work(source)

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(work_together, sources[:4])) == expected[:4]
        for _ in range(5):
            assert list(pool.map(work, sources)) == expected
    assert len(seen_threads) == 4


# --- quote() ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("Hej\nmed dig", "Anne Hansen", "> **Anne Hansen skrev:**\n> Hej\n> med dig\n\n"),
        ("a\n\nb", "Bo", "> **Bo skrev:**\n> a\n>\n> b\n\n"),
        ("a\r\nb\r\n", "Bo", "> **Bo skrev:**\n> a\n> b\n\n"),
        ("\n\n  \na  \n\n", "Bo", "> **Bo skrev:**\n> a\n\n"),
        ("", "Bo", "> **Bo skrev:**\n\n"),
        ("> tidligere", "Bo", "> **Bo skrev:**\n> > tidligere\n\n"),
        ("x", "Anne-Marie Ø. Jensen", "> **Anne-Marie Ø. Jensen skrev:**\n> x\n\n"),
        ("x", "Anne *B* [x]", "> **Anne \\*B\\* \\[x\\] skrev:**\n> x\n\n"),
        ("x", "  Anne\n Hansen ", "> **Anne Hansen skrev:**\n> x\n\n"),
        ("    kode", "Bo", "> **Bo skrev:**\n>\n>     kode\n\n"),
        ("```\nkode\n```", "Bo", "> **Bo skrev:**\n>\n>     kode\n\n"),
        ("```\nikke lukket", "Bo", "> **Bo skrev:**\n> ```\n> ikke lukket\n\n"),
    ],
)
def test_quote(text: str, name: str, expected: str) -> None:
    assert quote(text, name) == expected


def test_quote_renders_as_blockquote() -> None:
    out = render(quote("Godt **initiativ**\n\nMvh", "Anne *B*") + "Enig!")
    assert out == (
        "<blockquote>\n<p><strong>Anne *B* skrev:</strong><br>\n"
        "Godt <strong>initiativ</strong></p>\n<p>Mvh</p>\n</blockquote>\n<p>Enig!</p>"
    )


def test_quote_of_quote_nests() -> None:
    out = render(quote(quote("Oprindeligt", "Bo"), "Anne"))
    assert out.count("<blockquote>") == 2
    assert "Oprindeligt" in out


def test_quote_keeps_code_blocks() -> None:
    # Python-Markdown cannot see a fence behind "> ", so quote() re-indents it.
    out = render(quote("Se:\n\n```python\nif a < b:\n    pass\n```\nslut", "Bo"))
    assert "<pre><code>if a &lt; b:\n    pass\n</code></pre>" in out
    assert out.startswith("<blockquote>") and out.endswith("</blockquote>")


def test_quote_name_cannot_inject_html() -> None:
    out = render(quote("x", "<script>alert(1)</script>"))
    assert_safe(out)
    assert "&lt;script&gt;" in out


# --- plain_text() ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("", ""),
        ("**fed** og _kursiv_", "fed og kursiv"),
        ("# Titel\n\nTekst", "Titel\n\nTekst"),
        ("linje 1\nlinje 2", "linje 1\nlinje 2"),
        ("- a\n- b", "- a\n- b"),
        ("3. a\n4. b", "3. a\n4. b"),
        ("- a\n    1. b\n    2. c\n- d", "- a\n  1. b\n  2. c\n- d"),
        ("[KL](https://kl.dk)", "KL (https://kl.dk)"),
        ("Se https://kl.dk.", "Se https://kl.dk."),
        ("[emne](/t/x)", "emne"),
        ("> citat\n> mere\n\nsvar", "> citat\n> mere\n\nsvar"),
        ("<b>x</b> &amp; y & z", "<b>x</b> & y & z"),  # as shown on the page
        ("![Diagram](https://kl.dk/a.png)", "Diagram (https://kl.dk/a.png)"),  # a link now
        ("![Diagram](http://kl.dk/a.png)", "Diagram"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a | b\n1 | 2"),
        ("```\n  kode  her\n```", "  kode  her"),
        ("før\n\n---\n\nefter", "før\n\n---\n\nefter"),
        ("`<i>`", "<i>"),
    ],
)
def test_plain_text(source: str, expected: str) -> None:
    assert plain_text(source) == expected


@pytest.mark.parametrize(
    ("source", "limit", "expected"),
    [
        ("Kvalitet i familiepleje", 100, "Kvalitet i familiepleje"),
        ("Kvalitet i familiepleje", 23, "Kvalitet i familiepleje"),
        ("Kvalitet i familiepleje", 22, "Kvalitet i…"),
        ("Kvalitet i familiepleje", 12, "Kvalitet i…"),
        ("Kvalitet i familiepleje", 11, "Kvalitet i…"),
        ("Kvalitet i familiepleje", 10, "Kvalitet…"),
        ("Hej, verden", 7, "Hej…"),
        ("Supercalifragilistisk", 6, "Super…"),
        ("Kvalitet", 1, "…"),
        ("**Fed** tekst her", 9, "Fed…"),
        ("Første afsnit\n\nAndet afsnit", 20, "Første afsnit…"),
    ],
)
def test_plain_text_limit(source: str, limit: int, expected: str) -> None:
    out = plain_text(source, limit)
    assert out == expected
    assert len(out) <= limit


@pytest.mark.parametrize("limit", [0, -5])
def test_plain_text_rejects_silly_limit(limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        plain_text("x", limit)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_plain_text_of_every_payload_is_bounded_text(payload: str) -> None:
    # (render's output for these is checked by test_xss_render.)
    full = plain_text(payload)
    short = plain_text(payload, 40)
    assert len(short) <= 40
    if len(full) <= 40:
        assert short == full
    else:  # cut, and said so
        assert short.endswith("…") and full.startswith(short[:-1])
    # Text for e-mails and excerpts: no control characters but the line breaks.
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", full), full


@pytest.mark.parametrize("payload", [p for p in XSS_PAYLOADS if p.startswith(("[", "!["))])
def test_plain_text_has_no_refused_urls(payload: str) -> None:
    # Excerpts come from the sanitised HTML, so refused link targets never reappear.
    out = plain_text(payload).lower()
    assert "(javascript:" not in out
    assert "(data:" not in out


def test_unmatched_brackets_are_counted_in_one_pass() -> None:
    assert markup.unmatched_brackets("[a](b) [c] [") == 1
    assert markup.unmatched_brackets("]][[") == 2
    assert markup.unmatched_brackets("[[x]]") == 0
    assert markup.unmatched_brackets("x" * 100_000) == 0


def test_unmatched_brackets_before_a_long_text_are_shown_as_text() -> None:
    """Each "[" that never closes makes Python-Markdown scan the rest of the text again: 400
    of them before 30,000 letters took ~6 s. Past the budget they are escaped (STYLE rule 15)."""
    hostile = "[" * 400 + "ord " * 7500
    assert markup.unmatched_brackets(hostile) * len(hostile) > markup.MAX_BRACKET_SCAN
    html = str(markup.render(hostile))
    assert html.startswith("<p>" + "[" * 400)
    # A long post full of real links keeps them: links close their brackets.
    links = ("[oplæg](https://example.dk/x) " + "ord " * 12) * 400
    assert markup.unmatched_brackets(links) == 0
    assert str(markup.render(links)).count("<a ") == 400

"""The one place where user text becomes HTML.

Every post, reply and profile text goes through :func:`render` and nothing else, so there is
exactly one pipeline to audit:

1. Python-Markdown turns the source into HTML, with raw HTML switched off.  We do not drop
   raw HTML, we show it: ``<script>`` typed by a user appears as the visible text
   ``<script>``, which is what people pasting snippets expect and leaves nothing to smuggle.
2. nh3 (ammonia) then sanitises the result against an explicit allowlist of tags, attributes
   and URL schemes.  Markdown alone is not a sanitiser: ``[x](javascript:...)`` is valid
   Markdown, so the allowlist is the real security boundary and Markdown merely decides what
   the well-formed output looks like.

Images are limited to ``https://`` and to paths on this site, so a post cannot make the
reader's browser fetch from plain-HTTP or protocol-relative hosts.

:func:`quote` and :func:`plain_text` are built on the same pipeline so replies, excerpts,
e-mails and the search index all agree with what the post shows.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from html.parser import HTMLParser
from xml.etree.ElementTree import Element

import markdown
import nh3
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString
from markupsafe import Markup

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "ALLOWED_URL_SCHEMES",
    "LINK_REL",
    "MAX_MENTIONS",
    "RENDERER_VERSION",
    "highlighted",
    "mentions",
    "plain_text",
    "quote",
    "render",
]

# Posts cache their rendered HTML together with this number; bump it whenever a change here
# alters the output for existing sources, so stale caches are re-rendered.
# 2: images from other servers became links (reading a post must not tell them who reads it).
RENDERER_VERSION: int = 2

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "hr",
        "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "em", "b", "i", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li",
        "a", "img",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip

# Attribute *names* allowed per tag.  Values are narrowed further in _filter_attribute.
# Deliberately no class/style/id anywhere except code[class] for the language hint and
# a[class] for "mention" (an @username link, see _MentionProcessor).
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title", "class"}),
    "img": frozenset({"src", "alt", "title"}),
    "th": frozenset({"align"}),
    "td": frozenset({"align"}),
    "ol": frozenset({"start"}),
    "code": frozenset({"class"}),
}

ALLOWED_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

# Every link points off the post to somewhere a member chose: search engines should not
# credit it, and the target gets neither window.opener nor the (members-only) referring URL.
LINK_REL = "nofollow noopener noreferrer"

# Browsers drop tabs/newlines inside URLs and treat "\" like "/", so "/\tevil" or "/\evil"
# would become the protocol-relative "//evil".  Reject whitespace, controls and backslashes.
_URL_BODY = r"[^\s\\\x00-\x1f\x7f]"
_IMAGE_SRC = re.compile(rf"(?:https://{_URL_BODY}+|/(?![/\\]){_URL_BODY}*)\Z", re.IGNORECASE)
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}\Z")
_ALIGN_VALUES = frozenset({"left", "center", "right"})
_LIST_START = re.compile(r"[0-9]{1,9}\Z")
_URL_NOISE = re.compile(r"[\x00-\x20\x7f-\xa0\s]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")

# C0 controls (other than tab/newline/CR) and DEL have no business in a post; STX/ETX in
# particular are Python-Markdown's placeholder delimiters.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- Markdown -------------------------------------------------------------------------------

# A bare http(s) URL in running text.  The lookbehind keeps us out of the middle of words and
# of URLs that are already part of something else; \x02/\x03 delimit Markdown's placeholders
# for already-processed spans (code, links), which must never be swallowed into a URL.
_BARE_URL_RE = r"(?<![\w/:@.+-])https?://[^\s<>\"\x02\x03]+"
# Characters that end a sentence or close Markdown emphasis rather than belong to the URL.
_URL_TRAILING = ".,:;!?'\"*_~"


class _BareUrlProcessor(InlineProcessor):
    """Turn ``https://example.dk/x`` in running text into a link.

    Runs after code spans, links and images (higher priorities), so URLs inside those are
    already out of reach; ANCESTOR_EXCLUDES stops it nesting a link inside link text.
    """

    ANCESTOR_EXCLUDES = ("a",)

    def handleMatch(  # Markdown's camelCase API
        self, m: re.Match[str], data: str
    ) -> tuple[Element | None, int | None, int | None]:
        url = _trim_url(m.group(0))
        if not url.split("://", 1)[1]:
            return None, None, None  # just "https://" and punctuation: nothing to link
        el = Element("a")
        el.set("href", url)
        # AtomicString: the URL text must not be re-parsed for *emphasis* or_underscores_.
        el.text = AtomicString(url)
        return el, m.start(0), m.start(0) + len(url)


def _trim_url(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing parentheses from a URL's end."""
    while url:
        if url[-1] in _URL_TRAILING:
            url = url[:-1]
        elif url[-1] == ")" and url.count(")") > url.count("("):
            url = url[:-1]  # "(se https://kl.dk)" - but keep wiki/Foo_(bar)
        else:
            break
    return url


# "@mette-kjaer" as usernames are made (forum.slugs: a-z, 0-9, inner hyphens, at most 60 in
# the database), matched case-insensitively.  Not after a letter or digit (anne@kommune.dk),
# nor after "@", ".", "/", "+" or "-" (parts of addresses and paths); "_" is Markdown
# emphasis, so "_@anne_" counts.  Not followed by a letter or digit, nor by "-x", ".x" or
# "@" (so "@kommune.dk" and "@anne-kjær" are no mentions, while "@anne." and "@anne-" are).
# The bounded repeat keeps backtracking at most 60 steps per "@".
_MENTION_RE = (
    r"(?<![^\W_])(?<![@./+-])"
    r"@([A-Za-z0-9](?:[A-Za-z0-9-]{0,58}[A-Za-z0-9])?)"
    r"(?![^\W_])(?![-.][^\W_])(?!@)"
)
_MENTION_CLASS = "mention"
# The links _MentionProcessor makes, as Markdown serialises them (attributes in the order
# set), and Markdown's blockquote tags around them (never with attributes), so one pass
# knows which links are quoted.  User text cannot produce either: with raw HTML off, a
# typed "<" is escaped.
_MENTION_OR_QUOTE = re.compile(r'<(/?)blockquote>|<a class="mention" href="/u/([a-z0-9-]+)">')
# mentions() asks for every name; "@a " 10,000 times must not build 10,000 links.
_MENTION_LINKS_PER_TEXT = 500
MAX_MENTIONS = 20


class _EveryName:
    """Stands for "link every name" when mentions() looks for them."""

    def __contains__(self, name: object) -> bool:
        return True


class _MentionProcessor(InlineProcessor):
    """Turn ``@username`` into a link to the profile, for the names in ``self.linked``.

    Runs after code spans, links, autolinks and bare URLs (higher priorities), whose text
    is atomic, so a name in code or in a URL is out of reach; ANCESTOR_EXCLUDES keeps it
    out of link text.  ``linked`` is set per conversion by _markdown_to_html.
    """

    ANCESTOR_EXCLUDES = ("a",)

    def __init__(self, pattern: str, md: markdown.Markdown) -> None:
        super().__init__(pattern, md)
        self.linked: Collection[str] = ()
        self.budget = 0

    def handleMatch(  # Markdown's camelCase API
        self, m: re.Match[str], data: str
    ) -> tuple[Element | None, int | None, int | None]:
        name = m.group(1).lower()
        if self.budget <= 0 or name not in self.linked:
            return None, None, None
        self.budget -= 1
        el = Element("a")
        el.set("class", _MENTION_CLASS)
        el.set("href", f"/u/{name}")
        el.text = AtomicString(m.group(0))  # as typed; no emphasis inside a name
        return el, m.start(0), m.end(0)


def _new_markdown() -> markdown.Markdown:
    md = markdown.Markdown(
        extensions=["fenced_code", "tables", "sane_lists", "nl2br"],
        # align="..." survives the allowlist; the default style="text-align: ..." would not.
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )
    # Raw HTML off: without these two, "<b>" would pass through to the sanitiser as a tag.
    # With them gone, "<" is ordinary text and Markdown escapes it to "&lt;".
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    # Priority 115: below code spans (190), links (160), images (150) and <autolinks> (120),
    # above emphasis (60) so "https://x.dk/a_b_c" is not italicised before it is linked.
    md.inlinePatterns.register(_BareUrlProcessor(_BARE_URL_RE, md), "bare_url", 115)
    # Below bare URLs (so "https://x.dk/@anne" stays one link), above emphasis.
    md.inlinePatterns.register(_MentionProcessor(_MENTION_RE, md), "mention", 110)
    return md


# Markdown instances keep per-document state and are not thread-safe, but building one
# (loading extensions, compiling patterns) is costly; so one per thread, reset per use.
_local = threading.local()


# Python-Markdown's link parsing is quadratic in unmatched "[" (upstream issue #798): each
# one that never closes makes it scan the rest of the text again, so 400 of them before
# 30,000 letters take ~6 s, and 5,000 take ~14 s even in a short text. Past either limit the
# brackets are escaped and shown as text, keeping a crafted post from tying up a worker;
# links ("[tekst](url)") close their brackets and cost nothing.
MAX_BRACKETS = 400
# Unmatched "[" times the text's length: ~0.2 s of parsing at most.
MAX_BRACKET_SCAN = 500_000


def unmatched_brackets(text: str) -> int:
    """How many "[" in ``text`` no later "]" closes (one linear pass)."""
    open_count = 0
    for char in re.findall(r"[\[\]]", text):
        if char == "[":
            open_count += 1
        elif open_count:
            open_count -= 1
    return open_count


def _markdown_to_html(text: str, linked: Collection[str] = ()) -> str:
    brackets = text.count("[")
    if brackets > MAX_BRACKETS or (
        brackets and unmatched_brackets(text) * len(text) > MAX_BRACKET_SCAN
    ):
        text = text.replace("\\[", "[").replace("[", "\\[")
    md: markdown.Markdown | None = getattr(_local, "md", None)
    if md is None:
        md = _local.md = _new_markdown()
    md.reset()
    mention = md.inlinePatterns["mention"]
    assert isinstance(mention, _MentionProcessor)
    mention.linked, mention.budget = linked, _MENTION_LINKS_PER_TEXT
    try:
        return md.convert(text)
    except RecursionError:
        # A few thousand nested list markers exhaust Python-Markdown's recursion.  Show the
        # source as plain escaped text instead of failing the whole page.
        _local.md = None  # its internal state is unknown after the unwind
        paragraphs = re.split(r"\n\s*\n", text.strip())
        return "".join(
            "<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>\n" for p in paragraphs if p
        )
    finally:
        mention.linked = ()


# --- Sanitising ------------------------------------------------------------------------------


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Narrow allowed attributes to allowed *values*; None removes the attribute.

    nh3 has already removed attributes not in ALLOWED_ATTRIBUTES and href/src values whose
    scheme is not allowed.  This must never raise: nh3 would then drop the attribute and
    report through sys.unraisablehook, which the test suite turns into an error.
    """
    if tag == "img" and attribute == "src":
        # Only https or this site: no http (mixed content, tracking over plain text) and
        # no "//host" (protocol-relative, i.e. someone else's server).
        return value if _IMAGE_SRC.match(value) else None
    if tag == "a" and attribute == "class":
        # Only the mention marker this module sets; any other class could borrow site CSS.
        return value if value == _MENTION_CLASS else None
    if tag == "code" and attribute == "class":
        # Only the language hint fenced code emits; arbitrary classes could borrow site CSS.
        classes = [c for c in value.split() if _LANGUAGE_CLASS.match(c)]
        return " ".join(classes) or None
    if attribute == "align":
        return value if value in _ALIGN_VALUES else None
    if tag == "ol" and attribute == "start":
        return value if _LIST_START.match(value) else None
    if attribute == "href" and _hidden_scheme(value):
        return None
    return value  # a[href] (scheme checked above), a[rel] (added by nh3), title, alt


def _hidden_scheme(url: str) -> bool:
    """True for URLs like "java  script:..." whose scheme is refused once spaces are gone.

    nh3 reads that as a harmless relative URL, and so do current browsers, but old ones
    did not and bleach (our second opinion) does not either: refuse rather than argue.
    """
    m = _SCHEME.match(_URL_NOISE.sub("", url))
    return m is not None and m.group(1).lower() not in ALLOWED_URL_SCHEMES


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    # If raw HTML ever reaches nh3 anyway, drop script/style bodies rather than show them.
    clean_content_tags={"script", "style"},
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_filter_attribute,
    strip_comments=True,
    link_rel=LINK_REL,
    url_schemes=set(ALLOWED_URL_SCHEMES),
)

# nh3 can remove an attribute but not the element carrying it, so an image whose src was
# refused would survive as a bare <img>.  nh3's serialiser always double-quotes attribute
# values and escapes '"' inside them, which makes these patterns exact on its output: a match
# cannot start inside an attribute value (it would need a '"' that ends the value first).
_ATTRIBUTES = r'((?:\s+[^\s"\'>/=]+(?:="[^"]*")?)*)'
_LINK_OR_IMAGE = re.compile(rf"<a{_ATTRIBUTES}\s*>|</a>|<img{_ATTRIBUTES}\s*/?>")
_ATTRIBUTE = re.compile(r'([^\s"\'>/=]+)(?:="([^"]*)")?')


def _image(tag: str, attribute_text: str, inside_link: bool) -> str:
    """An image of this site stays; any other becomes a link to it (or its text in a link)."""
    attributes = {name: value for name, value in _ATTRIBUTE.findall(attribute_text)}
    src = attributes.get("src", "")
    if src.startswith("/"):  # _IMAGE_SRC has refused "//host" and "/\\host"
        return tag
    # Keep the description visible: "![Organisationsdiagram](http://...)" still says what
    # was there.  Re-escape: attribute serialisation need not escape "<", text must.
    text = html.escape(html.unescape(attributes.get("alt", "")))
    if not src or inside_link:  # refused, or a link inside a link: the text alone
        return text
    # An image from another server would tell that server who reads the post, and when; a
    # link goes there only if the member chooses to. src is already escaped for an attribute.
    label = text or html.escape(html.unescape(src))
    return f'<a href="{src}" rel="{LINK_REL}">{label}</a>'


def _images_in_place(fragment: str) -> str:
    """Apply _image to every <img> of nh3's output, knowing whether it sits inside a link."""
    out: list[str] = []
    depth = last = 0
    for m in _LINK_OR_IMAGE.finditer(fragment):
        tag = m.group(0)
        if tag.startswith("</a"):
            depth = max(0, depth - 1)
        elif tag.startswith("<a"):
            depth += 1
        else:
            out.append(fragment[last : m.start()])
            out.append(_image(tag, m.group(2), depth > 0))
            last = m.end()
    out.append(fragment[last:])
    return "".join(out)


def _sanitise(fragment: str) -> str:
    return _images_in_place(_CLEANER.clean(fragment))


# --- Public API ------------------------------------------------------------------------------


def render(text: str, mentioned: Collection[str] = ()) -> Markup:
    """Markdown source -> sanitised HTML. The only way user text becomes HTML.

    ``@username`` becomes a link to the profile for the usernames in ``mentioned`` (those
    that exist, as the caller found them from :func:`mentions`); other names stay text.
    """
    source = _CONTROL_CHARS.sub("", text)
    linked = frozenset(name.lower() for name in mentioned)
    return Markup(_sanitise(_markdown_to_html(source, linked)).strip())


def mentions(text: str, *, quoted: bool = True) -> list[str]:
    """The usernames mentioned as ``@username``, lowercased, distinct, in order of first
    appearance, at most MAX_MENTIONS; never in code, link text, URLs or e-mail addresses.

    ``quoted=False`` also leaves out names inside blockquotes, at any depth (as Discourse:
    quoting a post that named someone does not tell them again). They are still linked."""
    if "@" not in text:
        return []
    # The same pipeline as render, linking every name, so a mention is exactly what the
    # post would show as one; the links come out in document order, and a quote is whatever
    # Markdown made a blockquote (nested, lazy continuation lines), found in the same pass.
    source = _markdown_to_html(_CONTROL_CHARS.sub("", text), _EveryName())
    names: dict[str, None] = {}
    depth = 0
    for m in _MENTION_OR_QUOTE.finditer(source):
        name = m.group(2)
        if name is None:
            depth += -1 if m.group(1) else 1
            continue
        if quoted or depth <= 0:
            names.setdefault(name)
            if len(names) == MAX_MENTIONS:
                break
    return list(names)


# Characters that would end or open emphasis or a link inside "**Name skrev:**".  Hyphens
# and dots are left alone: "Anne-Marie" should not become "Anne\-Marie" in the reply box.
_NAME_SPECIALS = re.compile(r"([\\`*_\[\]|])")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def quote(text: str, author_name: str) -> str:
    """Markdown that quotes a post in a reply: '> **Name skrev:**\n> line\n> line\n\n'."""
    name = _NAME_SPECIALS.sub(r"\\\1", " ".join(author_name.split()))
    lines = _fences_to_indented(text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and lines[0].startswith(("    ", "\t")):
        # Indented code cannot follow the "skrev:" line directly; it would be read as more
        # of that paragraph.  Only here do we add a blank line to the agreed format.
        lines.insert(0, "")
    quoted = [f"> **{name} skrev:**"]
    # Blank lines become a bare ">" so the quote stays one blockquote across paragraphs.
    quoted += [f"> {line.rstrip()}" if line.strip() else ">" for line in lines]
    return "\n".join(quoted) + "\n\n"


def _fences_to_indented(text: str) -> str:
    """Rewrite closed fenced code blocks as indented code blocks.

    Python-Markdown recognises fences in a preprocessor that only sees lines starting at
    column 0, so a fence behind "> " renders as a one-line code span.  Indented code works
    inside blockquotes; the language hint is lost, which is acceptable in a quote.
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        opening = _FENCE_OPEN.match(lines[i])
        if opening:
            fence = opening.group(1)
            closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
            end = next((j for j in range(i + 1, len(lines)) if closing.match(lines[j])), None)
            if end is not None:
                # Blank lines around: an indented block may not interrupt a paragraph.
                out += ["", *("    " + line for line in lines[i + 1 : end]), ""]
                i = end + 1
                continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def plain_text(text: str, limit: int | None = None) -> str:
    """Markdown source -> readable plain text (for excerpts, e-mails and search),
    cut at a word boundary with '…' when over limit."""
    if limit is not None and limit < 1:
        raise ValueError("limit must be at least 1")
    # Derive the text from the sanitised HTML rather than the source, so an excerpt can
    # never contain something the post itself does not show (e.g. a refused image's URL).
    result = text_of_html(str(render(text)))
    return result if limit is None else _truncate(result, limit)


def text_of_html(rendered: str) -> str:
    """The readable text of HTML that ``render`` produced (e.g. a post's cached ``html``)."""
    try:
        parser = _TreeBuilder()
        parser.feed(rendered)
        parser.close()
        result = "\n\n".join(_blocks(parser.root.children))
    except RecursionError:
        # Absurdly deep nesting (e.g. 1000 levels of emphasis): give up on layout and keep
        # just the words; nh3 with no allowed tags is a flat, non-recursive text extractor.
        result = _squash(html.unescape(nh3.clean(rendered, tags=set())).replace("\n", " "))
    return result


# --- Plain text ------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "ul", "ol", "table", "hr"}
)
_VOID_TAGS = frozenset({"br", "hr", "img"})


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """Minimal tree of nh3's output (well-formed, allowlisted tags only)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # text arrives unescaped
        self.root = _Node("root")
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self._stack[-1].children.append(node)
        if tag not in _VOID_TAGS:
            self._stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, 0, -1):
            if self._stack[depth].tag == tag:
                del self._stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)


def _inline(node: _Node, pre: bool = False) -> str:
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, str):
            # Outside <pre>, source newlines are just spaces; <br> carries real line breaks.
            parts.append(child if pre else child.replace("\n", " "))
        elif child.tag == "br":
            parts.append("\n")
        elif child.tag == "img":
            parts.append(child.attrs.get("alt", ""))
        elif child.tag == "a":
            label = _inline(child, pre)
            href = child.attrs.get("href", "")
            # Keep the address for e-mails and search, unless the label already shows it.
            if href.startswith(("http://", "https://")) and href.rstrip("/") not in label:
                label = f"{label} ({href})" if label.strip() else href
            parts.append(label)
        else:
            parts.append(_inline(child, pre or child.tag == "pre"))
    return "".join(parts)


def _squash(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()


def _blocks(children: list[_Node | str]) -> list[str]:
    """Plain-text paragraphs for a sequence of nodes; inline runs become paragraphs too."""
    blocks: list[str] = []
    run = _Node("run")

    def flush() -> None:
        if squashed := _squash(_inline(run)):
            blocks.append(squashed)
        run.children = []

    for child in children:
        if isinstance(child, str) or child.tag not in _BLOCK_TAGS:
            run.children.append(child)
            continue
        flush()
        if child.tag == "pre":
            blocks.append(_inline(child, pre=True).strip("\n"))
        elif child.tag == "hr":
            blocks.append("---")
        elif child.tag == "blockquote":
            inner = "\n\n".join(_blocks(child.children))
            blocks.append("\n".join(f"> {ln}" if ln else ">" for ln in inner.split("\n")))
        elif child.tag in ("ul", "ol"):
            blocks.append(_list(child))
        elif child.tag == "table":
            blocks.append(_table(child))
        elif squashed := _squash(_inline(child)):
            blocks.append(squashed)
    flush()
    return [b for b in blocks if b.strip()]


def _list(node: _Node) -> str:
    start = node.attrs.get("start", "1")
    number = int(start) if start.isdigit() else 1
    items: list[str] = []
    for child in node.children:
        if isinstance(child, str) or child.tag != "li":
            continue
        marker = f"{number}. " if node.tag == "ol" else "- "
        number += 1
        # One line per paragraph inside an item keeps nested lists snug under their parent.
        body = "\n".join(_blocks(child.children)).split("\n")
        indent = " " * len(marker)
        items.append("\n".join([marker + body[0], *(indent + ln if ln else "" for ln in body[1:])]))
    return "\n".join(items)


def _table(node: _Node) -> str:
    rows: list[str] = []

    def walk(n: _Node) -> None:
        for child in n.children:
            if isinstance(child, str):
                continue
            if child.tag == "tr":
                cells = [
                    _squash(_inline(c)).replace("\n", " ")
                    for c in child.children
                    if isinstance(c, _Node) and c.tag in ("th", "td")
                ]
                rows.append(" | ".join(cells))
            else:
                walk(child)

    walk(node)
    return "\n".join(rows)


_TRAILING_PUNCTUATION = " \t\n,;:.-\u2013\u2014"  # incl. en and em dash


def _truncate(text: str, limit: int) -> str:
    """Cut to at most ``limit`` characters including the '…', at a word boundary if any."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not text[limit - 1].isspace():  # the cut falls inside a word: back up to its start
        boundary = max(cut.rfind(ws) for ws in (" ", "\n", "\t"))
        if boundary > 0:
            cut = cut[:boundary]
    return cut.rstrip(_TRAILING_PUNCTUATION) + "…"


def highlighted(
    text: str,
    passages: list[tuple[int, int, list[tuple[int, int]]]],
    *,
    between: str = " … ",
    lead: bool = False,
    trail: bool = False,
) -> Markup:
    """Plain ``text`` as HTML showing only ``passages`` (start, end, marked spans), each
    marked span in ``<mark>``: every character escaped, no other tag (search snippets)."""
    parts: list[str] = []
    for start, end, marks in passages:
        out, at = [], start
        for mark_start, mark_end in sorted(marks):
            mark_start, mark_end = max(mark_start, at), min(mark_end, end)
            if mark_start >= mark_end:
                continue
            out.append(Markup.escape(text[at:mark_start]))
            out.append(f"<mark>{Markup.escape(text[mark_start:mark_end])}</mark>")
            at = mark_end
        out.append(Markup.escape(text[at:end]))
        parts.append("".join(out))
    body = between.join(parts)
    return Markup(("… " if lead else "") + body + (" …" if trail else ""))

"""Titles and post bodies composed from the vocabulary, with their HTML.

A template's slots are filled from the writer's ``Voice`` (theme, subject, municipality, job
title) and the shared random generator; the same seed gives the same text. Bodies are lists of
Markdown blocks. For speed, the HTML of a block is rendered once and reused: most blocks come
from pools per theme and purpose (``_Pool``), and the fresh opening sentences, which recur
across municipalities, are cached. Composing HTML from blocks is only done while
``forum.markup`` renders blocks independently (``blocks_render_independently``); otherwise every
body is rendered whole.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.generator.vocabulary import (
    ANBRINGELSE,
    ANBRINGELSESSAG,
    ANSWERS,
    AUTHOR_FOLLOW_UPS,
    BOERNESAMTALE,
    CLOSERS,
    DETAILS,
    DID,
    DISCUSSION_POINTS,
    EXPERIENCE_HEADINGS,
    FACILITATOR_DETAILS,
    FACILITATOR_OPENERS,
    MATERIAL_DETAILS,
    MATERIAL_ITEMS,
    MEMBER_TITLES,
    OPENERS,
    PARTNERS,
    PERIODS,
    PRACTICES,
    QUESTIONS,
    RECOMMENDATIONS,
    RECOMMENDED_PRACTICES,
    REPLY_OPENERS,
    RESULTS,
    THEME_WORDS,
    TITLES,
    WEEKDAYS,
    ThemeWords,
)
from forum.markup import render
from forum.models import Theme, TopicKind

# What must never be generated (the shape forum.privacy looks for, without its date check).
_CPR_SHAPE = re.compile(r"\d{6}[- ]?\d{4}")

# Pooled blocks: each pool is filled with fresh blocks until it holds POOL_MIN of them; after
# that a block is fresh with probability POOL_FRESH, else reused. Bodies combine a fresh
# opening with several pooled blocks, so they still almost never repeat.
POOL_MIN = 40
POOL_FRESH = 0.2
POOL_MAX = 4000
CACHE_MAX = 200_000  # rendered opening sentences kept (a few hundred bytes each)


def _capitalise(value: str) -> str:
    return value[:1].upper() + value[1:]


def lower_first(value: str) -> str:
    """ "Leder af PPR" -> "leder af PPR": job titles mid-sentence, abbreviations kept."""
    return value[:1].lower() + value[1:]


@dataclass
class Voice:
    """Who is writing where: what the municipality- and topic-specific slots are filled with."""

    words: ThemeWords
    subject: str  # the topic's subject; most posts in the topic come back to it
    muni: str
    role: str  # the writer's job title, as written mid-sentence
    meeting: str  # the meeting a material topic is about


class _Slots(dict[str, str]):
    """Template slots, filled on first use: a template only spends randomness on what it says.

    ``str.format_map`` looks keys up left to right, so the same seed gives the same text.
    """

    def __init__(self, rng: random.Random, voice: Voice) -> None:
        super().__init__()
        self._rng = rng
        self._voice = voice

    def __missing__(self, key: str) -> str:
        rng, voice = self._rng, self._voice
        if key[:1].isupper():
            value = _capitalise(self[key.lower()])
        elif key == "subject":
            # Mostly the topic's own subject, sometimes a neighbouring one, as in real threads.
            value = voice.subject if rng.random() < 0.7 else rng.choice(voice.words.subjects)
        elif key in ("term", "term_def", "terms", "terms_def"):
            forms = rng.choice(voice.words.terms)
            value = forms[("term", "term_def", "terms", "terms_def").index(key)]
        elif key == "muni":
            value = voice.muni
        elif key == "role":
            value = voice.role
        elif key == "role_generic":
            value = lower_first(rng.choice(MEMBER_TITLES))
        elif key == "meeting":
            value = voice.meeting
        elif key == "partner":
            value = rng.choice(PARTNERS)
        elif key == "period":
            value = rng.choice(PERIODS)
        elif key == "weekday":
            value = rng.choice(WEEKDAYS)
        elif key == "num":
            value = str(rng.randint(2, 12))
        elif key == "months":
            value = str(rng.randint(3, 18))
        elif key == "weeks":
            value = str(rng.randint(2, 8))
        elif key == "pct":
            value = str(rng.randrange(10, 65, 5))
        else:
            raise KeyError(key)
        self[key] = value
        return value


def _fill(rng: random.Random, voice: Voice, template: str) -> str:
    return template.format_map(_Slots(rng, voice))


class _Pool:
    """Markdown blocks of one theme and purpose, each rendered to HTML once and then reused."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, str]] = []

    def take(self, rng: random.Random, make: Callable[[], str]) -> tuple[str, str]:
        if len(self.blocks) < POOL_MIN or rng.random() < POOL_FRESH:
            block = make()
            pair = (block, str(render(block)))
            if len(self.blocks) < POOL_MAX:
                self.blocks.append(pair)
            else:  # keep memory flat on very large runs; old blocks make way for new ones
                self.blocks[rng.randrange(POOL_MAX)] = pair
            return pair
        return rng.choice(self.blocks)


@dataclass
class Writer:
    """Writes titles and post bodies, returning each body with its rendered HTML."""

    rng: random.Random
    # Whether HTML can be assembled from separately rendered blocks (checked at start).
    compose: bool
    pools: dict[tuple[str, str], _Pool] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)
    cache: dict[str, str] = field(default_factory=dict)

    @classmethod
    def new(cls, rng: random.Random) -> Writer:
        """A writer that composes HTML from rendered blocks if forum.markup allows it."""
        return cls(rng, compose=blocks_render_independently())

    def title(self, kind: str, voice: Voice) -> str:
        return _fill(self.rng, voice, self.rng.choice(TITLES[kind]))

    # Building blocks. A body is a list of (markdown, html) blocks joined by blank lines.

    def _fresh(self, voice: Voice, templates: Sequence[str]) -> tuple[str, str]:
        """A new block; opening sentences vary by municipality, so many recur: cache them."""
        block = _fill(self.rng, voice, self.rng.choice(templates))
        if not self.compose:
            return block, ""
        html = self.cache.get(block)
        if html is None:
            if len(self.cache) >= CACHE_MAX:
                self.cache.clear()
            html = self.cache[block] = str(render(block))
        return block, html

    def _paragraph(
        self, voice: Voice, theme: str, purpose: str, templates: Sequence[str], most: int
    ) -> tuple[str, str]:
        """A paragraph of 1..most sentences from templates, drawn from the pool for purpose."""
        rng = self.rng

        def make() -> str:
            count = rng.randint(1, most)
            # Without replacement: a paragraph never says the same thing twice.
            chosen = rng.sample(templates, count)
            return " ".join(_fill(rng, voice, template) for template in chosen)

        return self._from_pool(theme, purpose, make)

    def _list(
        self, voice: Voice, theme: str, purpose: str, items: Sequence[str]
    ) -> tuple[str, str]:
        rng = self.rng

        def make() -> str:
            chosen = rng.sample(items, rng.randint(2, min(4, len(items))))
            return "\n".join("- " + _fill(rng, voice, item) for item in chosen)

        return self._from_pool(theme, purpose, make)

    def _from_pool(self, theme: str, purpose: str, make: Callable[[], str]) -> tuple[str, str]:
        if not self.compose:
            return make(), ""
        return self.pools.setdefault((theme, purpose), _Pool()).take(self.rng, make)

    def _heading(self, heading: str) -> tuple[str, str]:
        if heading not in self.fixed:
            self.fixed[heading] = str(render(heading))
        return heading, self.fixed[heading]

    def _finish(self, blocks: list[tuple[str, str]]) -> tuple[str, str]:
        body = "\n\n".join(block for block, _ in blocks)
        if _CPR_SHAPE.search(body):  # cannot happen with these phrases; never let it through
            raise RuntimeError("generated text looks like a CPR number")
        # Composed from the blocks' cached HTML, or (if markup.py changed) rendered whole.
        html = "\n".join(part for _, part in blocks) if self.compose else str(render(body))
        return body, html

    # Posts.

    def opening(self, kind: str, theme: str, voice: Voice) -> tuple[str, str]:
        """The first post of a topic of this kind."""
        rng = self.rng
        facts = voice.words.facts
        if kind == TopicKind.EXPERIENCE:
            h1, h2, h3, h4 = EXPERIENCE_HEADINGS
            blocks = [self._heading(h1), self._fresh(voice, OPENERS[kind]), self._heading(h2)]
            if rng.random() < 0.4:
                blocks.append(self._list(voice, theme, "did-list", PRACTICES))
            else:
                blocks.append(self._paragraph(voice, theme, "did", DID, 2))
            blocks += [self._heading(h3), self._paragraph(voice, theme, "result", RESULTS, 1)]
            blocks.append(self._heading(h4))
            if rng.random() < 0.4:
                blocks.append(self._list(voice, theme, "advice-list", RECOMMENDED_PRACTICES))
            else:
                blocks.append(self._paragraph(voice, theme, "advice", RECOMMENDATIONS, 2))
            return self._finish(blocks)
        blocks = [self._fresh(voice, OPENERS[kind])]
        if kind == TopicKind.MATERIAL:
            blocks.append(self._list(voice, theme, "material-list", MATERIAL_ITEMS))
            blocks.append(self._paragraph(voice, theme, "material", MATERIAL_DETAILS, 2))
        elif kind == TopicKind.DISCUSSION:
            blocks.append(self._paragraph(voice, theme, "point", DISCUSSION_POINTS + facts, 2))
            blocks.append(self._paragraph(voice, theme, "question", QUESTIONS, 1))
        else:
            blocks.append(self._paragraph(voice, theme, "detail", DETAILS + facts, 2))
            if rng.random() < 0.2:
                blocks.append(self._list(voice, theme, "practice-list", PRACTICES))
            blocks.append(self._paragraph(voice, theme, "question", QUESTIONS, 1))
        return self._finish(blocks)

    def reply(self, theme: str, voice: Voice, writer: str) -> tuple[str, str]:
        """A reply by a member, the topic's author ("author") or a facilitator."""
        rng = self.rng
        if writer == "author":
            blocks = [self._fresh(voice, AUTHOR_FOLLOW_UPS)]
            blocks.append(self._paragraph(voice, theme, "detail", DETAILS, 1))
            return self._finish(blocks)
        if writer == "facilitator":
            blocks = [self._fresh(voice, FACILITATOR_OPENERS)]
            blocks.append(self._paragraph(voice, theme, "facilitator", FACILITATOR_DETAILS, 2))
            return self._finish(blocks)
        blocks = [self._fresh(voice, REPLY_OPENERS)]
        blocks.append(self._paragraph(voice, theme, "answer", ANSWERS + voice.words.facts, 2))
        if rng.random() < 0.2:
            blocks.append(self._list(voice, theme, "practice-list", PRACTICES))
        if rng.random() < 0.5:
            blocks.append(self._paragraph(voice, theme, "closer", CLOSERS, 1))
        return self._finish(blocks)


def blocks_render_independently() -> bool:
    """Whether render() of blocks joined by blank lines is their renders joined by newlines.

    True for Python-Markdown today (each block becomes its own top-level element); checked at
    run time so that a change to forum.markup makes generation slower, never wrong.
    """
    samples = (
        ["## Udfordring", "Vi havde **for mange** skift.", "- et punkt\n- **to** punkter", "Slut."],
        ["Tak for svaret.", "- netværket\n- skolen", "Hvordan gør I?"],
    )
    for blocks in samples:
        whole = str(render("\n\n".join(blocks)))
        if whole != "\n".join(str(render(block)) for block in blocks):
            return False
    return True


def generic_words(theme: Theme) -> ThemeWords:
    """Words for a theme an administrator added, built from its name."""
    name = lower_first(theme.name)
    return ThemeWords(
        subjects=(name, f"erfaringer med {name}", f"{name} i praksis"),
        terms=(ANBRINGELSE, BOERNESAMTALE, ANBRINGELSESSAG),
        facts=THEME_WORDS["ledelse"].facts[:4] + THEME_WORDS["anbringelser"].facts[:4],
    )

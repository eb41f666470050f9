"""Every main page, on a 390 px phone and a 1280 px screen: axe-core finds no WCAG 2.1 A/AA
violation, a screenshot is saved, and on the phone the content starts on the first screen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from forum import places
from forum.extensions import db
from forum.models import Role
from tests import factories
from tests.e2e.conftest import DESKTOP, PHONE, axe_violations, login, screenshot

SEARCH_WORD = "netværksanbringelser"


@pytest.fixture
def site(live_server) -> Iterator[dict[str, object]]:  # type: ignore[no-untyped-def]
    """A forum with more topics than one page holds, an admin, a topic with replies, an index."""
    base, app = live_server
    with app.app_context():
        admin = factories.user(db.session, name="Anne Admin", role=Role.ADMIN)
        member = factories.user(db.session, name="Bo Medlem", municipality="Norddjurs")
        themes = [theme.slug for theme in places.active_themes(db.session)]
        for n in range(34):
            factories.topic(
                db.session,
                member if n % 2 else admin,
                title=f"Erfaringer med {SEARCH_WORD} og familiepleje nr. {n}",
                body=f"Hvordan arbejder I med {SEARCH_WORD}? Vi prøver noget nyt i år.",
                theme=themes[n % len(themes)],
            )
        topic = factories.topic(
            db.session,
            admin,
            title="Sparring om netværksmøder",
            kind="sparring",
            replies=3,
            repliers=[member],
        )
        meeting = _meeting(db.session, admin)
        db.session.commit()
        info = {
            "base": base,
            "admin": admin.email,
            "admin_name": admin.username,
            "topic": f"/t/{topic.slug}/{topic.id}",
            "first_post": factories.post(db.session, topic, 1).id,
            "region": "midtjylland",
            "theme": "netvaerksanbringelser",
            "meeting": f"/moeder/{meeting.id}-{meeting.slug}",
            "meeting_id": meeting.id,
        }
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    yield info


def _meeting(session, planner):  # type: ignore[no-untyped-def]
    """A coming network meeting with a capacity and an agenda (the admin signed up)."""
    from datetime import time, timedelta

    from forum.meetings import MeetingInput, create_meeting, sign_up
    from forum.timeutil import utcnow

    meeting = create_meeting(
        session,
        planner,
        MeetingInput(
            title="Netværksmøde i Region Midtjylland",
            kind="netvaerksmoede",
            region=places.region_by_slug(session, "midtjylland"),
            themes=[places.theme_by_slug(session, "netvaerksanbringelser")],
            day=(utcnow() + timedelta(days=20)).date(),
            starts=time(9, 30),
            ends=time(15, 0),
            place="Viborg Rådhus",
            agenda="- 9.30 Velkomst\n- 10.00 Oplæg",
            capacity=30,
        ),
    )
    sign_up(session, planner, meeting)
    # One file among its materials, as an upload leaves it (the list and its buttons).
    import hashlib
    import io

    from forum.models import Attachment
    from forum.storage import storage

    data = b"Dagsorden for netv\xc3\xa6rksm\xc3\xb8det"
    digest = hashlib.sha256(data).hexdigest()
    storage().put(io.BytesIO(data), digest, len(data))
    session.add(
        Attachment(
            digest=digest, size=len(data), kind="txt", mime="text/plain; charset=utf-8",
            filename="dagsorden.txt", uploader=planner, meeting=meeting, pages=1,
        )
    )  # fmt: skip
    return meeting


def _pages(site: dict[str, object]) -> list[tuple[str, str]]:
    region, theme = site["region"], site["theme"]
    return [
        ("front", "/"),
        ("latest", "/latest"),
        ("unread", "/unread"),
        ("new", "/new"),
        ("region", f"/region/{region}"),
        ("region-theme", f"/region/{region}?tema={theme}"),
        ("theme", f"/tema/{theme}"),
        ("topic", str(site["topic"])),
        ("new-topic", "/ny"),
        ("edit", f"/p/{site['first_post']}/rediger"),
        ("history", f"/p/{site['first_post']}/historik"),
        ("search", f"/search?q={SEARCH_WORD}"),
        ("search-empty", "/search"),
        ("profile", f"/u/{site['admin_name']}"),
        ("preferences", "/indstillinger"),
        ("notifications", "/notifikationer"),
        ("admin", "/admin/"),
        ("admin-invitations", "/admin/invitationer"),
        ("admin-users", "/admin/medlemmer"),
        ("admin-themes", "/admin/temaer"),
        ("admin-theme-new", "/admin/temaer/ny"),
        ("admin-municipalities", "/admin/kommuner"),
        ("admin-municipality-new", "/admin/kommuner/ny"),
        ("admin-deleted", "/admin/slettet"),
        ("meetings", "/moeder"),
        ("materials", "/materialer"),
        ("meeting", str(site["meeting"])),
        ("meeting-new", "/moeder/ny"),
        ("meeting-edit", f"/moeder/{site['meeting_id']}/rediger"),
        ("error-404", "/findes-ikke"),
    ]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_page_passes_axe(browser, site, axe_script, viewport) -> None:  # type: ignore[no-untyped-def]
    base = site["base"]
    # bypass_csp lets the test inject axe-core; the app's own pages never need it.
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    for name, path in [("login", "/login"), ("forgot", "/password/forgot")]:
        page.goto(base + path)
        screenshot(page, name)
        found[name] = axe_violations(page, axe_script)
    login(page, base, str(site["admin"]), factories.PASSWORD)
    for name, path in _pages(site):
        response = page.goto(base + path)
        assert response is not None
        assert response.status == (404 if name == "error-404" else 200), (name, response.status)
        screenshot(page, name)
        found[name] = axe_violations(page, axe_script)
        # The open menu and filter folds are checked too.
        if page.locator("details:not([open])").count():
            page.eval_on_selector_all("details", "all => all.forEach(d => { d.open = true; })")
            found[name + " (opened)"] = axe_violations(page, axe_script)
    context.close()
    problems = {name: lines for name, lines in found.items() if lines}
    assert not problems, "\n".join(
        f"{name}:\n  " + "\n  ".join(lines) for name, lines in problems.items()
    )


def _top(page, selector: str) -> float:  # type: ignore[no-untyped-def]
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["y"]


def test_phone_layout_puts_content_on_the_first_screen(browser, site) -> None:  # type: ignore[no-untyped-def]
    base = site["base"]
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    login(page, base, str(site["admin"]), factories.PASSWORD)
    screen = PHONE["height"]
    for path, first in [
        ("/", "h1"),
        ("/latest", ".topic-row"),
        (f"/region/{site['region']}", ".topic-row"),
        (f"/tema/{site['theme']}", ".topic-row"),
        (f"/search?q={SEARCH_WORD}", ".search-hit"),
    ]:
        page.goto(base + path)
        header = page.locator(".site-header").bounding_box()
        assert header is not None
        assert header["height"] < 0.15 * screen, (path, header["height"])
        assert _top(page, first) < screen, path
        # The pages scroll vertically only: nothing is wider than the phone.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)

    # The menu is one tap away and holds the way to regions and themes.
    page.goto(base + "/latest")
    assert not page.locator(".main-nav a[href='/latest']").is_visible()
    page.click(".menu > summary")
    assert page.locator(".main-nav a[href='/latest']").is_visible()
    assert page.locator(".main-nav a[href='/#omraader']").is_visible()
    page.click(".menu > summary")
    assert not page.locator(".main-nav a[href='/latest']").is_visible()

    # Regions and themes on the front page: folded above the topics, one tap to open.
    assert _top(page, ".places > summary") < _top(page, ".topic-row")
    assert not page.locator(".places a[href='/region/midtjylland']").is_visible()
    page.click(".places > summary")
    assert page.locator(".places a[href='/region/midtjylland']").is_visible()

    # The search facets are folded behind "Filtrér" and open with one tap.
    page.goto(base + f"/search?q={SEARCH_WORD}")
    facet_link = page.locator(".facets .facet a").first
    assert not facet_link.is_visible()
    page.click(".facets > summary:has-text('Filtrér')")
    assert facet_link.is_visible()
    context.close()


def test_desktop_shows_navigation_without_a_tap(browser, site) -> None:  # type: ignore[no-untyped-def]
    base = site["base"]
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    login(page, base, str(site["admin"]), factories.PASSWORD)
    page.goto(base + "/")
    assert page.locator(".main-nav a[href='/latest']").is_visible()
    assert not page.locator(".menu > summary").is_visible()
    assert page.locator(".places a[href='/region/midtjylland']").is_visible()
    page.goto(base + f"/search?q={SEARCH_WORD}")
    assert page.locator(".facets .facet a").first.is_visible()
    page.goto(base + f"/region/{site['region']}")
    assert page.locator(".filters a[aria-current]").first.is_visible()
    context.close()


FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, summary"


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    def luminance(rgb: tuple[float, ...]) -> float:
        channels = []
        for c in rgb[:3]:
            c = c / 255
            channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


_FOCUS_STYLE = """el => {
  el.focus();
  const s = getComputedStyle(el);
  const rgb = v => (v.match(/[\\d.]+/g) || []).map(Number);
  let bg = null;
  for (let n = el; n; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { bg = c; break; }
  }
  const shadow = s.boxShadow === 'none' ? [] : rgb(s.boxShadow.split(')')[0]);
  return {focused: document.activeElement === el, style: s.outlineStyle,
          width: parseFloat(s.outlineWidth), color: rgb(s.outlineColor), shadow: shadow,
          own: rgb(s.backgroundColor), around: bg || [255, 255, 255]};
}"""


@pytest.mark.parametrize("path", ["/", "/ny", "/search?q=x", "/indstillinger", "/admin/medlemmer"])
def test_focus_ring_contrast_on_every_control(browser, site, path) -> None:  # type: ignore[no-untyped-def]
    base = site["base"]
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        login(page, base, str(site["admin"]), factories.PASSWORD)
        page.goto(base + path)
        page.keyboard.press("Tab")  # keyboard modality, so :focus-visible applies everywhere
        checked = 0
        for control in page.locator(FOCUSABLE).all():
            if not control.is_visible():
                continue
            ring = control.evaluate(_FOCUS_STYLE)
            assert ring["focused"]
            where = f"{path} {viewport['width']}px {control.evaluate('e => e.outerHTML')[:120]}"
            assert ring["style"] not in ("none", "hidden") and ring["width"] >= 2, where
            # A two-tone ring (outline plus an inner box-shadow) stands out on any background:
            # on white (most controls), on the blue header, and on a blue button itself.
            tones = [tuple(ring["color"][:3])]
            if ring["shadow"]:
                tones.append(tuple(ring["shadow"][:3]))
            backgrounds = [tuple(ring["around"][:3])]
            if len(ring["own"]) == 3 or ring["own"][3] > 0:
                backgrounds.append(tuple(ring["own"][:3]))
            for background in backgrounds:
                best = max(_contrast(tone, background) for tone in tones)
                assert best >= 3, (where, background, tones, best)
            checked += 1
        assert checked > 5, path
        context.close()

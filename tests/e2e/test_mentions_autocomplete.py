"""The editor's @-autocomplete in a real browser: keyboard, mouse, and the linked mention."""

from __future__ import annotations

from forum.extensions import db
from tests import factories
from tests.e2e.conftest import login


def _open_new_topic(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/")
    page.click("text=Nyt emne >> nth=0")
    page.wait_for_selector("textarea[name=body]")


def test_mention_autocomplete(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server
    with app.app_context():
        writer = factories.user(
            db.session, name="Mette Kjær", email="mette@norddjurs.example", municipality="Norddjurs"
        )
        factories.user(db.session, name="Søren Holm", municipality="Odense")
        factories.user(db.session, name="Susanne Friis", municipality="Syddjurs")
        factories.user(db.session, name="Sofie Borte", active=False)
        db.session.commit()
        email = writer.email

    page = browser.new_page()
    login(page, base, email, factories.PASSWORD)
    _open_new_topic(page, base)
    box = page.locator("textarea[name=body]")
    listbox = page.locator("[role=listbox].mention-list")

    # Typing "@s" offers the two active members, the first one highlighted.
    box.click()
    box.type("Hvad mener @s")
    page.wait_for_selector(".mention-list [role=option]")
    options = listbox.locator("[role=option]")
    assert options.count() == 2
    assert page.locator("[role=status]", has_text="2 forslag").count() == 1
    assert box.get_attribute("aria-activedescendant") == options.nth(0).get_attribute("id")
    assert "Sofie" not in listbox.inner_text()

    # ArrowDown moves, Enter chooses and inserts "@username ".
    box.press("ArrowDown")
    assert options.nth(1).get_attribute("aria-selected") == "true"
    chosen = options.nth(1).locator(".mention-username").inner_text()
    box.press("Enter")
    assert box.input_value() == f"Hvad mener {chosen} "
    assert listbox.is_hidden()
    assert box.get_attribute("aria-activedescendant") is None

    # Escape closes without changing the text; a click on an option chooses it.
    box.type("og @so")
    page.wait_for_selector(".mention-list [role=option]")
    box.press("Escape")
    assert listbox.is_hidden()
    assert box.input_value().endswith("og @so")
    box.type("e")
    page.wait_for_selector(".mention-list [role=option]")
    listbox.locator("[role=option]").first.click()
    assert box.input_value() == f"Hvad mener {chosen} og @soeren-holm "

    # The live preview still works and shows the mention as a link to the profile.
    page.wait_for_selector(".preview a.mention[href='/u/soeren-holm']")

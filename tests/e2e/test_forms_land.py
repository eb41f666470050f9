"""A form that comes back with an error or a preview lands on that form, focus on the error."""

from __future__ import annotations

from forum.extensions import db
from tests import factories
from tests.e2e.conftest import PHONE, login


def test_refused_reply_and_preview_land_on_the_reply_form(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server
    with app.app_context():
        member = factories.user(db.session, name="Mette Kjær")
        topic = factories.topic(db.session, member, replies=19)
        db.session.commit()
        email, url = member.email, f"{base}/t/{topic.slug}/{topic.id}"
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    login(page, base, email, factories.PASSWORD)
    page.goto(url)
    # An empty reply is refused: the page comes back on the form, focus in the text box.
    with page.expect_navigation():
        page.click("text=Send svar")
    assert page.url.endswith("#svar")
    assert page.locator("#svar .field-errors").count() == 1
    page.wait_for_function("document.activeElement.name === 'body'")
    box = page.locator("#svar textarea").bounding_box()
    assert box is not None and 0 <= box["y"] < PHONE["height"]
    # A preview comes back scrolled to the preview itself.
    page.fill("#svar textarea", "Vi **prøver** det.")
    with page.expect_navigation():
        page.click("#svar button[name=preview]")
    assert page.url.endswith("-preview")
    preview = page.locator("#svar .preview .post-body").bounding_box()
    assert preview is not None and 0 <= preview["y"] < PHONE["height"]
    context.close()


def test_new_topic_errors_focus_the_first_invalid_field(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server
    with app.app_context():
        member = factories.user(db.session)
        db.session.commit()
        email = member.email
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    login(page, base, email, factories.PASSWORD)
    page.goto(f"{base}/ny")
    with page.expect_navigation():
        page.click("text=Opret emne")
    assert page.url.endswith("#nyt-emne")
    invalid = page.locator("[aria-invalid=true]")
    assert invalid.count() >= 1
    page.wait_for_function(
        "id => document.activeElement.id === id", arg=invalid.first.get_attribute("id")
    )
    assert page.locator("[autofocus]").count() == 1
    context.close()

"""Files on posts in a real browser: a member attaches a PDF with the editor's "Vedhæft fil"
button (from the keyboard) and an image by dropping it on the text, removes one again, posts,
and sees the files under the post; a reply gets its file by drag-and-drop too. axe-core checks
the editor with files chosen."""

from __future__ import annotations

import base64
import io

from forum.extensions import db
from tests import factories
from tests.e2e.conftest import axe_violations, login, screenshot
from tests.test_extract import make_pdf


def _png() -> bytes:
    from PIL import Image

    raw = io.BytesIO()
    Image.new("RGB", (320, 200), "skyblue").save(raw, "PNG")
    return raw.getvalue()


# Drops files on an element as a person dragging them from their desktop would: a dragover the
# page must accept, then the drop, both carrying the files in a DataTransfer.
DROP = """([selector, files]) => {
  const transfer = new DataTransfer();
  for (const [name, type, b64] of files) {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    transfer.items.add(new File([bytes], name, {type}));
  }
  const target = document.querySelector(selector);
  const over = new DragEvent("dragover", {dataTransfer: transfer, bubbles: true, cancelable: true});
  target.dispatchEvent(over);
  const drop = new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true});
  target.dispatchEvent(drop);
  return [over.defaultPrevented, drop.defaultPrevented];
}"""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _chosen(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(".attach-list .file-name").all_inner_texts()


def _input_files(page, form: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The names in the form's real file input (what the form will send)."""
    return page.eval_on_selector(
        f"{form} input[type=file]", "input => Array.from(input.files).map(f => f.name)"
    )


def test_attach_with_the_button_and_by_dropping(browser, live_server, axe_script) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server
    with app.app_context():
        anne = factories.user(
            db.session, name="Anne Lund", email="anne@odense.example", municipality="Odense"
        )
        bo = factories.user(db.session, name="Bo Dahl", email="bo@vejle.example")
        db.session.commit()
        anne_email, bo_email = anne.email, bo.email

    pdf = make_pdf(["Skabelon til netværksrådet", "Dagsorden"])
    context = browser.new_context(bypass_csp=True)  # for axe only; the app's own JS runs anyway
    page = context.new_page()
    # Listened for from the start: Playwright then intercepts every file picker, even one a
    # key press opens at once (expect_file_chooser starts listening too late for that).
    choosers: list[object] = []

    def chosen_picker(chooser) -> None:  # type: ignore[no-untyped-def]
        choosers.append(chooser)

    page.on("filechooser", chosen_picker)
    login(page, base, anne_email, factories.PASSWORD)
    page.goto(f"{base}/ny")
    page.select_option("select[name=kind]", "experience")
    page.select_option("select[name=region]", "syddanmark")
    page.select_option("select[name=theme]", "familiepleje")
    page.fill("input[name=title]", "Sådan kører vi netværksrådet")
    page.fill("textarea[name=body]", "Skabelonen og vores noter er vedhæftet.")
    page.wait_for_selector("#body-preview .post-body")  # the live preview has caught up

    # The button, from the keyboard: it opens the file picker.
    button = page.locator("button.attach-button")
    assert button.inner_text() == "Vedhæft fil"
    assert page.locator("input[type=file]").get_attribute("tabindex") == "-1"
    button.focus()
    page.keyboard.press("Enter")
    for _ in range(100):  # the event comes through Playwright's loop: let it run
        if choosers:
            break
        page.wait_for_timeout(50)
    assert choosers, "the button opened no file picker"
    choosers[0].set_files(  # type: ignore[attr-defined]
        [{"name": "skabelon.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    assert _chosen(page) == ["skabelon.pdf"]
    # Dropped on the text: added to the files already chosen (and not typed into the text).
    accepted = page.evaluate(
        DROP,
        [
            "#nyt-emne textarea.editor-text",
            [
                ["tavle.png", "image/png", _b64(_png())],
                ["forkert.txt", "text/plain", _b64(b"Den forkerte fil")],
            ],
        ],
    )
    assert accepted == [True, True]
    assert _chosen(page) == ["skabelon.pdf", "tavle.png", "forkert.txt"]
    assert _input_files(page, "#nyt-emne") == ["skabelon.pdf", "tavle.png", "forkert.txt"]
    assert "3 filer valgt" in page.inner_text(".attach [role=status]")
    # A photo's text cannot be read: the writer says it holds no personal data, up front.
    page.check("input[name=confirm]")

    # The editor with files chosen passes axe.
    screenshot(page, "post-files-editor")
    problems = axe_violations(page, axe_script)
    assert not problems, "\n".join(problems)

    # Removing one, from the keyboard: the focus stays in the list.
    remove = page.locator("button[aria-label='Fjern forkert.txt']")
    remove.focus()
    page.keyboard.press("Enter")
    assert _chosen(page) == ["skabelon.pdf", "tavle.png"]
    assert _input_files(page, "#nyt-emne") == ["skabelon.pdf", "tavle.png"]
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Fjern tavle.png"

    page.click("button:has-text('Opret emne')")
    page.wait_for_selector("h1:has-text('Sådan kører vi netværksrådet')")
    opening = page.locator("#p1 .post-files")
    assert opening.locator(".file-name").all_inner_texts() == ["skabelon.pdf", "tavle.png"]
    image = opening.locator(".post-image img")
    assert (image.get_attribute("width"), image.get_attribute("height")) == ("240", "150")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 320  # its preview
    assert "PDF" in opening.inner_text() and "2 sider" in opening.inner_text()
    href = opening.locator("a.file-name").first.get_attribute("href")
    assert href is not None and href.endswith("/skabelon.pdf")
    assert page.request.get(base + href).body() == pdf
    topic_url = page.url.split("#")[0]
    page.click("header form button[type=submit]")
    page.wait_for_url("**/login")

    # A colleague replies with a file dropped on the reply's text.
    login(page, base, bo_email, factories.PASSWORD)
    page.goto(topic_url)
    page.fill("#svar textarea[name=body]", "Tak! Her er vores udgave.")
    page.evaluate(
        DROP,
        ["#svar textarea.editor-text", [["vores-udgave.pdf", "application/pdf", _b64(pdf)]]],
    )
    assert _chosen(page) == ["vores-udgave.pdf"]
    page.click("button:has-text('Send svar')")
    page.wait_for_selector("#p2 .post-files")
    assert page.locator("#p2 .post-files .file-name").all_inner_texts() == ["vores-udgave.pdf"]
    assert page.locator("#p1 .post-files .file-name").count() == 2
    screenshot(page, "post-files-topic")
    context.close()


def test_a_refused_file_keeps_the_text_in_the_browser(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server
    with app.app_context():
        anne = factories.user(db.session, name="Anne Lund", email="anne@odense.example")
        topic = factories.topic(db.session, anne, title="Efterværn i praksis")
        db.session.commit()
        anne_email, url = anne.email, f"/t/{topic.slug}/{topic.id}"
    page = browser.new_page()
    login(page, base, anne_email, factories.PASSWORD)
    page.goto(base + url)
    page.fill("#svar textarea[name=body]", "Mit svar, som ikke må gå tabt.")
    page.evaluate(
        DROP,
        [
            "#svar textarea.editor-text",
            [["program.pdf", "application/pdf", _b64(b"MZ\x90\x00" + b"\x00" * 200)]],
        ],
    )
    page.click("button:has-text('Send svar')")
    page.wait_for_selector("#file-errors")
    assert "program" in page.inner_text("#file-errors")
    assert page.input_value("#svar textarea[name=body]") == "Mit svar, som ikke må gå tabt."
    assert "Vælg dem igen" in page.inner_text(".attach")
    # The focus goes to the file's button, beside its error, not to the hidden field.
    page.wait_for_function("document.activeElement.classList.contains('attach-button')")
    page.close()


def test_without_javascript_the_plain_field_attaches(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server
    with app.app_context():
        anne = factories.user(db.session, name="Anne Lund", email="anne@odense.example")
        topic = factories.topic(db.session, anne, title="Efterværn i praksis")
        db.session.commit()
        anne_email, url = anne.email, f"/t/{topic.slug}/{topic.id}"
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, base, anne_email, factories.PASSWORD)
    page.goto(base + url)
    assert page.locator("button.attach-button").count() == 0
    page.fill("#svar textarea[name=body]", "Referatet er vedhæftet.")
    page.set_input_files(
        "#svar input[name=file]",
        files=[
            {"name": "referat.pdf", "mimeType": "application/pdf", "buffer": make_pdf(["Ref"])},
            {"name": "noter.txt", "mimeType": "text/plain", "buffer": b"Noter fra modet"},
        ],
    )
    page.click("button:has-text('Send svar')")
    page.wait_for_selector("#p2 .post-files")
    names = page.locator("#p2 .post-files .file-name").all_inner_texts()
    assert names == ["referat.pdf", "noter.txt"]
    context.close()


def test_too_many_files_are_stopped_before_sending(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server
    with app.app_context():
        anne = factories.user(db.session, name="Anne Lund", email="anne@odense.example")
        topic = factories.topic(db.session, anne, title="Efterværn i praksis")
        db.session.commit()
        anne_email, url = anne.email, f"/t/{topic.slug}/{topic.id}"
    page = browser.new_page()
    login(page, base, anne_email, factories.PASSWORD)
    page.goto(base + url)
    page.fill("#svar textarea[name=body]", "Mange bilag.")
    eleven = [[f"bilag-{n}.txt", "text/plain", _b64(b"Bilag")] for n in range(11)]
    page.evaluate(DROP, ["#svar textarea.editor-text", eleven])
    page.click("button:has-text('Send svar')")
    assert "højst vedhæfte 10 filer" in page.inner_text(".attach-problem")
    assert page.url == base + url  # nothing was sent, so nothing can be lost
    page.locator("button[aria-label='Fjern bilag-10.txt']").click()
    assert page.locator(".attach-problem").is_hidden()
    page.click("button:has-text('Send svar')")
    page.wait_for_selector("#p2 .post-files")
    assert page.locator("#p2 .post-files .file-name").count() == 10
    page.close()

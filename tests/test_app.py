"""Request-wide behaviour of the app: bounded numbers, NUL bytes, proxies, kept text."""

from __future__ import annotations

import pytest

from forum.extensions import db
from forum.models import Post
from forum.urls import MAX_ID
from tests import factories

HUGE = str(10**30)


@pytest.mark.parametrize(
    "url",
    [
        f"/t/x/{HUGE}",
        f"/t/x/1/{HUGE}",
        f"/p/{HUGE}/historik",
        f"/p/{HUGE}/citat",
        f"/t/x/{MAX_ID + 1}",
    ],
)
def test_absurd_ids_in_paths_are_not_found(client, auth, member, url) -> None:  # type: ignore[no-untyped-def]
    factories.topic(db.session, member)
    auth.login(member)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/latest?page={HUGE}",
        f"/region/midtjylland?page={HUGE}",
        "/region/midtjylland?page=abc",
        "/region/midtjylland?slug=x",
        "/region/midtjylland?_method=POST&_external=1",
        "/tema/familiepleje?topic_id=4",
    ],
)
def test_odd_query_arguments_do_not_break_lists(client, auth, member, url) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        factories.topic(db.session, member, title=f"Emne nummer {n} om netværk")
    db.session.commit()
    auth.login(member)
    assert client.get(url).status_code == 200


def test_odd_query_arguments_on_topic_redirect(client, auth, member) -> None:  # type: ignore[no-untyped-def]
    topic = factories.topic(db.session, member)
    auth.login(member)
    response = client.get(f"/t/wrong/{topic.id}?slug=x&topic_id=9&_external=1&page=1&quote={HUGE}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/t/{topic.slug}/{topic.id}?page=1&quote={HUGE}"
    assert client.get(response.headers["Location"]).status_code == 200


def test_mark_answer_with_a_non_number_is_a_bad_request(client, auth, member) -> None:  # type: ignore[no-untyped-def]
    topic = factories.topic(db.session, member, kind="sparring", replies=1)
    auth.login(member)
    for value in ("abc", HUGE, "-1"):
        assert client.post(f"/t/{topic.id}/svaret", data={"post_id": value}).status_code == 400


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("GET", "/latest?page=1\x00", None),
        ("POST", "/ny", {"title": "Titel\x00", "body": "tekst"}),
    ],
)
def test_nul_bytes_are_refused(client, auth, member, method, url, data) -> None:  # type: ignore[no-untyped-def]
    auth.login(member)
    assert client.open(url, method=method, data=data).status_code == 400


@pytest.mark.parametrize(
    ("hops", "link"),
    [(0, "http://localhost/password/reset/"), (1, "https://forum.example.dk/password/reset/")],
)
def test_proxy_headers_are_trusted_only_when_configured(
    make_app, member, mailbox, hops, link
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(PROXY_FIX_HOPS=hops, **mailbox.settings)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "forum.example.dk"}
    app.test_client().post("/password/forgot", data={"email": member.email}, headers=headers)
    # The e-mailed link carries the address the app believes it was asked for.
    (mail,) = mailbox.to(member.email)
    assert link in mail.get_body(("plain",)).get_content()


def test_expired_form_hands_the_text_back(make_app, member) -> None:  # type: ignore[no-untyped-def]
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post(
        "/ny", data={"title": "Min titel", "body": "Alt det jeg skrev", "csrf_token": "old"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Sikkerhedsnøglen" in html
    assert "Alt det jeg skrev" in html
    assert "Min titel" in html


def test_edit_of_a_post_locked_meanwhile_hands_the_text_back(
    client, auth, member, facilitator
) -> None:  # type: ignore[no-untyped-def]
    from forum.topics import set_locked

    topic = factories.topic(db.session, member)
    post = db.session.scalar(db.select(Post).where(Post.topic_id == topic.id))
    set_locked(db.session, facilitator, topic, True)
    auth.login(member)
    response = client.post(f"/p/{post.id}/rediger", data={"body": "Min rettede tekst"})
    assert response.status_code == 409
    assert "Min rettede tekst" in response.get_data(as_text=True)


def test_quote_source_is_markdown_for_visible_posts_only(
    client, auth, member, other_member, facilitator
) -> None:  # type: ignore[no-untyped-def]
    from forum.topics import delete_post

    topic = factories.topic(db.session, member, replies=1, repliers=[other_member])
    first, reply = (factories.post(db.session, topic, n) for n in (1, 2))
    delete_post(db.session, facilitator, reply)
    auth.login(other_member)
    response = client.get(f"/p/{first.id}/citat")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith(f"> **{member.display_name} skrev:**")
    assert client.get(f"/p/{reply.id}/citat").status_code == 404


def test_invitation_mail_is_danish_even_from_an_english_admin(client, auth, admin, mailbox) -> None:  # type: ignore[no-untyped-def]
    admin.locale = "en"
    auth.login(admin)
    norddjurs = factories.municipality(db.session, "Norddjurs")
    client.post(
        "/admin/invitationer",
        data={"email": "ny@norddjurs.dk", "role": "member", "municipality": norddjurs.id},
    )
    (mail,) = mailbox.to("ny@norddjurs.dk")
    assert mail["Subject"].startswith("Invitation til Ledernetværket")
    assert "har inviteret dig" in mail.get_body(("plain",)).get_content()


# -- numbers, redirects and the error page (hardening point 12) -------------------------------


@pytest.mark.parametrize("position", [str(MAX_ID + 1), str(2**63), HUGE, "-1"])
def test_theme_position_out_of_range_is_a_field_error(client, auth, admin, position) -> None:  # type: ignore[no-untyped-def]
    from forum.models import Theme

    before = db.session.scalar(db.select(db.func.count(Theme.id)))
    auth.login(admin)
    response = client.post("/admin/temaer/ny", data={"name": "Stort tal", "position": position})
    assert response.status_code == 200
    assert f"Skriv et helt tal fra 0 til {MAX_ID}." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Theme.id))) == before


def test_theme_position_at_the_bound_is_stored(client, auth, admin) -> None:  # type: ignore[no-untyped-def]
    from forum.models import Theme

    auth.login(admin)
    response = client.post("/admin/temaer/ny", data={"name": "Sidst", "position": str(MAX_ID)})
    assert response.status_code == 302
    assert db.session.scalar(db.select(Theme.position).where(Theme.name == "Sidst")) == MAX_ID


def test_error_page_after_a_failed_flush_is_the_danish_page(make_app, database_url, member) -> None:  # type: ignore[no-untyped-def]
    """A flush that fails leaves the session needing a rollback; the 500 page still renders
    (it asks the database for the member's language) instead of failing in its turn."""
    from forum.models import Theme

    app = make_app(PROPAGATE_EXCEPTIONS=False)
    # One past what the database's integer column holds: the flush itself fails.
    too_big = 2**31 if database_url.startswith("postgresql") else 2**63

    def overflow():  # type: ignore[no-untyped-def]
        db.session.add(Theme(name="For stort", slug="for-stort", position=too_big))
        db.session.flush()
        return "not reached"

    app.add_url_rule("/test-overflow", "test_overflow", overflow)
    client = app.test_client()
    client.post("/login", data={"email": member.email, "password": factories.PASSWORD})
    response = client.get("/test-overflow")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Noget gik galt hos os" in html
    assert '<html lang="da"' in html


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/latest\r\nSet-Cookie: x=1", "/"),  # would split the header: a 500 before
        ("/latest\nSet-Cookie: x=1", "/"),
        ("/\t/evil.example", "/"),  # browsers drop the tab: //evil.example
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("latest", "/"),
        ("/latest?page=2", "/latest?page=2"),
    ],
)
def test_next_is_a_local_path_or_the_front_page(client, auth, member, target, location) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import quote

    url = f"/login?next={quote(target, safe='')}"
    response = client.post(url, data={"email": member.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == location
    again = client.get(url)  # already logged in: straight on
    assert again.status_code == 302
    assert again.headers["Location"] == location


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/t/emne/4?page=2#p7", "/t/emne/4?page=2#p7"),
        ("/latest", "/latest"),
        ("/x\r\ny", None),
        ("/x\x7fy", None),
        ("//host", None),
        ("/\\host", None),
        ("http://host/", None),
        ("", None),
        (None, None),
    ],
)
def test_local_path(target, kept) -> None:  # type: ignore[no-untyped-def]
    from forum.urls import local_path

    assert local_path(target) == kept


@pytest.mark.parametrize("revision", ["²", HUGE, "-1", "x"])
def test_odd_edit_revision_is_a_stale_form_not_a_500(client, auth, member, revision) -> None:  # type: ignore[no-untyped-def]
    topic = factories.topic(db.session, member)
    post = db.session.scalar(db.select(Post).where(Post.topic_id == topic.id))
    auth.login(member)
    response = client.post(
        f"/p/{post.id}/rediger", data={"body": "Rettet tekst her", "revision": revision}
    )
    # No usable revision: the edit is taken as based on the current text, as without a field.
    assert response.status_code == 302
    db.session.refresh(post)
    assert post.body == "Rettet tekst her"


# -- security headers (hardening point 13) -----------------------------------------------------

PRODUCTION = {"ENV": "production", "SECRET_KEY": "a-long-random-production-secret-" * 2}


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (PRODUCTION, "max-age=31536000; includeSubDomains"),
        ({**PRODUCTION, "HSTS_SECONDS": 600}, "max-age=600; includeSubDomains"),
        ({**PRODUCTION, "HSTS_SECONDS": 0}, None),
        ({}, None),  # development on http://localhost must not pin the browser to https
    ],
)
def test_strict_transport_security_in_production(make_app, settings, expected) -> None:  # type: ignore[no-untyped-def]
    response = make_app(**settings).test_client().get("/login")
    assert response.status_code == 200
    assert response.headers.get("Strict-Transport-Security") == expected


def test_images_come_from_the_forum_only(client) -> None:  # type: ignore[no-untyped-def]
    policy = client.get("/login").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["img-src"] == "'self'"


# -- a GET never writes (hardening point 15) ---------------------------------------------------


def test_no_get_page_writes(client, auth, admin, member, count_queries) -> None:  # type: ignore[no-untyped-def]
    from forum import markup
    from forum.models import Theme
    from forum.topics import delete_post

    topic = factories.topic(
        db.session, member, body="Se ![kortet](https://kl.dk/kort.png)", replies=2
    )
    opening, reply = (factories.post(db.session, topic, n) for n in (1, 2))
    reply.body = "Rettet svar"
    reply.edited_at = reply.created_at
    delete_post(db.session, admin, factories.post(db.session, topic, 3))
    # HTML cached by an older renderer: the page must show it fresh without storing it.
    db.session.execute(
        db.update(Post)
        .where(Post.id == opening.id)
        .values(html='<p>Se <img src="https://kl.dk/kort.png"></p>', html_version=0)
    )
    theme = db.session.scalar(db.select(Theme).limit(1))
    municipality = factories.municipality(db.session, "Vejle")
    auth.login(admin)
    pages = [
        "/",
        "/latest",
        "/region/midtjylland",
        f"/tema/{theme.slug}",
        f"/tema/{theme.slug}?region=midtjylland",
        f"/t/{topic.slug}/{topic.id}",
        f"/t/{topic.slug}/{topic.id}?quote=2",
        f"/t/{topic.slug}/{topic.id}/2",
        f"/p/{reply.id}/historik",
        f"/p/{reply.id}/rediger",
        f"/p/{reply.id}/citat",
        f"/u/{member.username}",
        "/search?q=kortet",
        "/ny",
        "/indstillinger",
        "/admin/",
        "/admin/invitationer",
        "/admin/medlemmer",
        "/admin/temaer",
        f"/admin/temaer/{theme.id}",
        "/admin/temaer/ny",
        "/admin/kommuner",
        f"/admin/kommuner/{municipality.id}",
        "/admin/kommuner/ny",
        "/admin/slettet",
    ]
    for url in pages:
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200, url
        writes = [s for s in counter.statements if s.lstrip().split(None, 1)[0].upper() in WRITES]
        # The one deliberate write: a topic page moves the read marker, in one statement, and
        # only when it moves (the same page again writes nothing).
        marker = [s for s in writes if s.lstrip().startswith("INSERT INTO topic_members")]
        assert len(marker) <= 1 and writes == marker, url
        if marker:
            with count_queries() as again:
                client.get(url)
            assert not [s for s in again.statements if s.split(None, 1)[0].upper() in WRITES]
    html = client.get(f"/t/{topic.slug}/{topic.id}").get_data(as_text=True)
    assert '<a href="https://kl.dk/kort.png" rel="nofollow noopener noreferrer">kortet</a>' in html
    db.session.expire_all()
    assert db.session.get(Post, opening.id).html_version == 0
    assert markup.RENDERER_VERSION > 0


WRITES = {"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "UPSERT"}


def test_posts_rerender_stores_fresh_html(runner, member) -> None:  # type: ignore[no-untyped-def]
    from forum import markup

    topics = [factories.topic(db.session, member, body=f"Indlæg {n} med **fed**") for n in range(3)]
    ids = [factories.post(db.session, t, 1).id for t in topics]
    db.session.execute(
        db.update(Post).where(Post.id.in_(ids[:2])).values(html="<p>gammel</p>", html_version=0)
    )
    db.session.commit()
    result = runner.invoke(args=["posts", "rerender", "--batch", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"Re-rendered 2 posts with renderer version {markup.RENDERER_VERSION}."
    )
    db.session.expire_all()
    for n, post_id in enumerate(ids):
        post = db.session.get(Post, post_id)
        assert post.html_version == markup.RENDERER_VERSION
        assert post.html == f"<p>Indlæg {n} med <strong>fed</strong></p>"
    again = runner.invoke(args=["posts", "rerender"])
    assert again.output.strip() == (
        f"Re-rendered 0 posts with renderer version {markup.RENDERER_VERSION}."
    )

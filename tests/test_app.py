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
def test_proxy_headers_are_trusted_only_when_configured(make_app, member, hops, link) -> None:  # type: ignore[no-untyped-def]
    from forum.models import MailMessage

    app = make_app(PROXY_FIX_HOPS=hops)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "forum.example.dk"}
    app.test_client().post("/password/forgot", data={"email": member.email}, headers=headers)
    # The e-mailed link carries the address the app believes it was asked for.
    mail = db.session.scalar(db.select(MailMessage))
    assert link in mail.body


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


def test_invitation_mail_is_danish_even_from_an_english_admin(client, auth, admin) -> None:  # type: ignore[no-untyped-def]
    from forum.models import MailMessage

    admin.locale = "en"
    auth.login(admin)
    norddjurs = factories.municipality(db.session, "Norddjurs")
    client.post(
        "/admin/invitationer",
        data={"email": "ny@norddjurs.dk", "role": "member", "municipality": norddjurs.id},
    )
    mail = db.session.scalar(db.select(MailMessage))
    assert mail is not None
    assert mail.subject.startswith("Invitation til Ledernetværket")
    assert "har inviteret dig" in mail.body

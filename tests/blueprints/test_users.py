"""Profiles and a member's own preferences."""

from __future__ import annotations

import re

import pytest

from forum import following
from forum import topics as domain
from forum.extensions import db
from forum.models import User
from tests import factories


def html_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def section(html: str, heading: str) -> str:
    """The HTML of the profile section under ``<h2>heading``."""
    found = re.search(
        rf"<h2>{heading} <span class=\"count\">(\d+)</span></h2>(.*?)</section>", html, re.S
    )
    assert found, heading
    return found.group(0)


def count_in(html: str, heading: str) -> int:
    return int(re.search(rf"<h2>{heading} <span class=\"count\">(\d+)</span>", html).group(1))


# -- profile ---------------------------------------------------------------------------------


def test_profile_shows_member_with_topics_and_posts(client, auth, member, other_member):
    own = factories.topic(db.session, member, title="Mobilisering af netværket før anbringelse")
    theirs = factories.topic(db.session, other_member, title="Fast myndighedsperson i praksis")
    domain.append_post(db.session, member, theirs, "Hos os har hver familie én fast rådgiver.")
    factories.topic(db.session, other_member, title="Et emne Mette ikke har skrevet i")
    auth.login(other_member)

    response = client.get(f"/u/{member.username}")
    assert response.status_code == 200
    html = html_of(response)
    assert "<h1>Mette Kjær</h1>" in html
    assert "Teamleder" in html
    assert re.search(r"· Norddjurs( Kommune)? ·", html)
    assert 'href="/region/midtjylland">Region Midtjylland</a>' in html
    assert "Deltager" in html  # the role

    topics = section(html, "Emner")
    assert count_in(html, "Emner") == 1
    assert own.title in topics
    assert theirs.title not in topics

    posts = section(html, "Indlæg")
    assert count_in(html, "Indlæg") == 2  # the opening post and the reply
    assert own.title in posts
    assert theirs.title in posts
    assert "Et emne Mette ikke har skrevet i" not in html


def test_profile_of_facilitator_shows_organisation(client, auth, member, facilitator):
    auth.login(member)
    html = html_of(client.get(f"/u/{facilitator.username}"))
    assert "Jonas Facilitator" in html
    assert " · KL" in html
    assert "Facilitator" in html
    assert 'href="/region/' not in html  # no municipality, so no region


def test_profile_leaves_out_deleted_posts_and_topics(client, auth, member, other_member):
    kept = factories.topic(db.session, member, title="Et emne der bliver stående")
    gone = factories.topic(db.session, member, title="Et emne der bliver slettet")
    domain.delete_post(db.session, member, factories.post(db.session, gone, 1))
    auth.login(other_member)
    html = html_of(client.get(f"/u/{member.username}"))
    assert kept.title in html
    assert gone.title not in html
    assert count_in(html, "Emner") == 1
    assert count_in(html, "Indlæg") == 1


def test_profile_without_content(client, auth, member):
    auth.login(member)
    html = html_of(client.get(f"/u/{member.username}"))
    assert "Ingen indlæg endnu." in html
    assert 'href="/indstillinger"' in html  # one's own profile links to the preferences


def test_other_profile_has_no_preferences_link(client, auth, member, other_member):
    auth.login(member)
    assert 'href="/indstillinger"' not in html_of(client.get(f"/u/{other_member.username}"))


def test_inactive_member_is_marked(client, auth, member):
    imported = factories.user(db.session, name="Importeret Leder", active=False)
    auth.login(member)
    html = html_of(client.get(f"/u/{imported.username}"))
    assert "Importeret Leder" in html
    assert "Ikke aktiv" in html


@pytest.mark.parametrize("username", ["findes-ikke", "METTE-KJAER", "mette"])
def test_unknown_profile_is_404(client, auth, member, username):
    auth.login(member)
    response = client.get(f"/u/{username}")
    assert response.status_code == 404
    assert "Medlemmet findes ikke." in html_of(response)


# -- preferences -----------------------------------------------------------------------------


def test_preferences_page_shows_current_values(client, auth, member):
    auth.login(member)
    html = html_of(client.get("/indstillinger"))
    assert 'value="Mette Kjær"' in html
    assert 'value="Teamleder"' in html
    assert re.search(r'<option selected value="da">|<option value="da" selected', html)


def test_change_name_and_title(client, auth, member):
    auth.login(member)
    response = client.post(
        "/indstillinger",
        data={
            "display_name": "  Mette   Kjær Hansen ",
            "job_title": " Afdelingsleder ",
            "locale": "da",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/indstillinger"
    user = db.session.get(User, member.id)
    assert user.display_name == "Mette Kjær Hansen"
    assert user.job_title == "Afdelingsleder"
    html = html_of(client.get("/indstillinger"))
    assert "Dine indstillinger er gemt." in html
    assert "Mette Kjær Hansen" in html_of(client.get(f"/u/{member.username}"))


def test_default_language_is_danish(client, auth, member):
    assert '<html lang="da">' in html_of(client.get("/login"))
    auth.login(member)
    assert '<html lang="da">' in html_of(client.get("/"))


def test_choosing_english(client, auth, member):
    auth.login(member)
    client.post(
        "/indstillinger",
        data={"display_name": "Mette Kjær", "job_title": "Teamleder", "locale": "en"},
    )
    assert db.session.get(User, member.id).locale == "en"
    for url in ("/", "/indstillinger", f"/u/{member.username}"):
        assert '<html lang="en">' in html_of(client.get(url))
    client.post(
        "/indstillinger",
        data={"display_name": "Mette Kjær", "job_title": "Teamleder", "locale": "da"},
    )
    assert '<html lang="da">' in html_of(client.get("/"))


def test_language_choice_is_the_members_own(app, client, auth, member, other_member):
    member.locale = "en"
    auth.login(member)
    assert '<html lang="en">' in html_of(client.get("/"))
    other = app.test_client()
    other.post("/login", data={"email": other_member.email, "password": factories.PASSWORD})
    assert '<html lang="da">' in html_of(other.get("/"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"display_name": "", "locale": "da"}, "display_name"),
        ({"display_name": "   ", "locale": "da"}, "display_name"),
        ({"display_name": "M", "locale": "da"}, "display_name"),
        ({"display_name": "M" * 121, "locale": "da"}, "display_name"),
        ({"display_name": "Mette Kjær", "locale": "de"}, "locale"),
    ],
)
def test_bad_preferences_are_refused(client, auth, member, data, field):
    auth.login(member)
    response = client.post("/indstillinger", data=data)
    assert response.status_code == 200
    assert re.search(rf'<ul class="field-errors" id="{field}-errors">\s*<li>', html_of(response))
    user = db.session.get(User, member.id)
    assert user.display_name == "Mette Kjær"
    assert user.locale == "da"


def test_empty_name_error_is_danish(client, auth, member):
    auth.login(member)
    response = client.post("/indstillinger", data={"display_name": "", "locale": "da"})
    assert "Feltet skal udfyldes." in html_of(response)


@pytest.mark.parametrize(
    ("field", "value"),
    [("display_name", "Mette 120590-1234"), ("job_title", "Teamleder ١٢٠٥٩٠-١٢٣٤")],
)
def test_name_and_title_with_a_cpr_number_are_refused_and_kept(client, auth, member, field, value):
    auth.login(member)
    data = {"display_name": "Mette Kjær", "job_title": "Teamleder", "locale": "da", field: value}
    response = client.post("/indstillinger", data=data)
    assert response.status_code == 200
    html = html_of(response)
    assert "CPR-nummer (120590-****" in html
    assert f'id="{field}-errors"' in html
    user = db.session.get(User, member.id)
    assert (user.display_name, user.job_title) == ("Mette Kjær", "Teamleder")


# -- how the member follows the topics they start and reply to ----------------------------------


def _selected(html: str, name: str) -> str:
    """The value of the selected option of the select named ``name``."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    (chosen,) = [attrs for attrs in re.findall(r"<option([^>]*)>", select) if "selected" in attrs]
    return re.search(r'value="([^"]*)"', chosen).group(1)


def test_the_following_section_shows_the_topic_defaults(client, auth, member):
    auth.login(member)
    html = html_of(client.get("/indstillinger"))
    following_section = html.split('id="foelger"', 1)[1].split("<h3>", 2)[1]
    assert "Når jeg starter et emne" in following_section
    assert "Når jeg svarer i et emne" in following_section
    assert "fra nu af" in following_section  # only topics started or replied to from now on
    assert 'action="/indstillinger/foelger#foelger"' in following_section
    assert _selected(html, "started_topic_level") == str(following.WATCHING)
    assert _selected(html, "replied_topic_level") == str(following.TRACKING)
    started = re.search(r'name="started_topic_level".*?</select>', html, re.S).group(0)
    assert re.findall(r">(Følger|Sporer|Normal)<", started) == ["Følger", "Sporer", "Normal"]
    assert "Ignorerer" not in started


def test_the_topic_defaults_are_saved(client, auth, member):
    auth.login(member)
    response = client.post(
        "/indstillinger/foelger",
        data={
            "started_topic_level": str(following.TRACKING),
            "replied_topic_level": str(following.NORMAL),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/indstillinger#foelger"
    user = db.session.get(User, member.id)
    assert (user.started_topic_level, user.replied_topic_level) == (
        following.TRACKING,
        following.NORMAL,
    )
    html = html_of(client.get("/indstillinger"))
    assert "Dine indstillinger er gemt." in html
    assert _selected(html, "started_topic_level") == str(following.TRACKING)
    assert _selected(html, "replied_topic_level") == str(following.NORMAL)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"started_topic_level": "0", "replied_topic_level": "1"}, "started_topic_level"),
        ({"started_topic_level": "2", "replied_topic_level": "4"}, "replied_topic_level"),
        ({"started_topic_level": "følger", "replied_topic_level": "1"}, "started_topic_level"),
        ({"started_topic_level": "1", "replied_topic_level": ""}, "replied_topic_level"),
        ({"started_topic_level": "1"}, "replied_topic_level"),
    ],
)
def test_a_bad_topic_default_is_refused_beside_its_field(client, auth, member, data, field):
    auth.login(member)
    response = client.post("/indstillinger/foelger", data=data)
    assert response.status_code == 400
    html = html_of(response)
    errors = re.search(rf'<ul class="field-errors" id="{field}-errors">(.*?)</ul>', html, re.S)
    assert errors and "Vælg en af mulighederne på listen." in errors.group(1)
    user = db.session.get(User, member.id)
    assert (user.started_topic_level, user.replied_topic_level) == (
        following.WATCHING,
        following.TRACKING,
    )
    if field == "replied_topic_level":  # the other, good choice is kept on the page
        assert _selected(html, "started_topic_level") == data["started_topic_level"]


def test_the_topic_defaults_need_the_forms_csrf_token(make_app, member):
    other = make_app(WTF_CSRF_ENABLED=True)
    client = other.test_client()
    page = html_of(client.get("/login"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(
        "/login",
        data={"email": member.email, "password": factories.PASSWORD, "csrf_token": token},
    )
    data = {"started_topic_level": "1", "replied_topic_level": "1"}
    assert client.post("/indstillinger/foelger", data=data).status_code == 400
    assert db.session.get(User, member.id).started_topic_level == following.WATCHING
    page = html_of(client.get("/indstillinger"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/indstillinger/foelger", data={**data, "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).started_topic_level == following.NORMAL

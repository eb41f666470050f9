"""The permission matrix: every role against every action, in the policy and over HTTP."""

from __future__ import annotations

import hashlib
import io
from datetime import date, datetime, time, timedelta

import pytest
from flask_login import AnonymousUserMixin

from forum import permissions as p
from forum import places
from forum.accounts import create_invitation
from forum.extensions import db
from forum.meetings import MeetingInput, cancel_meeting, create_meeting
from forum.models import Attachment, AttachmentPart, Role, Theme, TopicKind
from forum.storage import storage
from forum.topics import delete_post, set_locked
from tests import factories

ROLES = ["anonymous", "author", "member", "facilitator", "admin", "inactive"]

# (action, object, {role: allowed}) for an open discussion topic and its posts.
# "author" wrote the topic and its reply; "member" is any other participant.
MATRIX = [
    (p.VIEW, "topic", {"author", "member", "facilitator", "admin"}),
    (p.VIEW, "reply", {"author", "member", "facilitator", "admin"}),
    (p.VIEW, "deleted_reply", {"facilitator", "admin"}),
    (p.VIEW, "deleted_topic", {"facilitator", "admin"}),
    (p.CREATE_TOPIC, TopicKind.DISCUSSION, {"author", "member", "facilitator", "admin"}),
    (p.CREATE_TOPIC, TopicKind.SPARRING, {"author", "member", "facilitator", "admin"}),
    (p.CREATE_TOPIC, TopicKind.EXPERIENCE, {"author", "member", "facilitator", "admin"}),
    (p.CREATE_TOPIC, TopicKind.MATERIAL, {"facilitator", "admin"}),
    (p.REPLY, "topic", {"author", "member", "facilitator", "admin"}),
    (p.REPLY, "locked_topic", {"facilitator", "admin"}),
    (p.REPLY, "deleted_topic", set()),
    (p.EDIT, "reply", {"author", "facilitator", "admin"}),
    (p.EDIT, "locked_reply", {"facilitator", "admin"}),
    (p.EDIT, "deleted_reply", set()),
    (p.DELETE, "reply", {"author", "facilitator", "admin"}),
    (p.DELETE, "deleted_reply", set()),
    (p.DELETE, "opening_post", {"facilitator", "admin"}),  # it has a reply by now
    (p.DELETE, "lone_opening_post", {"author", "facilitator", "admin"}),
    (p.RESTORE, "reply", set()),
    (p.RESTORE, "deleted_reply", {"facilitator", "admin"}),
    (p.VIEW_HISTORY, "reply", {"author", "facilitator", "admin"}),
    (p.QUOTE, "reply", {"author", "member", "facilitator", "admin"}),
    (p.QUOTE, "deleted_reply", set()),  # not even moderators, who can see it
    (p.QUOTE, "deleted_topic_post", set()),
    (p.MARK_ANSWER, "sparring_topic", {"author", "facilitator", "admin"}),
    (p.MARK_ANSWER, "topic", set()),  # not a sparring topic
    (p.MARK_AS_ANSWER, "sparring_reply", {"author", "facilitator", "admin"}),
    (p.MARK_AS_ANSWER, "sparring_own_reply", set()),  # the asker's own follow-up
    (p.MARK_AS_ANSWER, "sparring_opening", set()),
    (p.MARK_AS_ANSWER, "reply", set()),  # not a sparring topic
    (p.MODERATE, "topic", {"facilitator", "admin"}),
    (p.VIEW_DELETED, None, {"facilitator", "admin"}),
    (p.INVITE, None, {"facilitator", "admin"}),
    (p.ADMINISTER, None, {"admin"}),
    (p.DEACTIVATE, "author_user", {"admin"}),
    (p.DEACTIVATE, "admin_user", set()),  # not oneself
    (p.SEARCH, None, {"author", "member", "facilitator", "admin"}),
    (p.THANK, "reply", {"member", "facilitator", "admin"}),  # never one's own post
    (p.THANK, "locked_reply", {"member", "facilitator", "admin"}),
    (p.THANK, "deleted_reply", set()),  # not even moderators, who can see it
    (p.THANK, "deleted_topic_post", set()),
    (p.BOOKMARK, "reply", {"author", "member", "facilitator", "admin"}),
    (p.BOOKMARK, "locked_reply", {"author", "member", "facilitator", "admin"}),
    (p.BOOKMARK, "deleted_reply", set()),
    (p.BOOKMARK, "deleted_topic_post", {"facilitator", "admin"}),  # they may still view it
    (p.FOLLOW, "topic", {"author", "member", "facilitator", "admin"}),
    (p.FOLLOW, "locked_topic", {"author", "member", "facilitator", "admin"}),
    (p.FOLLOW, "deleted_topic", set()),  # not even moderators, who can see it
    (p.FOLLOW, "region", {"author", "member", "facilitator", "admin"}),
    (p.FOLLOW, "theme", {"author", "member", "facilitator", "admin"}),
    (p.VIEW, "meeting", {"author", "member", "facilitator", "admin"}),
    (p.VIEW, "deleted_meeting", {"facilitator", "admin"}),
    (p.CREATE_MEETING, None, {"facilitator", "admin"}),
    (p.EDIT_MEETING, "meeting", {"facilitator", "admin"}),
    (p.EDIT_MEETING, "cancelled_meeting", {"facilitator", "admin"}),  # to reopen it
    (p.EDIT_MEETING, "deleted_meeting", set()),
    (p.SIGN_UP, "meeting", {"author", "member", "facilitator", "admin"}),
    (p.SIGN_UP, "cancelled_meeting", set()),
    (p.SIGN_UP, "past_meeting", set()),
    (p.SIGN_UP, "deleted_meeting", set()),
    (p.VIEW_SIGNUPS, "meeting", {"facilitator", "admin"}),
    (p.UPLOAD, "meeting", {"facilitator", "admin"}),
    (p.UPLOAD, "deleted_meeting", set()),
    (p.UPLOAD, "topic", set()),  # files on posts come with the editor's attach button
    (p.UPLOAD, "reply", {"author"}),  # its writer's: a moderator editing it adds none
    (p.UPLOAD, "locked_reply", set()),
    (p.UPLOAD, "deleted_reply", set()),
    (p.UPLOAD, "deleted_topic_post", set()),
    (p.VIEW, "meeting_file", {"author", "member", "facilitator", "admin"}),
    (p.VIEW, "deleted_file", {"facilitator", "admin"}),
    (p.VIEW, "deleted_meeting_file", {"facilitator", "admin"}),
    (p.DELETE_FILE, "meeting_file", {"facilitator", "admin"}),  # uploaded by a facilitator
    (p.DELETE_FILE, "deleted_file", set()),
    (p.VIEW, "post_file", {"author", "member", "facilitator", "admin"}),
    (p.VIEW, "deleted_post_file", {"facilitator", "admin"}),  # its post is deleted
    (p.VIEW, "deleted_topic_file", {"facilitator", "admin"}),  # its post's topic is
    (p.DELETE_FILE, "post_file", {"author", "facilitator", "admin"}),
    (p.PIN_MATERIALS, "meeting", {"facilitator", "admin"}),
    (p.PIN_MATERIALS, "cancelled_meeting", {"facilitator", "admin"}),  # its files may still help
    (p.PIN_MATERIALS, "past_meeting", {"facilitator", "admin"}),
    (p.PIN_MATERIALS, "deleted_meeting", set()),
]


def _file(s, meeting, uploader, name, **changes):  # type: ignore[no-untyped-def]
    """A stored text file among a meeting's materials (or, with post=..., on a post)."""
    data = f"Materiale: {name}".encode()
    digest = hashlib.sha256(data).hexdigest()
    storage().put(io.BytesIO(data), digest, len(data))
    attachment = Attachment(
        digest=digest, size=len(data), kind="txt", mime="text/plain; charset=utf-8",
        filename=name, uploader=uploader, meeting=meeting, **changes,
    )  # fmt: skip
    s.add(attachment)
    s.flush()
    s.add(
        AttachmentPart(attachment_id=attachment.id, number=1, unit="document", text=data.decode())
    )
    s.flush()
    return attachment


def _meeting(s, facilitator, title, **changes):  # type: ignore[no-untyped-def]
    """An upcoming network meeting in Region Syddanmark, planned by ``facilitator``."""
    data = MeetingInput(
        title=title,
        kind="netvaerksmoede",
        region=places.region_by_slug(s, "syddanmark"),
        themes=[places.theme_by_slug(s, "ledelse")],
        day=date(NEXT_YEAR, 5, 1),
        starts=time(9, 30),
        ends=time(15, 0),
        place="Vejle Rådhus",
    )
    meeting = create_meeting(s, facilitator, data)
    for name, value in changes.items():
        setattr(meeting, name, value)
    s.flush()
    return meeting


@pytest.fixture
def world(app):  # type: ignore[no-untyped-def]
    """Users of every role and objects in every state."""
    s = db.session
    users = {
        "anonymous": AnonymousUserMixin(),
        "author": factories.user(s, name="Forfatter"),
        "member": factories.user(s, name="Anden Deltager", municipality="Odense"),
        "facilitator": factories.user(s, role=Role.FACILITATOR, organisation="KL"),
        "admin": factories.user(s, role=Role.ADMIN, organisation="KL"),
        "inactive": factories.user(s, active=False),
    }
    author = users["author"]
    topic = factories.topic(s, author, replies=1)
    locked = factories.topic(s, author, replies=1)
    set_locked(s, users["facilitator"], locked, True)
    gone = factories.topic(s, author, replies=1)
    delete_post(s, users["facilitator"], factories.post(s, gone, 1))
    with_deleted = factories.topic(s, author, replies=1)
    deleted_reply = factories.post(s, with_deleted, 2)
    delete_post(s, author, deleted_reply)
    # A colleague's reply (2), then the asker's own follow-up (3).
    sparring = factories.topic(
        s, author, kind=TopicKind.SPARRING, replies=2, repliers=[users["member"], author]
    )
    invitation, _token = create_invitation(
        s,
        users["facilitator"],
        email="ny@kommune.example",
        role=Role.FACILITATOR,
        municipality=None,
    )
    objects = {
        "topic": topic,
        "reply": factories.post(s, topic, 2),
        "opening_post": factories.post(s, topic, 1),
        "lone_opening_post": factories.post(s, factories.topic(s, author), 1),
        "locked_topic": locked,
        "locked_reply": factories.post(s, locked, 2),
        "deleted_topic": gone,
        "deleted_reply": deleted_reply,
        "deleted_topic_post": factories.post(s, gone, 2),
        "sparring_topic": sparring,
        "sparring_opening": factories.post(s, sparring, 1),
        "sparring_reply": factories.post(s, sparring, 2),
        "sparring_own_reply": factories.post(s, sparring, 3),
        "author_user": author,
        "admin_user": users["admin"],
        "invitation": invitation,
        "region": topic.region,
        "theme": topic.theme,
    }
    planner = users["facilitator"]
    long_ago = datetime(2020, 5, 1, 8, 0)
    objects["meeting"] = _meeting(s, planner, "Netværksmøde om ledelse")
    objects["cancelled_meeting"] = _meeting(s, planner, "Aflyst netværksmøde")
    cancel_meeting(s, planner, objects["cancelled_meeting"])
    objects["past_meeting"] = _meeting(
        s, planner, "Holdt netværksmøde", starts_at=long_ago, ends_at=long_ago + timedelta(hours=6)
    )
    objects["deleted_meeting"] = _meeting(
        s, planner, "Slettet netværksmøde", deleted_at=long_ago, deleted_by_id=planner.id
    )
    objects["meeting_file"] = _file(s, objects["meeting"], planner, "dagsorden.txt")
    objects["deleted_file"] = _file(
        s, objects["meeting"], planner, "gammel.txt", deleted_at=long_ago, deleted_by_id=planner.id
    )
    objects["deleted_meeting_file"] = _file(s, objects["deleted_meeting"], planner, "slettet.txt")
    objects["post_file"] = _file(s, None, author, "bilag.txt", post=objects["reply"])
    objects["deleted_post_file"] = _file(s, None, author, "svar.txt", post=deleted_reply)
    objects["deleted_topic_file"] = _file(
        s, None, author, "emne.txt", post=objects["deleted_topic_post"]
    )
    return users, objects


@pytest.mark.parametrize(
    ("action", "obj", "allowed"), MATRIX, ids=[f"{a}-{o}" for a, o, _ in MATRIX]
)
def test_policy_matrix(world, action, obj, allowed) -> None:  # type: ignore[no-untyped-def]
    users, objects = world
    target = objects.get(obj, obj) if isinstance(obj, str) else obj
    granted = {role for role in ROLES if p.can(users[role], action, target)}
    assert granted == allowed


def test_unknown_action_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    users, objects = world
    assert p.can(users["admin"], "launch-rockets", objects["topic"]) is False


def test_every_action_is_in_the_matrix() -> None:
    assert {action for action, _obj, _allowed in MATRIX} == set(p.ACTIONS)


def test_was_editable_and_invitable_roles(world) -> None:  # type: ignore[no-untyped-def]
    users, objects = world
    editable = {role for role in ROLES if p.was_editable(users[role], objects["locked_reply"])}
    assert editable == {"author", "facilitator", "admin"}
    assert {role: p.invitable_roles(users[role]) for role in ROLES} == {
        "anonymous": (),
        "author": (),
        "member": (),
        "facilitator": (Role.MEMBER, Role.FACILITATOR),
        "admin": (Role.MEMBER, Role.FACILITATOR, Role.ADMIN),
        "inactive": (),
    }


# Over HTTP: what each role gets from each protected page.
HTTP = [
    # (url template, {role: expected status})
    ("/", {"anonymous": 302, "member": 200, "facilitator": 200, "admin": 200}),
    ("/t/x/{topic}", {"anonymous": 302, "member": 301, "facilitator": 301, "admin": 301}),
    ("/t/x/{gone}", {"anonymous": 302, "member": 404, "facilitator": 301, "admin": 301}),
    ("/p/{reply}/rediger", {"anonymous": 302, "member": 403, "facilitator": 200, "admin": 200}),
    ("/p/{reply}/historik", {"anonymous": 302, "member": 403, "facilitator": 200, "admin": 200}),
    ("/p/{reply}/tak", {"anonymous": 302, "member": 200, "facilitator": 200, "admin": 200}),
    ("/p/{deleted}/tak", {"anonymous": 302, "member": 404, "facilitator": 200, "admin": 200}),
    ("/p/{reply}/gem", {"anonymous": 302, "member": 200, "facilitator": 200, "admin": 200}),
    ("/p/{deleted}/gem", {"anonymous": 302, "member": 404, "facilitator": 403, "admin": 403}),
    ("/notifikationer", {"anonymous": 302, "member": 200, "facilitator": 200, "admin": 200}),
    ("/admin/", {"anonymous": 302, "member": 403, "facilitator": 200, "admin": 200}),
    (
        "/admin/invitationer",
        {"anonymous": 302, "member": 403, "facilitator": 200, "admin": 200},
    ),
    ("/admin/slettet", {"anonymous": 302, "member": 403, "facilitator": 200, "admin": 200}),
    ("/admin/medlemmer", {"anonymous": 302, "member": 403, "facilitator": 403, "admin": 200}),
    ("/admin/temaer", {"anonymous": 302, "member": 403, "facilitator": 403, "admin": 200}),
    ("/admin/kommuner", {"anonymous": 302, "member": 403, "facilitator": 403, "admin": 200}),
    ("/moeder", {"anonymous": 302, "member": 200, "facilitator": 200, "admin": 200}),
    ("/materialer", {"anonymous": 302, "member": 200, "facilitator": 200, "admin": 200}),
    ("/moeder/ny", {"anonymous": 302, "member": 403, "facilitator": 200, "admin": 200}),
    (
        "/moeder/{meeting}/rediger",
        {"anonymous": 302, "member": 403, "facilitator": 200, "admin": 200},
    ),
    (
        "/moeder/{meeting}/tilmeldte.csv",
        {"anonymous": 302, "member": 403, "facilitator": 200, "admin": 200},
    ),
    (
        "/moeder/{meeting}/kalender.ics",
        {"anonymous": 302, "member": 200, "facilitator": 200, "admin": 200},
    ),
    ("/moeder/{meeting}", {"anonymous": 302, "member": 301, "facilitator": 301, "admin": 301}),
    (
        "/filer/{meeting_file}/dagsorden.txt",
        {"anonymous": 302, "member": 200, "facilitator": 200, "admin": 200},
    ),
    (
        "/filer/{deleted_file}/gammel.txt",
        {"anonymous": 302, "member": 404, "facilitator": 200, "admin": 200},
    ),
    (
        "/filer/{deleted_meeting_file}/slettet.txt",
        {"anonymous": 302, "member": 404, "facilitator": 200, "admin": 200},
    ),
    (
        "/moeder/{deleted_meeting}",
        {"anonymous": 302, "member": 404, "facilitator": 301, "admin": 301},
    ),
    # A file's page as search lands on it: the file's visibility, its page must exist.
    (
        "/filer/{meeting_file}/side/1",
        {"anonymous": 302, "member": 200, "facilitator": 200, "admin": 200},
    ),
    (
        "/filer/{meeting_file}/side/2",
        {"anonymous": 302, "member": 404, "facilitator": 404, "admin": 404},
    ),
    (
        "/filer/{deleted_file}/side/1",
        {"anonymous": 302, "member": 404, "facilitator": 200, "admin": 200},
    ),
    (
        "/filer/{deleted_meeting_file}/side/1",
        {"anonymous": 302, "member": 404, "facilitator": 200, "admin": 200},
    ),
]


def _everyone(status: int, **others: int) -> dict[str, int]:
    """Expected statuses for every role: logged-out visitors (anonymous, and an inactive member
    whose session ended when deactivated) go to the login page; the rest get ``status``."""
    return (
        {"anonymous": 302, "inactive": 302}
        | dict.fromkeys(("author", "member", "facilitator", "admin"), status)
        | others
    )


MODERATORS = {"author": 403, "member": 403}
NEXT_YEAR = datetime.now().year + 1
# A valid meeting, as the planning form sends it.
_MEETING_FORM = {
    "title": "Workshop om ledelse",
    "kind": "workshop",
    "region": "syddanmark",
    "theme": "ledelse",
    "day": f"{NEXT_YEAR}-06-10",
    "starts": "10:00",
    "ends": "14:00",
    "place": "Kolding",
}
ADMINS = {"author": 403, "member": 403, "facilitator": 403}

# Every POST route (test_every_post_route_is_in_the_matrix checks), with the data it needs and
# what each role gets. {name} placeholders are filled per test. "author" wrote every topic and
# reply below except the sparring topic's reply 2 (by "member"); "member" is any other
# participant. test_refused_mark_of_own_reply_changes_nothing checks the state after a refusal.
POSTS = [
    # (rule, url template, form data, {role: expected status})
    ("/login", "/login", {"email": "x@kommune.example", "password": "forkert"},
     _everyone(302, anonymous=200, inactive=200)),  # logged in: on to the front page
    ("/logout", "/logout", {}, _everyone(302)),
    ("/invitation/<token>", "/invitation/ugyldig", {"display_name": "X"},
     _everyone(404, anonymous=404, inactive=404)),
    ("/password/forgot", "/password/forgot", {"email": "ukendt@kommune.example"},
     _everyone(302, anonymous=302, inactive=302)),
    ("/password/reset/<token>", "/password/reset/ugyldig", {"password": "x"},
     _everyone(404, anonymous=404, inactive=404)),
    (
        "/ny",
        "/ny",
        {
            "kind": "material",
            "region": "syddanmark",
            "theme": "ledelse",
            "title": "Materialer fra mødet",
            "body": "Dagsorden og referat.",
        },
        # a participant gets the form back with an error beside the kind, nothing created
        _everyone(302, author=200, member=200),
    ),
    ("/t/<int:topic_id>/svar", "/t/{topic}/svar", {"body": "Et svar til emnet."},
     _everyone(302)),
    ("/t/<int:topic_id>/svar", "/t/{locked}/svar", {"body": "Et svar i et låst emne."},
     _everyone(302, author=400, member=400)),
    ("/t/<int:topic_id>/svar", "/t/{gone}/svar", {"body": "Et svar i et slettet emne."},
     _everyone(404, facilitator=400, admin=400)),  # moderators see it; nobody may reply
    ("/p/<int:post_id>/rediger", "/p/{reply}/rediger", {"body": "Rettet tekst", "revision": "1"},
     _everyone(302, member=403)),
    ("/p/<int:post_id>/rediger", "/p/{locked_reply}/rediger", {"body": "Rettet", "revision": "1"},
     _everyone(302, author=409, member=403)),  # the author gets the text back
    ("/p/<int:post_id>/slet", "/p/{reply}/slet", {}, _everyone(302, member=403)),
    ("/p/<int:post_id>/slet", "/p/{opening}/slet", {}, _everyone(302, author=403, member=403)),
    ("/p/<int:post_id>/gendan", "/p/{deleted}/gendan", {},
     _everyone(302, author=404, member=404)),  # a member cannot see a deleted reply at all
    ("/preview", "/preview", {"body": "**fed**"}, _everyone(200)),
    ("/t/<int:topic_id>/svaret", "/t/{sparring}/svaret", {"post_id": "{sparring_reply}"},
     _everyone(302, member=403)),
    # The asker's own reply is never the answer, whoever asks (the template offers no button).
    ("/t/<int:topic_id>/svaret", "/t/{sparring}/svaret", {"post_id": "{sparring_own_reply}"},
     _everyone(403)),
    ("/t/<int:topic_id>/svaret", "/t/{sparring}/svaret", {"post_id": ""},
     _everyone(302, member=403)),
    ("/t/<int:topic_id>/moderer/<action>", "/t/{topic}/moderer/lock", {},
     _everyone(302, **MODERATORS)),
    ("/t/<int:topic_id>/moderer/<action>", "/t/{topic}/moderer/pin", {"pin-scope": "region"},
     _everyone(302, **MODERATORS)),
    ("/t/<int:topic_id>/moderer/<action>", "/t/{topic}/moderer/move",
     {"move-region": "hovedstaden", "move-theme": "adoption"}, _everyone(302, **MODERATORS)),
    ("/t/<int:topic_id>/moderer/<action>", "/t/{topic}/moderer/kind", {"kind-kind": "sparring"},
     _everyone(302, **MODERATORS)),
    ("/indstillinger", "/indstillinger", {"display_name": "Nyt Navn", "locale": "da"},
     _everyone(302)),
    ("/marker-laest", "/marker-laest", {"next": "/unread"}, _everyone(302)),
    # Another member's login, or none: nobody's to end (the owner's case: test_logins.py).
    ("/indstillinger/sessioner/<int:login_session_id>/log-ud",
     "/indstillinger/sessioner/999999/log-ud", {}, _everyone(404, anonymous=302, inactive=302)),
    ("/indstillinger/sessioner/log-ud-andre", "/indstillinger/sessioner/log-ud-andre", {},
     _everyone(302)),
    ("/indstillinger/e-mail", "/indstillinger/e-mail",
     {"email_level": "never", "digest_period": "daily"}, _everyone(302)),
    ("/indstillinger/foelger", "/indstillinger/foelger",
     {"started_topic_level": "2", "replied_topic_level": "1"}, _everyone(302)),
    ("/t/<int:topic_id>/foelg", "/t/{topic}/foelg", {"level": "3"}, _everyone(302)),
    ("/t/<int:topic_id>/foelg", "/t/{locked}/foelg", {"level": "0"}, _everyone(302)),
    ("/t/<int:topic_id>/foelg", "/t/{gone}/foelg", {"level": "0"},
     _everyone(404, facilitator=403, admin=403)),  # moderators see it; nobody follows it
    ("/region/<slug>/foelg", "/region/midtjylland/foelg", {"level": "0"}, _everyone(302)),
    ("/tema/<slug>/foelg", "/tema/ledelse/foelg", {"level": "4"}, _everyone(302)),
    ("/notifikationer/laest", "/notifikationer/laest", {}, _everyone(302)),
    ("/notifikationer/laest", "/notifikationer/laest", {"id": "999999"}, _everyone(302)),
    ("/indstillinger/feed/forny", "/indstillinger/feed/forny", {}, _everyone(302)),
    # Public (an e-mail's one-click link): the signed token is the only permission.
    ("/afmeld/<token>", "/afmeld/ugyldig", {"List-Unsubscribe": "One-Click"},
     dict.fromkeys(ROLES, 404)),
    ("/p/<int:post_id>/tak", "/p/{reply}/tak", {"tak": "1"}, _everyone(302, author=403)),
    ("/p/<int:post_id>/tak", "/p/{reply}/tak", {}, _everyone(302, author=403)),
    ("/p/<int:post_id>/tak", "/p/{deleted}/tak", {"tak": "1"},
     _everyone(404, facilitator=403, admin=403)),  # moderators see it; nobody may thank it
    ("/p/<int:post_id>/gem", "/p/{reply}/gem", {"reminder": "tomorrow", "note": "Til mødet"},
     _everyone(302)),
    ("/p/<int:post_id>/gem", "/p/{reply}/gem", {"action": "remove"}, _everyone(302)),
    ("/p/<int:post_id>/gem", "/p/{deleted}/gem", {"quick": "1"},
     _everyone(404, facilitator=403, admin=403)),
    ("/admin/invitationer", "/admin/invitationer",
     {"email": "ny2@kommune.example", "role": "member", "municipality": "{municipality}"},
     _everyone(302, **MODERATORS)),
    ("/admin/invitationer", "/admin/invitationer",
     {"email": "ny3@kommune.example", "role": "admin", "municipality": "0"},
     _everyone(302, facilitator=200, **MODERATORS)),  # a facilitator cannot invite an admin
    ("/admin/invitationer/<int:invitation_id>/tilbagekald",
     "/admin/invitationer/{invitation}/tilbagekald", {}, _everyone(302, **MODERATORS)),
    ("/admin/medlemmer/<int:user_id>/<action>", "/admin/medlemmer/{author}/deaktiver", {},
     _everyone(302, **ADMINS)),
    ("/admin/medlemmer/<int:user_id>/<action>", "/admin/medlemmer/{author}/rolle",
     {"u{author}-role": "facilitator"}, _everyone(302, **ADMINS)),
    ("/admin/temaer/ny", "/admin/temaer/ny", {"name": "Et nyt tema"}, _everyone(302, **ADMINS)),
    ("/admin/temaer/<int:theme_id>", "/admin/temaer/{theme}", {"name": "Omdøbt tema"},
     _everyone(302, **ADMINS)),
    ("/admin/kommuner/ny", "/admin/kommuner/ny", {"name": "Ny Kommune", "region": "{region}"},
     _everyone(302, **ADMINS)),
    ("/admin/kommuner/<int:municipality_id>", "/admin/kommuner/{municipality}",
     {"name": "Vejle Kommune", "region": "{region}"}, _everyone(302, **ADMINS)),
    ("/moeder/ny", "/moeder/ny", _MEETING_FORM, _everyone(302, **MODERATORS)),
    ("/moeder/<int:meeting_id>/rediger", "/moeder/{meeting}/rediger", _MEETING_FORM,
     _everyone(302, **MODERATORS)),
    ("/moeder/<int:meeting_id>/aflys", "/moeder/{meeting}/aflys", {},
     _everyone(302, **MODERATORS)),
    ("/moeder/<int:meeting_id>/genoptag", "/moeder/{cancelled_meeting}/genoptag", {},
     _everyone(302, **MODERATORS)),
    ("/moeder/<int:meeting_id>/aflys", "/moeder/{deleted_meeting}/aflys", {},
     _everyone(404, facilitator=403, admin=403)),  # moderators see it; nobody changes it
    ("/moeder/<int:meeting_id>/tilmeld", "/moeder/{meeting}/tilmeld", {}, _everyone(302)),
    ("/moeder/<int:meeting_id>/tilmeld", "/moeder/{deleted_meeting}/tilmeld", {},
     _everyone(404, facilitator=403, admin=403)),
    ("/moeder/<int:meeting_id>/afmeld", "/moeder/{meeting}/afmeld", {}, _everyone(302)),
    # No file sent: the form comes back with its error, for those who may upload.
    ("/moeder/<int:meeting_id>/filer", "/moeder/{meeting}/filer", {},
     _everyone(400, **MODERATORS)),
    ("/moeder/<int:meeting_id>/filer", "/moeder/{deleted_meeting}/filer", {},
     _everyone(404, facilitator=403, admin=403)),
    ("/filer/<int:attachment_id>/slet", "/filer/{meeting_file}/slet", {},
     _everyone(302, **MODERATORS)),
    ("/filer/<int:attachment_id>/slet", "/filer/{deleted_file}/slet", {},
     _everyone(404, facilitator=403, admin=403)),
    ("/filer/<int:attachment_id>/gendan", "/filer/{deleted_file}/gendan", {},
     _everyone(404, facilitator=302, admin=302)),
    ("/filer/<int:attachment_id>/gendan", "/filer/{meeting_file}/gendan", {},
     _everyone(403)),  # not deleted: nothing to restore
    ("/moeder/<int:meeting_id>/fastgoer", "/moeder/{meeting}/fastgoer",
     {"pin-until": f"{NEXT_YEAR}-06-30"}, _everyone(302, **MODERATORS)),
    ("/moeder/<int:meeting_id>/fastgoer", "/moeder/{cancelled_meeting}/fastgoer", {},
     _everyone(302, **MODERATORS)),
    ("/moeder/<int:meeting_id>/fastgoer", "/moeder/{deleted_meeting}/fastgoer", {},
     _everyone(404, facilitator=403, admin=403)),  # moderators see it; nobody pins it
    ("/moeder/<int:meeting_id>/loesgoer", "/moeder/{meeting}/loesgoer", {},
     _everyone(302, **MODERATORS)),
    ("/moeder/<int:meeting_id>/loesgoer", "/moeder/{deleted_meeting}/loesgoer", {},
     _everyone(404, facilitator=403, admin=403)),
]  # fmt: skip


def _http_cases():  # type: ignore[no-untyped-def]
    for url, expected in HTTP:
        for role, status in expected.items():
            yield pytest.param("GET", url, None, role, status, id=f"GET-{url}-{role}")
    for _rule, url, data, expected in POSTS:
        assert set(expected) == set(ROLES), url  # every role, for every POST
        for role, status in expected.items():
            params = ",".join(f"{k}={v}" for k, v in data.items() if k not in ("body", "title"))
            yield pytest.param("POST", url, data, role, status, id=f"POST-{url}-{params}-{role}")


def test_every_post_route_is_in_the_matrix(app) -> None:  # type: ignore[no-untyped-def]
    routes = {rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert routes == {rule for rule, _url, _data, _expected in POSTS}


def _login(client, auth, users, role):  # type: ignore[no-untyped-def]
    if role == "anonymous":
        return
    user = users[role]
    if role == "inactive":
        # Deactivated while logged in: the next request is a logged-out visitor's.
        user.active = True
        assert auth.login(user).status_code == 302
        user.active = False
        db.session.commit()
        return
    assert auth.login(user).status_code == 302


@pytest.mark.parametrize(("method", "url", "data", "role", "status"), list(_http_cases()))
def test_http_matrix(world, client, auth, method, url, data, role, status) -> None:  # type: ignore[no-untyped-def]
    users, objects = world
    vejle = factories.municipality(db.session, "Vejle")
    ids = {
        "topic": objects["topic"].id,
        "gone": objects["deleted_topic"].id,
        "reply": objects["reply"].id,
        "opening": objects["opening_post"].id,
        "deleted": objects["deleted_reply"].id,
        "sparring": objects["sparring_topic"].id,
        "sparring_reply": objects["sparring_reply"].id,
        "sparring_own_reply": objects["sparring_own_reply"].id,
        "locked": objects["locked_topic"].id,
        "locked_reply": objects["locked_reply"].id,
        "author": users["author"].id,
        "invitation": objects["invitation"].id,
        "theme": db.session.scalar(db.select(Theme.id).where(Theme.slug == "ledelse")),
        "municipality": vejle.id,
        "region": vejle.region_id,
        "meeting": objects["meeting"].id,
        "cancelled_meeting": objects["cancelled_meeting"].id,
        "deleted_meeting": objects["deleted_meeting"].id,
        "meeting_file": objects["meeting_file"].id,
        "deleted_file": objects["deleted_file"].id,
        "deleted_meeting_file": objects["deleted_meeting_file"].id,
    }
    _login(client, auth, users, role)
    if data is not None:
        data = {key.format(**ids): value.format(**ids) for key, value in data.items()}
    response = client.open(url.format(**ids), method=method, data=data)
    assert response.status_code == status
    if role in ("anonymous", "inactive") and status == 302:
        assert "/login" in response.headers["Location"]


def test_refused_mark_of_own_reply_changes_nothing(world, client, auth) -> None:  # type: ignore[no-untyped-def]
    users, objects = world
    sparring = objects["sparring_topic"]
    assert auth.login(users["facilitator"]).status_code == 302
    own = objects["sparring_own_reply"]
    assert client.post(f"/t/{sparring.id}/svaret", data={"post_id": own.id}).status_code == 403
    db.session.refresh(sparring)
    assert sparring.answer_post_id is None

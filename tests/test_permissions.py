"""The permission matrix: every role against every action, in the policy and over HTTP."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from forum import permissions as p
from forum.extensions import db
from forum.models import Role, TopicKind
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
    (p.MARK_ANSWER, "sparring_topic", {"author", "facilitator", "admin"}),
    (p.MARK_ANSWER, "topic", set()),  # not a sparring topic
    (p.MODERATE, "topic", {"facilitator", "admin"}),
    (p.VIEW_DELETED, None, {"facilitator", "admin"}),
    (p.INVITE, None, {"facilitator", "admin"}),
    (p.ADMINISTER, None, {"admin"}),
    (p.SEARCH, None, {"author", "member", "facilitator", "admin"}),
]


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
    sparring = factories.topic(s, author, kind=TopicKind.SPARRING, replies=1)
    objects = {
        "topic": topic,
        "reply": factories.post(s, topic, 2),
        "opening_post": factories.post(s, topic, 1),
        "lone_opening_post": factories.post(s, factories.topic(s, author), 1),
        "locked_topic": locked,
        "locked_reply": factories.post(s, locked, 2),
        "deleted_topic": gone,
        "deleted_reply": deleted_reply,
        "sparring_topic": sparring,
    }
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


# Over HTTP: what each role gets from each state-changing endpoint and each protected page.
HTTP = [
    # (method, url template, {role: expected status})
    ("GET", "/", {"anonymous": 302, "member": 200, "facilitator": 200, "admin": 200}),
    ("GET", "/t/x/{topic}", {"anonymous": 302, "member": 301, "facilitator": 301, "admin": 301}),
    ("GET", "/t/x/{gone}", {"anonymous": 302, "member": 404, "facilitator": 301, "admin": 301}),
    (
        "GET",
        "/p/{reply}/rediger",
        {"anonymous": 302, "member": 403, "facilitator": 200, "admin": 200},
    ),
    (
        "GET",
        "/p/{reply}/historik",
        {"anonymous": 302, "member": 403, "facilitator": 200, "admin": 200},
    ),
    (
        "POST",
        "/p/{reply}/slet",
        {"anonymous": 302, "member": 403, "facilitator": 302, "admin": 302},
    ),
    (
        "POST",
        "/p/{deleted}/gendan",
        {"anonymous": 302, "member": 404, "facilitator": 302, "admin": 302},
    ),
    (
        "POST",
        "/t/{topic}/moderer/lock",
        {"anonymous": 302, "member": 403, "facilitator": 302, "admin": 302},
    ),
    (
        "POST",
        "/t/{sparring}/svaret",
        {"anonymous": 302, "member": 403, "facilitator": 302, "admin": 302},
    ),
    ("GET", "/admin/", {"anonymous": 302, "member": 403, "facilitator": 200, "admin": 200}),
    (
        "GET",
        "/admin/invitationer",
        {"anonymous": 302, "member": 403, "facilitator": 200, "admin": 200},
    ),
    ("GET", "/admin/slettet", {"anonymous": 302, "member": 403, "facilitator": 200, "admin": 200}),
    (
        "GET",
        "/admin/medlemmer",
        {"anonymous": 302, "member": 403, "facilitator": 403, "admin": 200},
    ),
    ("GET", "/admin/temaer", {"anonymous": 302, "member": 403, "facilitator": 403, "admin": 200}),
    ("GET", "/admin/kommuner", {"anonymous": 302, "member": 403, "facilitator": 403, "admin": 200}),
]


# State-changing forms, with the data they need: {name} placeholders are filled per test.
FORMS = [
    # (url template, form data, {role: expected status})
    (
        "/ny",
        {
            "kind": "material",
            "region": "syddanmark",
            "theme": "ledelse",
            "title": "Materialer fra mødet",
            "body": "Dagsorden og referat.",
        },
        # a member gets the form back with an error beside the kind (200), nothing created
        {"anonymous": 302, "member": 200, "facilitator": 302, "admin": 302},
    ),
    (
        "/t/{locked}/svar",
        {"body": "Et svar i et låst emne."},
        {"anonymous": 302, "member": 400, "facilitator": 302, "admin": 302},
    ),
    (
        "/p/{reply}/rediger",
        {"body": "Rettet tekst", "revision": "1"},
        {"anonymous": 302, "member": 403, "facilitator": 302, "admin": 302},
    ),
    (
        "/t/{topic}/moderer/pin",
        {"pin-scope": "region"},
        {"anonymous": 302, "member": 403, "facilitator": 302, "admin": 302},
    ),
    (
        "/t/{topic}/moderer/move",
        {"move-region": "hovedstaden", "move-theme": "adoption"},
        {"anonymous": 302, "member": 403, "facilitator": 302, "admin": 302},
    ),
    (
        "/admin/invitationer",
        {"email": "ny@kommune.example", "role": "member", "municipality": "{municipality}"},
        {"anonymous": 302, "member": 403, "facilitator": 302, "admin": 302},
    ),
    (
        "/admin/medlemmer/{author}/deaktiver",
        {},
        {"anonymous": 302, "member": 403, "facilitator": 403, "admin": 302},
    ),
    (
        "/admin/temaer/ny",
        {"name": "Et nyt tema"},
        {"anonymous": 302, "member": 403, "facilitator": 403, "admin": 302},
    ),
]


def _http_cases():  # type: ignore[no-untyped-def]
    for method, url, expected in HTTP:
        for role, status in expected.items():
            yield pytest.param(method, url, None, role, status, id=f"{method}-{url}-{role}")
    for url, data, expected in FORMS:
        for role, status in expected.items():
            yield pytest.param("POST", url, data, role, status, id=f"POST-{url}-{role}")


@pytest.mark.parametrize(("method", "url", "data", "role", "status"), list(_http_cases()))
def test_http_matrix(world, client, auth, method, url, data, role, status) -> None:  # type: ignore[no-untyped-def]
    users, objects = world
    ids = {
        "topic": objects["topic"].id,
        "gone": objects["deleted_topic"].id,
        "reply": objects["reply"].id,
        "deleted": objects["deleted_reply"].id,
        "sparring": objects["sparring_topic"].id,
        "locked": objects["locked_topic"].id,
        "author": users["author"].id,
        "municipality": factories.municipality(db.session, "Vejle").id,
    }
    if role != "anonymous":
        assert auth.login(users[role]).status_code == 302
    if data is None and method == "POST":
        data = {"post_id": str(factories.post(db.session, objects["sparring_topic"], 2).id)}
    if data is not None:
        data = {key: value.format(**ids) for key, value in data.items()}
    response = client.open(url.format(**ids), method=method, data=data)
    assert response.status_code == status
    if role == "anonymous":
        assert "/login" in response.headers["Location"]

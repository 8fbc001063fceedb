"""Further e-mail addresses: add, confirm by link, resend, remove, log in with one instead,
and ``verified_addresses`` (what badge verification accepts as the earner's identity)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.accounts import services
from app.accounts.models import EmailAddress, User
from app.audit import AuditEvent
from app.db import utcnow
from app.errors import NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.mail import OutboxMessage
from tests import factories
from tests.factories import PASSWORD

LINK = re.compile(r"http://localhost/account/emails/confirm/([A-Za-z0-9_-]+)")


def _last_link(to: str) -> str:
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to == to).order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None, f"no mail to {to}"
    return LINK.search(message.body).group(1)


def _added(user, email="ada.personal@example.net"):
    address = services.add_email_address(user=user, email=email)
    db.session.commit()
    return address, _last_link(address.email)


# --- services -----------------------------------------------------------------------------


def test_adding_mails_a_link_and_confirming_it_verifies_the_address(app, org):
    teacher = factories.user(organization=org, email="ada@school.example.org")
    address, secret = _added(teacher, " Ada.Personal@Example.NET ")
    assert address.email == "ada.personal@example.net" and not address.verified
    assert address.token_hash and secret not in address.token_hash  # only the hash is stored
    assert services.verified_addresses([teacher.id]) == {teacher.id: {"ada@school.example.org"}}

    services.confirm_email_address(secret)
    db.session.commit()
    assert address.verified and address.token_hash is None
    assert services.verified_addresses([teacher.id]) == {
        teacher.id: {"ada@school.example.org", "ada.personal@example.net"}}
    with pytest.raises(ValidationError) as used:
        services.confirm_email_address(secret)  # a link works once
    assert used.value.field == "token"
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == teacher.id)))
    assert {"user.email_added", "user.email_verified"} <= actions


@pytest.mark.parametrize("email,message", [
    ("ada@school.example.org", "already the e-mail you log in with"),
    ("taken@example.org", "belongs to another account"),
    ("not-an-address", "email address"),
])
def test_adding_refuses_own_login_another_account_and_garbage(app, org, email, message):
    teacher = factories.user(organization=org, email="ada@school.example.org")
    factories.user(organization=org, email="taken@example.org")
    with pytest.raises(ValidationError) as err:
        services.add_email_address(user=teacher, email=email)
    assert err.value.field == "email" and message in err.value.message.lower() or message in err.value.message


def test_a_confirmed_address_of_another_account_cannot_be_claimed_or_registered(app, org):
    owner = factories.user(organization=org)
    _, secret = _added(owner, "shared@example.net")
    services.confirm_email_address(secret)
    db.session.commit()
    other = factories.user(organization=org)
    with pytest.raises(ValidationError, match="another account"):
        services.add_email_address(user=other, email="shared@example.net")
    with pytest.raises(ValidationError, match="already exists"):
        services.create_user(email="shared@example.net", name="Squatter", password="a-long-password")


def test_an_unconfirmed_claim_is_replaced_by_whoever_adds_it_next(app, org):
    first, second = factories.user(organization=org), factories.user(organization=org)
    _, old_secret = _added(first, "contested@example.net")
    address, new_secret = _added(second, "contested@example.net")
    assert address.user_id == second.id
    with pytest.raises(ValidationError):
        services.confirm_email_address(old_secret)
    services.confirm_email_address(new_secret)
    assert services.verified_addresses([first.id, second.id])[second.id] == {second.email, "contested@example.net"}


def test_a_link_expires_and_resending_is_throttled(app, org):
    teacher = factories.user(organization=org)
    address, secret = _added(teacher)
    with pytest.raises(ValidationError, match="moment ago"):
        services.resend_email_verification(user=teacher, address=address)
    address.token_sent_at = utcnow() - timedelta(hours=app.config["EMAIL_VERIFICATION_HOURS"], minutes=1)
    db.session.commit()
    with pytest.raises(ValidationError, match="expired"):
        services.confirm_email_address(secret)
    services.resend_email_verification(user=teacher, address=address)
    db.session.commit()
    fresh = _last_link(address.email)
    assert fresh != secret
    services.confirm_email_address(fresh)
    assert address.verified


def test_an_account_holds_a_bounded_number_of_addresses(app, org):
    teacher = factories.user(organization=org)
    for i in range(services.MAX_EMAIL_ADDRESSES):
        services.add_email_address(user=teacher, email=f"extra{i}@example.net")
    with pytest.raises(ValidationError, match="at most"):
        services.add_email_address(user=teacher, email="one-more@example.net")
    with pytest.raises(ValidationError, match="already on your account"):
        services.add_email_address(user=teacher, email="extra0@example.net")


def test_making_an_address_primary_keeps_the_old_login_as_a_confirmed_address(app, org):
    teacher = factories.user(organization=org, email="ada@old-district.example.org")
    address, secret = _added(teacher, "ada@new-district.example.org")
    with pytest.raises(ValidationError) as unconfirmed:
        services.make_email_primary(user=teacher, address=address, password=PASSWORD)
    assert unconfirmed.value.field == "email"
    services.confirm_email_address(secret)
    with pytest.raises(ValidationError) as wrong:
        services.make_email_primary(user=teacher, address=address, password="not-the-password")
    assert wrong.value.field == "password"
    services.make_email_primary(user=teacher, address=address, password=PASSWORD)
    db.session.commit()
    assert teacher.email == "ada@new-district.example.org"
    assert address.email == "ada@old-district.example.org" and address.verified
    assert services.verified_addresses([teacher.id])[teacher.id] == {
        "ada@new-district.example.org", "ada@old-district.example.org"}
    assert services.authenticate(email="ada@new-district.example.org", password=PASSWORD) == teacher


def test_someone_else_cannot_touch_an_address(app, org):
    owner, other = factories.user(organization=org), factories.user(organization=org)
    address, _ = _added(owner)
    with pytest.raises(NotFound):
        services.get_email_address(other, address.id)
    with pytest.raises(PermissionDenied):
        services.remove_email_address(user=other, address=address)
    with pytest.raises(PermissionDenied):
        services.make_email_primary(user=other, address=address, password=PASSWORD)


def test_removing_an_address_stops_it_counting(app, org):
    teacher = factories.user(organization=org)
    address, secret = _added(teacher)
    services.confirm_email_address(secret)
    services.remove_email_address(user=teacher, address=address)
    db.session.commit()
    assert services.verified_addresses([teacher.id]) == {teacher.id: {teacher.email}}
    assert db.session.get(EmailAddress, address.id) is None


def test_verified_addresses_of_many_users_is_one_query(app, org):
    users = [factories.user(organization=org) for _ in range(6)]
    for u in users[:3]:
        _, secret = _added(u, f"home-{u.id}@example.net")
        services.confirm_email_address(secret)
    _added(users[3], "pending@example.net")
    db.session.commit()
    ids, emails = [u.id for u in users], [u.email for u in users]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = services.verified_addresses(ids + [999999])
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert result[ids[0]] == {emails[0], f"home-{ids[0]}@example.net"}
    assert result[ids[3]] == {emails[3]}  # unconfirmed does not count
    assert result[999999] == set()
    assert services.verified_addresses([]) == {}


# --- pages --------------------------------------------------------------------------------


def test_the_page_adds_an_address_and_the_mailed_link_confirms_it(app, org):
    teacher = factories.user(organization=org)
    client = app.test_client(user=teacher)
    page = client.get("/account/emails")
    assert page.status_code == 200 and "Add an address" in page.get_data(as_text=True)
    assert "/account/emails" in client.get("/account").get_data(as_text=True)

    response = client.post("/account/emails", data={"email": "me@home.example.net"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "We sent a confirmation link to me@home.example.net" in html
    assert "Waiting for confirmation" in html
    secret = _last_link("me@home.example.net")

    anonymous = app.test_client()
    landing = anonymous.get(f"/account/emails/confirm/{secret}")
    assert landing.status_code == 200 and "Confirm me@home.example.net" in landing.get_data(as_text=True)
    assert not db.session.scalar(select(EmailAddress).where(EmailAddress.email == "me@home.example.net")).verified
    done = anonymous.post(f"/account/emails/confirm/{secret}")
    assert done.status_code == 302
    html = client.get("/account/emails").get_data(as_text=True)
    assert "Confirmed" in html and "Log in with this address instead" in html
    gone = anonymous.get(f"/account/emails/confirm/{secret}")
    assert gone.status_code == 404 and "not valid" in gone.get_data(as_text=True)


def test_the_page_shows_errors_next_to_the_field(app, org):
    teacher = factories.user(organization=org)
    client = app.test_client(user=teacher)
    response = client.post("/account/emails", data={"email": teacher.email.upper()})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in html and "already the e-mail you log in with" in html


def test_the_page_switches_the_login_address_with_the_password(app, org):
    teacher = factories.user(organization=org, email="old@example.org")
    address, secret = _added(teacher, "new@example.org")
    services.confirm_email_address(secret)
    db.session.commit()
    client = app.test_client(user=teacher)
    wrong = client.post(f"/account/emails/{address.id}/primary", data={"password": "nope-nope-nope"})
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    ok = client.post(f"/account/emails/{address.id}/primary", data={"password": PASSWORD}, follow_redirects=True)
    assert ok.status_code == 200 and "You now log in with new@example.org" in ok.get_data(as_text=True)
    assert db.session.get(User, teacher.id).email == "new@example.org"


def test_resend_and_remove_from_the_page(app, org):
    teacher = factories.user(organization=org)
    address, _ = _added(teacher)
    client = app.test_client(user=teacher)
    too_soon = client.post(f"/account/emails/{address.id}/resend", follow_redirects=True)
    assert "moment ago" in too_soon.get_data(as_text=True)
    removed = client.post(f"/account/emails/{address.id}/remove", follow_redirects=True)
    assert "is no longer on your account" in removed.get_data(as_text=True)
    other = app.test_client(user=factories.user(organization=org))
    assert other.post(f"/account/emails/{address.id}/remove").status_code == 404


# --- API ----------------------------------------------------------------------------------


def _auth(client, email, **extra):
    token = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD, **extra}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_api_adds_confirms_switches_and_removes(app, org):
    teacher = factories.user(organization=org, email="api-old@example.org")
    client = app.test_client()
    auth = _auth(client, teacher.email)
    added = client.post("/api/v1/me/emails", json={"email": "api-new@example.org"}, headers=auth)
    assert added.status_code == 201 and added.get_json()["verified"] is False
    address_id = added.get_json()["id"]
    listed = client.get("/api/v1/me/emails", headers=auth).get_json()
    assert listed["login_email"] == "api-old@example.org" and [a["id"] for a in listed["items"]] == [address_id]

    bad = client.post("/api/v1/me/emails", json={"email": "api-old@example.org"}, headers=auth)
    assert bad.status_code == 422 and "email" in bad.get_json()["error"]["fields"]
    assert client.post("/api/v1/me/emails/confirm", json={"token": "x" * 40}, headers=auth).status_code == 409

    secret = _last_link("api-new@example.org")
    intruder = factories.user(organization=org)
    assert client.post("/api/v1/me/emails/confirm", json={"token": secret},
                       headers=_auth(client, intruder.email)).status_code == 409
    confirmed = client.post("/api/v1/me/emails/confirm", json={"token": secret}, headers=auth)
    assert confirmed.status_code == 200 and confirmed.get_json()["verified"] is True

    switched = client.post(f"/api/v1/me/emails/{address_id}/primary", json={"password": PASSWORD}, headers=auth)
    assert switched.status_code == 200 and switched.get_json()["email"] == "api-new@example.org"
    assert client.delete(f"/api/v1/me/emails/{address_id}", headers=_auth(client, intruder.email)).status_code == 404
    assert client.delete(f"/api/v1/me/emails/{address_id}", headers=auth).status_code == 204
    assert client.get("/api/v1/me/emails", headers=auth).get_json()["items"] == []


def test_the_api_needs_the_write_scope_to_change_addresses(app, org):
    teacher = factories.user(organization=org)
    client = app.test_client()
    read_only = _auth(client, teacher.email, scopes=["read"])
    assert client.get("/api/v1/me/emails", headers=read_only).status_code == 200
    assert client.post("/api/v1/me/emails", json={"email": "x@example.net"}, headers=read_only).status_code == 403

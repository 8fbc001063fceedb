"""Portfolio services without HTTP: handles, profile, visibility, collections, the public profile,
public_earner_names, the LinkedIn address and the status of an award."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from app.credentials.openbadges.services import revoke_award
from app.credentials.openbadges.urls import assertion_url
from app.db import utcnow
from app.errors import NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.portfolio import services
from tests import factories
from tests.portfolio.conftest import issue


def _enable(teacher, handle="rosa-park", **extra):
    profile = services.update_profile(teacher=teacher, handle=handle, enabled=True, **extra)
    db.session.commit()
    return profile


# --- handles ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("handle", ["abc", "rosa-park", "r2d2", "a" * 40, "Rosa-Park", "  rosa  "])
def test_valid_handles_are_lower_cased(teacher, handle):
    profile = _enable(teacher, handle)
    assert profile.handle == handle.strip().lower()


@pytest.mark.parametrize("handle,message", [
    ("ab", "3 to 40"), ("a" * 41, "3 to 40"), ("-rosa", "hyphens"), ("rosa-", "hyphens"), ("ro--sa", "hyphens"),
    ("rosa_park", "hyphens"), ("rosa.park", "hyphens"), ("rosé", "hyphens"), ("admin", "reserved"),
    ("API", "reserved"), ("portfolio", "reserved"),
])
def test_bad_handles_are_refused_on_the_field(teacher, handle, message):
    with pytest.raises(ValidationError) as caught:
        services.update_profile(teacher=teacher, handle=handle)
    assert caught.value.field == "handle" and message in caught.value.message


def test_handles_are_unique_regardless_of_case_and_a_changed_one_is_freed(teacher, other_teacher):
    _enable(teacher, "rosa")
    with pytest.raises(ValidationError, match="taken"):
        services.update_profile(teacher=other_teacher, handle="ROSA")
    db.session.rollback()
    _enable(teacher, "rosa-park")  # she moves; her old address is free at once
    assert _enable(other_teacher, "Rosa").handle == "rosa"
    with pytest.raises(NotFound):
        services.public_profile("rosa-park-old")
    assert services.public_profile("rosa").profile.user_id == other_teacher.id


def test_her_own_handle_stays_hers(teacher):
    _enable(teacher, "rosa")
    assert _enable(teacher, "rosa", headline="Grade 4").headline == "Grade 4"


def test_turning_on_needs_a_handle(teacher):
    with pytest.raises(ValidationError) as caught:
        services.update_profile(teacher=teacher, enabled=True)
    assert caught.value.field == "handle"


def test_profile_is_off_by_default_and_404_like_an_unknown_handle(teacher, award):
    services.update_profile(teacher=teacher, handle="rosa")
    services.set_award_visibility(teacher=teacher, award=award, visible=True)
    db.session.commit()
    with pytest.raises(NotFound) as off:
        services.public_profile("rosa")
    with pytest.raises(NotFound) as unknown:
        services.public_profile("nobody-here")
    assert off.value.message == unknown.value.message
    assert services.public_earner_names([award.id]) == {}


# --- visibility, collections, the public profile ----------------------------------------------------------


def test_public_profile_shows_visible_unrevoked_awards_in_her_collection_order(org, teacher, admin):
    creds = [factories.micro_credential(org, name=f"Credential {n}") for n in range(4)]
    a0, a1, a2, a3 = [issue(teacher, c) for c in creds]
    for a in (a0, a1, a2, a3):
        services.set_award_visibility(teacher=teacher, award=a, visible=True)
    services.set_award_visibility(teacher=teacher, award=a3, visible=False)
    first = services.create_collection(teacher=teacher, name="Blended learning", award_ids=[a2.id, a0.id, a3.id])
    second = services.create_collection(teacher=teacher, name="Leadership", description="Leading peers",
                                        award_ids=[a1.id, a0.id])
    services.update_collection(teacher=teacher, collection=second, position=0)
    _enable(teacher, "rosa", display_name="Rosa P.", headline="Grade 4 teacher")

    shown = services.public_profile("ROSA")
    assert shown.profile.shown_name == "Rosa P." and shown.profile.headline == "Grade 4 teacher"
    assert [(c.name, [a.id for a in c.awards]) for c in shown.collections] == [
        ("Leadership", [a1.id, a0.id]), ("Blended learning", [a2.id, a0.id])]  # a3 is hidden
    assert shown.others == []

    revoke_award(admin=admin, award=a0, reason="Not her own work.")
    services.move_collection_item(teacher=teacher, collection=first, award_id=a2.id, offset=1)
    db.session.commit()
    shown = services.public_profile("rosa")
    assert [(c.name, [a.id for a in c.awards]) for c in shown.collections] == [
        ("Leadership", [a1.id]), ("Blended learning", [a2.id])]
    assert [i.award_id for i in first.items] == [a0.id, a2.id, a3.id]


def test_visible_awards_in_no_collection_show_apart(teacher, award):
    services.set_award_visibility(teacher=teacher, award=award, visible=True)
    _enable(teacher)
    shown = services.public_profile("rosa-park")
    assert shown.collections == [] and [a.id for a in shown.others] == [award.id]


def test_collections_hold_only_her_awards_and_names_are_unique(teacher, other_teacher, credential):
    theirs = issue(other_teacher, credential)
    with pytest.raises(ValidationError) as caught:
        services.create_collection(teacher=teacher, name="Mine", award_ids=[theirs.id])
    assert caught.value.field == "award_ids"
    db.session.rollback()
    services.create_collection(teacher=teacher, name="Mine")
    with pytest.raises(ValidationError, match="already"):
        services.create_collection(teacher=teacher, name="mine")
    with pytest.raises(ValidationError) as empty:
        services.create_collection(teacher=teacher, name="   ")
    assert empty.value.field == "name"


def test_moving_and_deleting_collections_keeps_positions_dense(teacher):
    a, b, c = (services.create_collection(teacher=teacher, name=n) for n in "ABC")
    services.move_collection(teacher=teacher, collection=c, offset=-1)
    services.move_collection(teacher=teacher, collection=a, offset=-1)  # already first: stays
    assert [x.name for x in services.portfolio_overview(teacher).collections] == ["A", "C", "B"]
    services.delete_collection(teacher=teacher, collection=c)
    db.session.commit()
    assert [(x.name, x.position) for x in services.portfolio_overview(teacher).collections] == [("A", 0), ("B", 1)]
    with pytest.raises(ValidationError) as caught:
        services.update_collection(teacher=teacher, collection=a, position=5)
    assert caught.value.field == "position"


def test_set_award_collections(teacher, award):
    a = services.create_collection(teacher=teacher, name="A")
    b = services.create_collection(teacher=teacher, name="B")
    services.set_award_collections(teacher=teacher, award=award, collection_ids=[a.id, b.id])
    assert services.portfolio_overview(teacher).entry(award.id).collection_ids == [a.id, b.id]
    services.set_award_collections(teacher=teacher, award=award, collection_ids=[b.id])
    assert services.portfolio_overview(teacher).entry(award.id).collection_ids == [b.id]


def test_nobody_else_changes_her_portfolio(teacher, other_teacher, admin, award):
    collection = services.create_collection(teacher=teacher, name="A")
    db.session.commit()
    for intruder in (other_teacher, admin):
        with pytest.raises(PermissionDenied):
            services.get_own_award_or_403(intruder, award.id)
        with pytest.raises(PermissionDenied):
            services.set_award_visibility(teacher=intruder, award=award, visible=True)
        with pytest.raises(PermissionDenied):
            services.set_award_consent(teacher=intruder, award=award, public=True)
        with pytest.raises(PermissionDenied):
            services.update_collection(teacher=intruder, collection=collection, name="Theirs")
        with pytest.raises(PermissionDenied):
            services.delete_collection(teacher=intruder, collection=collection)
    with pytest.raises(NotFound):
        services.get_own_award_or_403(teacher, award.id + 999)


def test_consent_switch_uses_the_badges_rule(teacher, award):
    services.set_award_consent(teacher=teacher, award=award, public=True)
    assert award.evidence_public is True
    services.set_award_consent(teacher=teacher, award=award, public=False)
    assert award.evidence_public is False


# --- public_earner_names ------------------------------------------------------------------------------------


def test_public_earner_names_in_one_query(org, teacher, other_teacher, admin, count_queries):
    creds = [factories.micro_credential(org) for _ in range(3)]
    shown, hidden, revoked = [issue(teacher, c) for c in creds]
    private_profile = issue(other_teacher, creds[0])
    for a in (shown, revoked):
        services.set_award_visibility(teacher=teacher, award=a, visible=True)
    services.set_award_visibility(teacher=other_teacher, award=private_profile, visible=True)
    services.update_profile(teacher=other_teacher, handle="ola")  # visible award, profile off
    _enable(teacher, display_name="Rosa P.")
    revoke_award(admin=admin, award=revoked, reason="Withdrawn by the issuer.")
    db.session.commit()
    db.session.expire_all()
    ids = [shown.id, hidden.id, revoked.id, private_profile.id, 10**6]
    with count_queries() as statements:
        names = services.public_earner_names(ids)
    assert names == {shown.id: "Rosa P."}
    assert len(statements) == 1
    assert services.public_earner_names([]) == {}


def test_public_earner_names_falls_back_to_the_account_name(teacher, award):
    services.set_award_visibility(teacher=teacher, award=award, visible=True)
    _enable(teacher)
    assert services.public_earner_names([award.id]) == {award.id: "Rosa Park"}


# --- LinkedIn and status -------------------------------------------------------------------------------------


def test_linkedin_url_fields_decode_to_the_award(org, teacher):
    org.name = "District & Sons: Ünïcode"
    credential = factories.micro_credential(org, name="Station Rotation: Small groups & more")
    award = issue(teacher, credential)
    url = services.linkedin_url(award)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert " " not in url and "&more" not in url
    query = {k: v for k, [v] in parse_qs(parts.query, strict_parsing=True).items()}
    assert query == {
        "startTask": "CERTIFICATION_NAME", "name": "Station Rotation: Small groups & more",
        "organizationName": "District & Sons: Ünïcode",
        "issueYear": str(award.issued_at.year), "issueMonth": str(award.issued_at.month),
        "expirationYear": str(award.expires_at.year), "expirationMonth": str(award.expires_at.month),
        "certUrl": assertion_url(award.uuid), "certId": award.uuid,
    }


def test_linkedin_url_has_no_expiry_when_the_award_does_not_expire(teacher, award):
    award.expires_at = None
    db.session.commit()
    query = parse_qs(urlsplit(services.linkedin_url(award)).query)
    assert "expirationYear" not in query and "expirationMonth" not in query
    assert query["certId"] == [award.uuid]


def test_award_status(org, teacher, admin, credential):
    award = issue(teacher, credential)
    assert services.award_status(award) == "valid"
    award.expires_at = utcnow() - timedelta(days=1)
    assert services.award_status(award) == "expired"
    award.expires_at = None
    award.flagged_at, award.flag_reason = utcnow(), "A component was revoked."
    assert services.award_status(award) == "flagged"
    revoke_award(admin=admin, award=award, reason="Withdrawn.")
    assert services.award_status(award) == "revoked"


def test_overview_is_newest_first_in_bounded_queries(org, teacher, count_queries):
    def measure():
        db.session.expire_all()
        with count_queries() as statements:
            overview = services.portfolio_overview(teacher)
            for entry in overview.entries:  # what the page reads
                entry.award.credential.issuer.name, entry.linkedin_url, entry.urls
            for c in overview.collections:
                [i.award_id for i in c.items]
        return overview, len(statements)

    first = issue(teacher, factories.micro_credential(org))
    services.create_collection(teacher=teacher, name="A", award_ids=[first.id])
    db.session.commit()
    _, few = measure()
    for _ in range(5):
        award = issue(teacher, factories.micro_credential(org))
        services.create_collection(teacher=teacher, name=f"C{award.id}", award_ids=[award.id, first.id])
        services.set_award_visibility(teacher=teacher, award=award, visible=True)
    db.session.commit()
    overview, many = measure()
    assert many == few <= 9, (few, many)  # user, roles, awards, credentials, issuers, visibility, collections, items, profile
    issued = [e.award.issued_at for e in overview.entries]
    assert issued == sorted(issued, reverse=True)

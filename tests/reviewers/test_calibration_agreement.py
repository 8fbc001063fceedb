"""Calibration pass and miss (with the wait), agreement figures against hand-worked values,
and recalibration when a peer's agreement falls below the policy's threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.credentials.models import CalibrationExemplar, ExemplarLevel
from app.db import utcnow
from app.errors import Conflict, PermissionDenied
from app.evidence.models import SubmissionStatus
from app.extensions import db
from app.reviewers import agreement, services
from app.reviewers.models import Qualification, ReviewerRole
from tests import factories


@pytest.fixture
def exemplar(world):
    """Reference levels: Proficient, Proficient, Developing."""
    criteria = world.credential.rubric.criteria
    row = CalibrationExemplar(credential_id=world.credential.id, title="Sample lesson", body_md="A sample.")
    db.session.add(row)
    for criterion, position in zip(criteria, [2, 2, 1]):
        row.reference_levels.append(ExemplarLevel(criterion=criterion, level=criterion.levels[position],
                                                  rationale=f"Because {criterion.name}."))
    db.session.add(row)
    db.session.commit()
    return row


def _levels(world, positions):
    return {c.id: c.levels[p].id for c, p in zip(world.credential.rubric.criteria, positions)}


def test_uncalibrated_peers_are_not_assigned_once_exemplars_exist(world, exemplar):
    fresh = factories.user(organization=world.org, school=world.school_b, name="Fresh Peer")
    factories.qualification(fresh, credential=world.credential, role=ReviewerRole.PEER)
    submission = factories.submission(world.teacher, world.credential, status=SubmissionStatus.SUBMITTED)
    eligible = {u.id for u in services.eligible_reviewers(submission, ReviewerRole.PEER)}
    assert fresh.id not in eligible and {p.id for p in world.peers} <= eligible


def test_calibration_pass(world, exemplar):
    fresh = factories.user(organization=world.org, school=world.school_b)
    factories.qualification(fresh, credential=world.credential, role=ReviewerRole.PEER)
    # 2 of 3 exact (67%) would miss the 75% bar; all three exact passes.
    attempt = services.record_calibration(reviewer=fresh, exemplar=exemplar, levels=_levels(world, [2, 2, 1]))
    db.session.commit()
    assert attempt.passed and attempt.exact_share == 1.0 and attempt.max_gap == 0
    assert services.calibration_status(fresh, world.credential).calibrated


def test_calibration_miss_shows_reference_and_waits(app, world, exemplar):
    fresh = factories.user(organization=world.org, school=world.school_b)
    factories.qualification(fresh, credential=world.credential, role=ReviewerRole.PEER)
    attempt = services.record_calibration(reviewer=fresh, exemplar=exemplar, levels=_levels(world, [2, 0, 1]))
    db.session.commit()
    assert not attempt.passed and attempt.max_gap == 2 and attempt.exact_share == pytest.approx(2 / 3)
    with pytest.raises(Conflict):
        services.record_calibration(reviewer=fresh, exemplar=exemplar, levels=_levels(world, [2, 2, 1]))
    body = app.test_client(user=fresh).get(
        f"/reviews/calibration/{world.credential.slug}?result={attempt.id}").get_data(as_text=True)
    assert "Because Criterion 2." in body and "try again from" in body
    later = utcnow() + timedelta(hours=25)
    assert services.record_calibration(reviewer=fresh, exemplar=exemplar, levels=_levels(world, [2, 2, 1]),
                                       now=later).passed


def test_calibration_by_award_creates_the_qualification(world, exemplar):
    from app.credentials.awards import award_credential

    earner = factories.user(organization=world.org, school=world.school_b)
    award_credential(factories.submission(earner, world.credential, status=SubmissionStatus.PASSED))
    db.session.commit()
    services.record_calibration(reviewer=earner, exemplar=exemplar, levels=_levels(world, [2, 2, 1]))
    db.session.commit()
    row = db.session.scalar(select(Qualification).where(Qualification.user_id == earner.id))
    assert row.calibrated_at is not None and row.source.value == "award"


def test_non_peers_cannot_calibrate(world, exemplar):
    with pytest.raises(PermissionDenied):
        services.record_calibration(reviewer=world.teacher, exemplar=exemplar, levels=_levels(world, [2, 2, 1]))


# --- figures worked out by hand --------------------------------------------------------------


def test_pair_agreement_by_hand():
    # Pairs: (2,2) exact; (1,2) adjacent; (0,3) neither; unit of three (2,2,3): (2,2) exact, (2,3) x2 adjacent.
    exact, adjacent, pairs = agreement.pair_agreement([[2, 2], [1, 2], [0, 3], [2, 2, 3]])
    assert pairs == 6 and exact == pytest.approx(2 / 6) and adjacent == pytest.approx(5 / 6)


def test_quadratic_weighted_kappa_by_hand():
    # Three categories, pairs (0,0) (1,1) (2,2) (0,1): observed weighted disagreement = 1 * (1/4) = 0.25.
    # Marginals: rater A 0:2 1:1 2:1, rater B 0:1 1:2 2:1; expected = sum w_ij a_i b_j / 4
    # = [ (0,1):2*2*.25 + (0,2):2*1*1 + (1,0):1*1*.25 + (1,2):1*1*.25 + (2,0):1*1*1 + (2,1):1*2*.25 ] / 4
    # = (1 + 2 + .25 + .25 + 1 + .5) / 4 = 1.25; kappa = 1 - .25 / 1.25 = 0.8.
    assert agreement.quadratic_weighted_kappa([(0, 0), (1, 1), (2, 2), (0, 1)], 3) == pytest.approx(0.8)
    assert agreement.quadratic_weighted_kappa([(1, 1), (1, 1)], 3) is None


def test_krippendorff_ordinal_alpha_by_hand():
    # Two units of two values: (0,0) and (0,1). Coincidences: o00 = 2, o01 = o10 = 1, n0 = 3, n1 = 1, n = 4.
    # Ordinal delta(0,1) = (n0 + n1 - (n0 + n1)/2)^2 = (4 - 2)^2 = 4.
    # alpha = 1 - (n-1) * sum(o*d) / sum(nc*nk*d) = 1 - 3 * (2*4) / (2*3*1*4) = 1 - 24/24 = 0.
    assert agreement.krippendorff_alpha_ordinal([[0, 0], [0, 1]], 2) == pytest.approx(0.0)
    # Krippendorff's published example (2011, "Computing Krippendorff's alpha-reliability"), ordinal 0.815.
    data = [[1, 1, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
            [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [5, 5, 5], [1, 1], [3]]
    assert agreement.krippendorff_alpha_ordinal([[v - 1 for v in u] for u in data], 5) == pytest.approx(0.815, abs=5e-4)
    assert agreement.krippendorff_alpha_ordinal([[1, 1], [1, 1]], 3) is None


def test_credential_agreement_and_leniency(world):
    from tests.reviewers.conftest import fill_and_submit, review
    from app.reviewers.models import Assignment

    submission = fill_and_submit(world.teacher, world.credential)
    first, second = db.session.scalars(select(Assignment).where(Assignment.submission_id == submission.id)
                                       .order_by(Assignment.id)).all()
    review(first, 3)
    review(second, 2)
    report = agreement.credential_agreement(world.credential)
    assert [row.exact for row in report.criteria] == [0.0] * 3
    assert [row.adjacent for row in report.criteria] == [1.0] * 3
    # The decision takes the lower level (2): the first reviewer is one level lenient, the second exact.
    lean = {r.reviewer.id: r for r in report.reviewers}
    assert lean[first.reviewer_id].leniency == 1.0 and lean[second.reviewer_id].leniency == 0.0
    assert lean[second.reviewer_id].exact == 1.0


def test_low_agreement_requires_recalibration(world, exemplar):
    from app.credentials.models import CoachRule
    from app.reviewers.models import Assignment
    from tests.reviewers.conftest import fill_and_submit, review

    policy = world.credential.policy
    policy.peer_reviews, policy.coach_rule, policy.agreement_threshold = 1, CoachRule.ALWAYS, 0.5
    lenient, *others = world.peers
    for peer in others:
        peer.active = False
    db.session.commit()
    for n in range(services.AGREEMENT_MIN_REVIEWS):
        assert services.calibration_status(lenient, world.credential).calibrated, n
        teacher = factories.user(organization=world.org, school=world.school_a)
        submission = fill_and_submit(teacher, world.credential)
        for assignment in db.session.scalars(select(Assignment).where(Assignment.submission_id == submission.id)
                                             .order_by(Assignment.id)).all():
            review(assignment, 3 if assignment.reviewer_id == lenient.id else 2)
        assert submission.status.value == "passed"
    share, count = agreement.reviewer_exact_agreement(lenient, world.credential, window=10)
    assert (share, count) == (0.0, services.AGREEMENT_MIN_REVIEWS)
    assert not services.calibration_status(lenient, world.credential).calibrated
    teacher = factories.user(organization=world.org, school=world.school_a)
    submission = fill_and_submit(teacher, world.credential)
    assert lenient.id not in {u.id for u in services.eligible_reviewers(submission, ReviewerRole.PEER)}

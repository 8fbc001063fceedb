"""Assignment fairness and exclusions as properties over random reviewer pools (hypothesis).

Each example builds a pool in one transaction and rolls it back: reviewers with a random
school, organization, qualification, active flag and open load; a random policy. The
assignment must take exactly min(needed, eligible) peers, only eligible ones (never the
author, never a same-school reviewer when excluded, never another organization unless
allowed, never an unqualified or inactive one), and the least loaded first.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.accounts.models import User
from app.db import utcnow
from app.evidence.models import Submission, SubmissionStatus
from app.extensions import db
from app.reviewers import services
from app.reviewers.models import Assignment, AssignmentStatus, Qualification, QualificationSource, ReviewerRole
from tests import factories

reviewer = st.fixed_dictionaries({
    "school": st.sampled_from(["same", "other", None]),
    "org": st.sampled_from(["issuer", "issuer", "outside"]),
    "qualified": st.booleans(),
    "active": st.booleans(),
    "load": st.integers(min_value=0, max_value=3),
})
policy = st.fixed_dictionaries({
    "peer_reviews": st.integers(min_value=1, max_value=3),
    "exclude_same_school": st.booleans(),
    "allow_cross_organization": st.booleans(),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pool=st.lists(reviewer, min_size=0, max_size=8), rules=policy, author_qualified=st.booleans())
def test_assignment_is_fair_and_respects_exclusions(app, pool, rules, author_qualified):
    issuer = factories.organization()
    outside = factories.organization()
    same_school, other_school = factories.school(issuer), factories.school(issuer)
    credential = factories.micro_credential(issuer)
    try:
        for key, value in rules.items():
            setattr(credential.policy, key, value)

        def person(name, organization, school, active=True):
            user = User(email=f"{name}-{id(pool)}@example.org", name=name, password_hash="x",
                        organization=organization, school=school, active=active)
            user.set_roles(set())
            db.session.add(user)
            return user

        author = person("author", issuer, same_school)
        fillers = [person(f"filler{i}", issuer, None) for i in range(3)]
        db.session.flush()
        others = [Submission(teacher=f, credential=credential, attempt=1, status=SubmissionStatus.SUBMITTED,
                             submitted_at=utcnow()) for f in fillers]
        db.session.add_all(others)
        if author_qualified:
            db.session.add(Qualification(user=author, credential=credential, role=ReviewerRole.PEER,
                                         source=QualificationSource.GRANT, active=True))
        people = []
        for i, spec in enumerate(pool):
            school = {"same": same_school, "other": other_school, None: None}[spec["school"]]
            organization = issuer if spec["org"] == "issuer" else outside
            user = person(f"r{i}", organization, school if organization is issuer else None, spec["active"])
            db.session.flush()
            if spec["qualified"]:
                db.session.add(Qualification(user=user, credential=credential, role=ReviewerRole.PEER,
                                             source=QualificationSource.GRANT, active=True))
            for k in range(spec["load"]):
                db.session.add(Assignment(submission=others[k], reviewer=user, role=ReviewerRole.PEER,
                                          status=AssignmentStatus.PENDING, due_at=utcnow() + timedelta(days=3)))
            people.append((user, spec))
        submission = Submission(teacher=author, credential=credential, attempt=1, status=SubmissionStatus.SUBMITTED,
                                submitted_at=utcnow())
        db.session.add(submission)
        db.session.flush()

        def eligible(user, spec):
            return (spec["qualified"] and spec["active"]
                    and (spec["org"] == "issuer" or rules["allow_cross_organization"])
                    and not (rules["exclude_same_school"] and spec["org"] == "issuer" and spec["school"] == "same"))

        expected = [(u, s) for u, s in people if eligible(u, s)]
        created = services.fill_assignments(submission)
        chosen = {a.reviewer_id for a in created if a.role is ReviewerRole.PEER}
        assert len(chosen) == min(rules["peer_reviews"], len(expected))
        assert author.id not in chosen
        assert chosen <= {u.id for u, _ in expected}
        loads = {u.id: s["load"] for u, s in people}
        left_out = [loads[u.id] for u, _ in expected if u.id not in chosen]
        if chosen and left_out:
            assert max(loads[i] for i in chosen) <= min(left_out)
        # Running it again assigns nobody new.
        assert [a for a in services.fill_assignments(submission) if a.role is ReviewerRole.PEER] == []
    finally:
        db.session.rollback()
        from tests.conftest import _empty_tables

        _empty_tables(app)

"""``flask demo generate``: a large, realistic, deterministic data set on top of the demo catalog.

For development and benchmarks (``bench/analytics.py``). Teachers in generated
schools enrol in the demo microcredentials, submit attempts with classroom data
(a data-table artifact with before/after measures), get peer and coach
assignments, reviews with a level per criterion, one decision per decided
attempt, and an award per pass. A share of the teachers become calibrated peer
reviewers, with calibration attempts.

Rows are written with SQLAlchemy Core in batches: ``COPY ... FROM STDIN`` on
PostgreSQL (psycopg), multi-row ``executemany`` elsewhere. Ids are allocated
here (after the current maximum), so the sequences are moved on at the end.
The same ``seed``, ``as_of`` date and catalog always give the same rows.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Table, func, select, text

from app.accounts.auth import hash_password
from app.accounts.models import Organization, Role, School, User, UserRole
from app.credentials.awards import add_months, identity_hash
from app.credentials.models import Award, Credential, CredentialKind, RequirementKind, StackRule
from app.demo import catalog
from app.evidence.models import Artifact, ImpactMeasure, Submission
from app.extensions import db
from app.learning.models import Enrollment
from app.reviewers.models import (
    Assignment,
    CalibrationAttempt,
    Decision,
    Qualification,
    Review,
    ReviewScore,
)

GENERATED_DOMAIN = "generated.riverbend.example.org"
TEACHERS_PER_SCHOOL = 40
REVIEWER_SHARE = 0.05
COACHES_PER_TEACHERS = 500
HISTORY_DAYS = 3 * 365
BATCH_TEACHERS = 2000

_FIRST = ("Ava", "Ben", "Carmen", "David", "Esther", "Farid", "Gwen", "Hiro", "Ines", "Jonah", "Keisha", "Luis",
          "Mei", "Nadia", "Oscar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Victor", "Wen", "Yara", "Zane")
_LAST = ("Abbott", "Baptiste", "Castillo", "Dubois", "Eriksen", "Fofana", "Garcia", "Huang", "Ivanova", "Jensen",
         "Kowalski", "Lindqvist", "Mensah", "Nakamura", "Okonkwo", "Petrov", "Quispe", "Rahman", "Sato", "Tanaka",
         "Usman", "Varga", "Walsh", "Xu", "Yilmaz", "Zhou")
_PLACES = ("Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fern", "Granite", "Harbor", "Iris", "Juniper", "Kestrel",
           "Laurel", "Maple", "North Ridge", "Oak", "Pine", "Quarry", "River", "Sycamore", "Tamarack", "Upland",
           "Valley", "Willow", "Yarrow")
_KINDS = ("Elementary School", "Middle School", "High School", "K-8 Academy")
_MEASURES = (
    ("Students meeting the weekly goal", "%", True),
    ("Average quiz score", "points", True),
    ("Minutes on task per lesson", "minutes", True),
    ("Transition time between stations", "minutes", False),
    ("Missing assignments per week", "count", False),
    ("Students reaching mastery on the unit check", "%", True),
)


@dataclass
class _Micro:
    id: int
    review_days: int
    peer_reviews: int
    max_attempts: int
    validity_months: int | None
    data_requirement_id: int
    criteria: list[tuple[int, list[int], int]]  # (criterion id, level ids by position, pass position)
    exemplar_ids: list[int]
    difficulty: float  # chance that an attempt passes, before the attempt bonus


@dataclass
class _Ids:
    """The next free id of each table, allocated here."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


@dataclass
class GenerateResult:
    counts: dict[str, int]

    def summary(self) -> str:
        return ", ".join(f"{n:,} {name}" for name, n in self.counts.items())


_TABLES: dict[str, Table] = {
    "school": School.__table__, "user": User.__table__, "user_role": UserRole.__table__,
    "enrollment": Enrollment.__table__, "submission": Submission.__table__, "artifact": Artifact.__table__,
    "impact_measure": ImpactMeasure.__table__, "assignment": Assignment.__table__, "review": Review.__table__,
    "review_score": ReviewScore.__table__, "decision": Decision.__table__, "award": Award.__table__,
    "qualification": Qualification.__table__, "calibration_attempt": CalibrationAttempt.__table__,
}
# Insert order respects the foreign keys.
_ORDER = ("school", "user", "user_role", "qualification", "calibration_attempt", "enrollment", "submission",
          "artifact", "impact_measure", "assignment", "review", "review_score", "decision", "award")


def _demo_credentials(kind: CredentialKind, slugs: list[str]) -> list[Credential]:
    """The published demo credentials of ``kind`` (version 1 of each demo slug), in id order."""
    return list(db.session.scalars(
        select(Credential)
        .where(Credential.kind == kind, Credential.published.is_(True), Credential.slug.in_(slugs),
               Credential.version == 1)
        .order_by(Credential.id)
    ))


def _load_micros(rng: random.Random) -> list[_Micro]:
    credentials = _demo_credentials(CredentialKind.MICRO, [spec.slug for spec in catalog.MICROS])
    micros = []
    for credential in credentials:
        data_requirement = next(r for r in credential.requirements if r.kind is RequirementKind.DATA)
        criteria = []
        for criterion in credential.rubric.criteria:
            levels = sorted(criterion.levels, key=lambda level: level.position)
            pass_position = next(i for i, level in enumerate(levels) if level.is_pass)
            criteria.append((criterion.id, [level.id for level in levels], pass_position))
        policy = credential.policy
        micros.append(_Micro(
            id=credential.id, review_days=policy.review_days, peer_reviews=policy.peer_reviews,
            max_attempts=policy.max_attempts, validity_months=credential.validity_months,
            data_requirement_id=data_requirement.id, criteria=criteria,
            exemplar_ids=[exemplar.id for exemplar in credential.exemplars],
            difficulty=rng.uniform(0.2, 0.34),
        ))
    return micros


def _start_ids(conn: Connection) -> _Ids:
    ids = _Ids()
    for name, table in _TABLES.items():
        if name == "user_role":
            continue
        ids.next[name] = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
    return ids


def _moment(day: date, rng: random.Random) -> datetime:
    """A working-hours moment on ``day``, aware UTC."""
    return datetime.combine(day, time(13, 0), tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 9 * 60))


class _Writer:
    """Buffers rows per table and writes them in batches (COPY on PostgreSQL)."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in _ORDER}
        self.counts: dict[str, int] = {name: 0 for name in _ORDER}
        self.postgres = conn.dialect.name == "postgresql"

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)

    def flush(self) -> None:
        for name in _ORDER:
            rows = self.rows[name]
            if rows:
                self._write(_TABLES[name], rows)
                self.counts[name] += len(rows)
                self.rows[name] = []

    def _write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        columns = list(rows[0])
        if not self.postgres:
            self.conn.execute(table.insert(), rows)
            return
        # COPY takes text; bind processing (UTC timestamps, JSON) is done here, as the types would.
        cursor = self.conn.connection.dbapi_connection.cursor()
        quoted = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([_copy_value(row[c]) for c in columns])
        cursor.close()


def _copy_value(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, list):
        return json.dumps(value)
    return value


def generate_data(*, teachers: int, seed: int = 1, as_of: date | None = None,
                  progress: Callable[[int, int], None] | None = None) -> GenerateResult:
    """Add ``teachers`` generated teachers (and everything they did) to the demo district.

    Needs the demo catalog (``load_demo``) in place. Runs on the session's
    connection and leaves the commit to the caller. Deterministic for one
    ``seed``, ``as_of`` day and catalog.
    """
    rng = random.Random(seed)
    as_of = as_of or datetime.now(UTC).date()
    org = db.session.scalar(select(Organization).where(Organization.slug == catalog.ORGANIZATION.slug))
    if org is None:
        raise RuntimeError("load the demo catalog first (flask demo load)")
    prefix = f"s{seed}"
    taken = db.session.scalar(select(User.id).where(User.email.like(f"%.{prefix}@{GENERATED_DOMAIN}")).limit(1))
    if taken is not None:
        raise RuntimeError(f"seed {seed} was generated into this database already; use another --seed")
    micros = _load_micros(rng)
    stacks = _load_stacks()
    if not micros:
        raise RuntimeError("the demo catalog has no published microcredentials")
    db.session.flush()
    conn = db.session.connection()
    ids = _start_ids(conn)
    writer = _Writer(conn)
    password_hash = hash_password(catalog.DEMO_PASSWORD)
    start_day = as_of - timedelta(days=HISTORY_DAYS)

    # Schools, then reviewers (calibrated peers and coaches) who review everyone else.
    school_ids = []
    for n in range(max(1, -(-teachers // TEACHERS_PER_SCHOOL))):
        school_id = ids.take("school")
        name = f"{_PLACES[n % len(_PLACES)]} {_KINDS[(n // len(_PLACES)) % len(_KINDS)]} {prefix}-{n + 1:04d}"
        writer.add("school", {"id": school_id, "organization_id": org.id, "name": name,
                              "created_at": _moment(start_day, rng), "updated_at": _moment(start_day, rng)})
        school_ids.append(school_id)

    def make_user(kind: str, n: int, roles: Iterable[Role]) -> tuple[int, int]:
        user_id = ids.take("user")
        school_id = school_ids[rng.randrange(len(school_ids))]
        created = _moment(start_day + timedelta(days=rng.randrange(0, 60)), rng)
        writer.add("user", {
            "id": user_id, "email": f"{kind}{n:06d}.{prefix}@{GENERATED_DOMAIN}",
            "name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", "password_hash": password_hash,
            "organization_id": org.id, "school_id": school_id, "active": True,
            "session_nonce": f"{rng.getrandbits(64):016x}", "last_login_at": None,
            "created_at": created, "updated_at": created,
        })
        for role in roles:
            writer.add("user_role", {"user_id": user_id, "role": role.value})
        return user_id, school_id

    reviewers: list[tuple[int, int]] = []
    for n in range(max(4, int(teachers * REVIEWER_SHARE))):
        user_id, school_id = make_user("peer", n, [Role.TEACHER])
        reviewers.append((user_id, school_id))
        for micro in micros:
            calibrated = None
            for attempt in range(rng.choice((1, 1, 1, 2, 2, 3))):
                if not micro.exemplar_ids:
                    break
                exact = rng.choice((0.5, 0.75, 0.75, 1.0, 1.0))
                gap = rng.choice((0, 1, 1, 2))
                passed = exact >= 0.75 and gap <= 1
                at = _moment(start_day + timedelta(days=rng.randrange(1, 120) + attempt), rng)
                writer.add("calibration_attempt", {
                    "id": ids.take("calibration_attempt"), "user_id": user_id,
                    "exemplar_id": rng.choice(micro.exemplar_ids), "scores": {}, "exact_share": exact,
                    "max_gap": gap, "passed": passed, "created_at": at,
                })
                if passed:
                    calibrated = at
                    break
            at = _moment(start_day, rng)
            writer.add("qualification", {
                "id": ids.take("qualification"), "user_id": user_id, "credential_id": micro.id,
                "framework_id": None, "role": "peer", "source": "grant", "granted_by_id": None,
                "calibrated_at": calibrated or at, "active": True, "created_at": at, "updated_at": at,
            })
    coaches: list[int] = []
    for n in range(max(2, teachers // COACHES_PER_TEACHERS)):
        user_id, _school = make_user("coach", n, [Role.COACH])
        coaches.append(user_id)
        for micro in micros:
            at = _moment(start_day, rng)
            writer.add("qualification", {
                "id": ids.take("qualification"), "user_id": user_id, "credential_id": micro.id,
                "framework_id": None, "role": "coach", "source": "grant", "granted_by_id": None,
                "calibrated_at": at, "active": True, "created_at": at, "updated_at": at,
            })
    writer.flush()

    for n in range(teachers):
        teacher_id, school_id = make_user("teacher", n, [Role.TEACHER])
        email = f"teacher{n:06d}.{prefix}@{GENERATED_DOMAIN}"
        engagement = rng.random()
        chosen = [m for m in micros if rng.random() < 0.7 + 0.3 * engagement]
        earned: dict[int, datetime] = {}
        for micro in chosen:
            awarded_at = _teacher_credential(writer, ids, rng, micro, teacher_id, school_id, email, reviewers,
                                             coaches, start_day, as_of)
            if awarded_at is not None:
                earned[micro.id] = awarded_at
        for stack in stacks:
            done = sorted(earned[c] for c in stack.components if c in earned)
            if len(done) >= stack.required:
                _award(writer, ids, rng, stack.id, teacher_id, email, None, done[stack.required - 1],
                       stack.validity_months)
        if (n + 1) % BATCH_TEACHERS == 0:
            writer.flush()
            if progress:
                progress(n + 1, teachers)
    writer.flush()
    if progress:
        progress(teachers, teachers)
    _advance_sequences(conn)
    return GenerateResult(counts=dict(writer.counts))


def _teacher_credential(writer: _Writer, ids: _Ids, rng: random.Random, micro: _Micro, teacher_id: int,
                        school_id: int, email: str, reviewers: list[tuple[int, int]], coaches: list[int],
                        start_day: date, as_of: date) -> datetime | None:
    """One teacher's enrolment in one micro and every attempt that follows; when she earned it, the award's time."""
    started_day = start_day + timedelta(days=rng.randrange(0, HISTORY_DAYS))
    started = _moment(started_day, rng)
    enrollment = {
        "id": ids.take("enrollment"), "user_id": teacher_id, "credential_id": micro.id, "status": "active",
        "goal_date": started_day + timedelta(days=rng.choice((30, 60, 90))) if rng.random() < 0.6 else None,
        "last_section_id": None, "started_at": started, "completed_at": None,
        "created_at": started, "updated_at": started,
    }
    writer.add("enrollment", enrollment)
    if rng.random() < 0.08:  # started, never submitted (not even a draft)
        return None
    moment = started + timedelta(days=rng.randint(7, 60), hours=rng.randrange(0, 24))
    previous_id = None
    skill = rng.random()
    for attempt in range(1, micro.max_attempts + 3):  # past the limit a coach decides
        submission_id = ids.take("submission")
        created = moment - timedelta(days=rng.randint(1, 10))
        base = {"id": submission_id, "credential_id": micro.id, "teacher_id": teacher_id, "attempt": attempt,
                "previous_id": previous_id, "change_note": "Revised after feedback." if attempt > 1 else "",
                "submitted_at": None, "withdrawn_at": None, "decided_at": None,
                "created_at": created, "updated_at": created}
        now = datetime.combine(as_of, time(12, 0), tzinfo=UTC)
        if moment.date() >= as_of or rng.random() < 0.04:
            writer.add("submission", {**base, "status": "draft"})  # still drafting
            return None
        if rng.random() < 0.03:
            writer.add("submission", {**base, "status": "withdrawn", "submitted_at": moment,
                                      "withdrawn_at": moment + timedelta(hours=rng.randint(1, 48))})
            moment += timedelta(days=rng.randint(3, 30))
            previous_id = submission_id
            continue
        _data_artifact(writer, ids, rng, micro, submission_id, moment, skill)
        passed = rng.random() < min(0.97, micro.difficulty + 0.2 * skill + 0.1 * (attempt - 1))
        decided_at, outcome = _review(writer, ids, rng, micro, submission_id, school_id, moment, passed,
                                      reviewers, coaches, now)
        if decided_at is None:
            writer.add("submission", {**base, "status": outcome, "submitted_at": moment,
                                      "updated_at": moment})
            return None
        writer.add("submission", {**base, "status": "passed" if passed else "not_yet", "submitted_at": moment,
                                  "decided_at": decided_at, "updated_at": decided_at})
        if passed:
            _award(writer, ids, rng, micro.id, teacher_id, email, submission_id, decided_at, micro.validity_months)
            enrollment["status"] = "completed"
            enrollment["completed_at"] = decided_at
            return decided_at
        if rng.random() < 0.1:  # gives up after a "not yet"
            return None
        previous_id = submission_id
        moment = decided_at + timedelta(days=rng.randint(5, 45), hours=rng.randrange(0, 24))
    return None


@dataclass
class _Stack:
    id: int
    components: list[int]
    required: int
    validity_months: int | None


def _load_stacks() -> list[_Stack]:
    stacks = _demo_credentials(CredentialKind.STACK, [spec.slug for spec in catalog.STACKS])
    result = []
    for stack in stacks:
        components = [row.component_id for row in stack.stack_components]
        required = stack.stack_required_count if stack.stack_rule is StackRule.N_OF else len(components)
        result.append(_Stack(stack.id, components, min(required or len(components), len(components)),
                             stack.validity_months))
    return result


def _award(writer: _Writer, ids: _Ids, rng: random.Random, credential_id: int, teacher_id: int, email: str,
           submission_id: int | None, issued_at: datetime, validity_months: int | None) -> None:
    salt = f"{rng.getrandbits(64):016x}"
    writer.add("award", {
        "id": ids.take("award"), "uuid": _uuid(rng), "credential_id": credential_id,
        "recipient_id": teacher_id, "submission_id": submission_id, "recipient_email": email,
        "salt": salt, "identity_hash": identity_hash(email, salt), "issued_at": issued_at,
        "expires_at": add_months(issued_at, validity_months) if validity_months else None,
        "narrative": "", "evidence_public": False, "revoked_at": None, "revocation_reason": None,
        "revoked_by_id": None, "flagged_at": None, "flag_reason": None,
    })


def _uuid(rng: random.Random) -> str:
    raw = f"{rng.getrandbits(128):032x}"
    return f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-a{raw[17:20]}-{raw[20:32]}"


def _data_artifact(writer: _Writer, ids: _Ids, rng: random.Random, micro: _Micro, submission_id: int,
                   moment: datetime, skill: float) -> None:
    artifact_id = ids.take("artifact")
    writer.add("artifact", {
        "id": artifact_id, "submission_id": submission_id, "requirement_id": micro.data_requirement_id,
        "kind": "data", "position": 2, "text_md": None, "url": None, "title": "Classroom data",
        "storage_backend": None, "storage_key": None, "original_name": None, "content_type": None, "size": None,
        "sha256": None, "thumbnail_key": None, "carried_from_id": None, "created_at": moment, "updated_at": moment,
    })
    end = moment.date() - timedelta(days=rng.randint(1, 7))
    for position in range(rng.choice((1, 1, 2, 2, 3))):
        name, unit, higher = _MEASURES[rng.randrange(len(_MEASURES))]
        scale = 1.0 if higher else 0.15  # counts and minutes of a "lower is better" measure are small
        before = round(rng.uniform(20, 70) * scale, 1)
        gain = rng.gauss(3 + 8 * skill, 7) * scale  # most improve, some do not
        after = round(max(0.0, before + gain if higher else before - gain), 1)
        writer.add("impact_measure", {
            "id": ids.take("impact_measure"), "artifact_id": artifact_id, "position": position, "measure": name,
            "unit": unit, "before": before, "after": after,
            "higher_is_better": higher, "students": rng.randint(12, 32),
            "period_start": end - timedelta(days=rng.choice((14, 28, 42))), "period_end": end,
        })


def _review(writer: _Writer, ids: _Ids, rng: random.Random, micro: _Micro, submission_id: int, school_id: int,
            submitted: datetime, passed: bool, reviewers: list[tuple[int, int]], coaches: list[int],
            now: datetime) -> tuple[datetime | None, str]:
    """Assignments, reviews and the decision of one submitted attempt.

    Returns (decided_at, status): decided_at is None while the review is still
    open at ``now`` (status submitted or in_review)."""
    # Levels the evidence deserves; each reviewer may be one level off on a criterion.
    deserved = []
    weak = rng.randrange(len(micro.criteria)) if not passed else -1
    for index, (_cid, levels, pass_position) in enumerate(micro.criteria):
        if index == weak or (not passed and rng.random() < 0.3):
            deserved.append(rng.randrange(0, pass_position))
        else:
            deserved.append(min(len(levels) - 1, pass_position + (rng.random() < 0.3)))
    peers = []
    tries = 0
    while len(peers) < micro.peer_reviews:
        candidate = reviewers[rng.randrange(len(reviewers))]
        tries += 1
        # A small data set may have too few reviewers outside the school (or at all): once none is
        # left, the teacher's own school is allowed, and the peers are as many as there are reviewers.
        others_left = tries <= 200 or any(r[1] != school_id and r not in peers for r in reviewers)
        if candidate not in peers and (candidate[1] != school_id or not others_left):
            peers.append(candidate)
        elif len(peers) == len(reviewers):
            break
    finish = submitted
    all_done = True
    peer_levels: list[list[int]] = []
    roles = [("peer", reviewer_id) for reviewer_id, _ in peers]
    if micro.peer_reviews == 0 or rng.random() < 0.22:
        roles.append(("coach", coaches[rng.randrange(len(coaches))]))
    used = {reviewer_id for _role, reviewer_id in roles}
    for role, reviewer_id in roles:
        assigned = submitted + timedelta(hours=rng.randint(1, 36))
        due = assigned + timedelta(days=micro.review_days)
        days = rng.lognormvariate(1.3, 0.6)  # median ~3.7 days, a long tail past the due date
        decliner = reviewers[rng.randrange(len(reviewers))][0]
        if rng.random() < 0.04 and decliner not in used:
            used.add(decliner)
            # Declined: someone else took it; the decline is recorded, the replacement reviews.
            writer.add("assignment", {
                "id": ids.take("assignment"), "submission_id": submission_id,
                "reviewer_id": decliner, "role": role, "status": "declined",
                "assigned_at": assigned, "due_at": due, "completed_at": None, "declined_reason": "Conflict of interest",
                "created_at": assigned, "updated_at": assigned,
            })
        completed = assigned + timedelta(days=days)
        assignment_id = ids.take("assignment")
        if completed >= now:
            all_done = False
            writer.add("assignment", {
                "id": assignment_id, "submission_id": submission_id, "reviewer_id": reviewer_id, "role": role,
                "status": "pending", "assigned_at": assigned, "due_at": due, "completed_at": None,
                "declined_reason": None, "created_at": assigned, "updated_at": assigned,
            })
            continue
        finish = max(finish, completed)
        writer.add("assignment", {
            "id": assignment_id, "submission_id": submission_id, "reviewer_id": reviewer_id, "role": role,
            "status": "completed", "assigned_at": assigned, "due_at": due, "completed_at": completed,
            "declined_reason": None, "created_at": assigned, "updated_at": completed,
        })
        review_id = ids.take("review")
        levels_given = []
        for index, (criterion_id, levels, _pass) in enumerate(micro.criteria):
            position = deserved[index]
            if role == "peer" and rng.random() < 0.25:
                position = max(0, min(len(levels) - 1, position + rng.choice((-1, 1))))
            levels_given.append(position)
            writer.add("review_score", {"id": ids.take("review_score"), "review_id": review_id,
                                        "criterion_id": criterion_id, "level_id": levels[position], "comment": ""})
        if role == "peer":
            peer_levels.append(levels_given)
        recommends = all(p >= c[2] for p, c in zip(levels_given, micro.criteria, strict=True))
        writer.add("review", {"id": review_id, "assignment_id": assignment_id, "feedback": "",
                              "recommendation": "pass" if recommends else "not_yet", "submitted_at": completed,
                              "created_at": assigned, "updated_at": completed})
    if not all_done:
        return None, "in_review"
    writer.add("decision", {
        "id": ids.take("decision"), "submission_id": submission_id, "outcome": "passed" if passed else "not_yet",
        "basis": "coach" if any(role == "coach" for role, _ in roles) else "peers_agree", "decided_by_id": None,
        "decided_at": finish,
        "levels": {str(c[0]): c[1][deserved[i]] for i, c in enumerate(micro.criteria)},
    })
    return finish, "passed" if passed else "not_yet"


def _advance_sequences(conn: Connection) -> None:
    """On PostgreSQL, move each id sequence past the ids allocated here, and refresh the
    planner's statistics of the tables just filled (autovacuum may not have yet)."""
    if conn.dialect.name != "postgresql":
        return
    for table in _TABLES.values():
        conn.execute(text(f'ANALYZE "{table.name}"'))
    for name, table in _TABLES.items():
        if name == "user_role":
            continue
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
            f"GREATEST((SELECT max(id) FROM \"{table.name}\"), 1))"
        ))

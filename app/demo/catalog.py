"""The demo catalog, as data: a district, its framework, credentials and accounts.

Everything here is written for this project. Names, URLs and e-mail addresses
are fictitious (``*.example.org``). The loader (``app.demo.loader``) inserts it;
nothing in this module touches the database.
"""

from __future__ import annotations

from app.accounts.models import Role
from app.credentials.models import StackRule
from app.demo.micros import goal_setting, learning_space, pathways, routines, small_groups, station_rotation
from app.demo.specs import (
    CompetencySpec,
    FrameworkSpec,
    MicroSpec,
    OrganizationSpec,
    StackSpec,
    UserSpec,
)
from app.reviewers.models import ReviewerRole

# One shared password for every demo account, printed by ``flask demo accounts``.
# Demo data only: never load it into a production database.
DEMO_PASSWORD = "demo-password-1"

ORGANIZATION = OrganizationSpec(
    slug="riverbend-usd",
    name="Riverbend Unified School District",
    url="https://riverbend.example.org",
    email="microcredentials@riverbend.example.org",
    description=(
        "A public school district that recognizes teachers' professional learning through "
        "competency-based microcredentials, earned with evidence from their own classrooms."
    ),
)

CEDAR_HOLLOW = "Cedar Hollow Elementary School"
MILLBROOK = "Millbrook Middle School"
SCHOOLS: tuple[str, ...] = (CEDAR_HOLLOW, MILLBROOK)

ESSENTIAL = "Essential practice"
INNOVATIVE = "Practice in innovative classrooms"

FRAMEWORK = FrameworkSpec(
    slug="personalized-blended-teaching",
    name="Teaching in Personalized and Blended Classrooms",
    description=(
        "What teachers know and do in classrooms where students learn partly online, at different "
        "paces and by different routes. The first domain covers the essential practice of any strong "
        "classroom; the second covers what personalized and blended classrooms ask for in addition."
    ),
    competencies=(
        CompetencySpec(
            "EP.1", "Strong lessons and units", ESSENTIAL,
            "Plans lessons and units around clear learning goals, with activities and checks that build "
            "toward those goals in a sensible sequence.",
        ),
        CompetencySpec(
            "EP.2", "Routines and systems", ESSENTIAL,
            "Establishes predictable routines and systems so students can find materials, move between "
            "activities and get help without waiting for the teacher.",
        ),
        CompetencySpec(
            "EP.3", "Managing the classroom", ESSENTIAL,
            "Keeps the room calm and focused through clear expectations, positive relationships and "
            "consistent, respectful responses to behavior.",
        ),
        CompetencySpec(
            "EP.4", "An engaging learning space", ESSENTIAL,
            "Arranges the physical and digital space so it invites learning, supports different kinds of "
            "work and is accessible to every student.",
        ),
        CompetencySpec(
            "EP.5", "Knowing students' strengths and needs", ESSENTIAL,
            "Learns what each student knows, can do, cares about and needs, including language and learning "
            "differences, and uses it to shape instruction.",
        ),
        CompetencySpec(
            "EP.6", "Assessing in several ways", ESSENTIAL,
            "Uses a mix of formative and summative assessment in varied formats to see what students "
            "understand and to give timely, useful feedback.",
        ),
        CompetencySpec(
            "IC.1", "Dynamic planning with several pathways", INNOVATIVE,
            "Designs lessons with more than one route to the same goal and adjusts those routes as "
            "evidence about students comes in.",
        ),
        CompetencySpec(
            "IC.2", "Analyzing and applying classroom data", INNOVATIVE,
            "Collects, reads and acts on classroom data, from quick checks to platform reports, to decide "
            "what each student needs next.",
        ),
        CompetencySpec(
            "IC.3", "A culture of student autonomy", INNOVATIVE,
            "Builds a culture in which students set goals, track their own progress and make real choices "
            "about how and when they learn.",
        ),
        CompetencySpec(
            "IC.4", "Deep content expertise", INNOVATIVE,
            "Knows the subject well enough to anticipate misconceptions, connect ideas across topics and "
            "offer several explanations and entry points.",
        ),
        CompetencySpec(
            "IC.5", "Collaboration with students and colleagues", INNOVATIVE,
            "Works with students as partners in learning and with colleagues as co-designers, sharing "
            "practice openly and improving it together.",
        ),
        CompetencySpec(
            "IC.6", "Flexibility and quick pivots", INNOVATIVE,
            "Notices when a plan is not working and changes course within the lesson or the week, without "
            "losing sight of the learning goal.",
        ),
    ),
)

MICROS: tuple[MicroSpec, ...] = (
    station_rotation.MICRO,
    routines.MICRO,
    learning_space.MICRO,
    small_groups.MICRO,
    pathways.MICRO,
    goal_setting.MICRO,
)

STACKS: tuple[StackSpec, ...] = (
    StackSpec(
        slug="blended-learning-foundations",
        name="Blended Learning Foundations",
        summary="The everyday structures of a blended classroom: rotations, routines and the space itself.",
        description=(
            "Awarded to teachers who have shown, with evidence from their classrooms, that they can run a "
            "station rotation, hand everyday routines over to students and arrange a learning space that "
            "supports several kinds of work at once."
        ),
        criteria_md="""\
Earn **all three** of these microcredentials:

- Designing a Station Rotation
- Student-Run Classroom Routines
- Designing a Flexible Learning Space

The stack is awarded automatically when the last one is earned.
""",
        tags=("blended learning", "stack"),
        components=("station-rotation", "student-run-routines", "flexible-learning-space"),
        rule=StackRule.ALL,
    ),
    StackSpec(
        slug="data-driven-personalization",
        name="Data-Driven Personalization",
        summary="Using evidence about each student to shape groups, routes and goals.",
        description=(
            "Awarded to teachers who have shown that they use classroom evidence to personalize learning: "
            "forming flexible groups, planning several routes to one goal, or helping students set and "
            "track their own goals."
        ),
        criteria_md="""\
Earn **any two** of these microcredentials:

- Forming Small Groups from Classroom Data
- Planning Lessons with Multiple Pathways
- Student Goal-Setting and Progress Tracking

The stack is awarded automatically when the second one is earned.
""",
        tags=("personalized learning", "data", "stack"),
        components=("data-driven-small-groups", "multiple-pathways", "student-goal-setting"),
        rule=StackRule.N_OF,
        required_count=2,
    ),
)

_DOMAIN = "riverbend.example.org"
_TEACHER = frozenset({Role.TEACHER})

USERS: tuple[UserSpec, ...] = (
    UserSpec(f"admin@{_DOMAIN}", "Dana Whitfield", frozenset({Role.ADMIN}), None,
             note="District administrator: users, schools, keys, revocation"),
    UserSpec(f"designer@{_DOMAIN}", "Priya Raman", frozenset({Role.DESIGNER}), None,
             note="Authors the framework and credentials"),
    UserSpec(f"hr@{_DOMAIN}", "Marcus Bell", frozenset({Role.HR}), None,
             note="HR officer: verifies credentials"),
    UserSpec(f"lead@{_DOMAIN}", "Ines Moreau", frozenset({Role.ANALYST}), None,
             note="Program lead: reads the analytics dashboards"),
    UserSpec(f"coach.cedar@{_DOMAIN}", "Elena Torres", frozenset({Role.COACH}), CEDAR_HOLLOW,
             reviews_as=ReviewerRole.COACH, note="Instructional coach, qualified on every micro"),
    UserSpec(f"coach.millbrook@{_DOMAIN}", "James Okafor", frozenset({Role.COACH}), MILLBROOK,
             reviews_as=ReviewerRole.COACH, note="Instructional coach, qualified on every micro"),
    UserSpec(f"peer1.cedar@{_DOMAIN}", "Hannah Lee", _TEACHER, CEDAR_HOLLOW,
             reviews_as=ReviewerRole.PEER, note="Calibrated peer reviewer on every micro"),
    UserSpec(f"peer2.cedar@{_DOMAIN}", "Samuel Ortiz", _TEACHER, CEDAR_HOLLOW,
             reviews_as=ReviewerRole.PEER, note="Calibrated peer reviewer on every micro"),
    UserSpec(f"peer3.cedar@{_DOMAIN}", "Grace Kim", _TEACHER, CEDAR_HOLLOW,
             reviews_as=ReviewerRole.PEER, note="Calibrated peer reviewer on every micro"),
    UserSpec(f"peer1.millbrook@{_DOMAIN}", "Noah Patel", _TEACHER, MILLBROOK,
             reviews_as=ReviewerRole.PEER, note="Calibrated peer reviewer on every micro"),
    UserSpec(f"peer2.millbrook@{_DOMAIN}", "Ruth Adeyemi", _TEACHER, MILLBROOK,
             reviews_as=ReviewerRole.PEER, note="Calibrated peer reviewer on every micro"),
    UserSpec(f"peer3.millbrook@{_DOMAIN}", "Leo Fischer", _TEACHER, MILLBROOK,
             reviews_as=ReviewerRole.PEER, note="Calibrated peer reviewer on every micro"),
    UserSpec(f"teacher.cedar@{_DOMAIN}", "Maya Chen", _TEACHER, CEDAR_HOLLOW,
             note="Teacher with no credentials yet: walk the loop"),
    UserSpec(f"teacher.millbrook@{_DOMAIN}", "Omar Haddad", _TEACHER, MILLBROOK,
             note="Teacher with no credentials yet: walk the loop"),
)

# Who the loader records as author of the catalog and grantor of qualifications.
DESIGNER_EMAIL = f"designer@{_DOMAIN}"
ADMIN_EMAIL = f"admin@{_DOMAIN}"


def learner_emails() -> list[str]:
    """The plain teachers (no qualifications) who walk the earn-a-credential loop."""
    return [u.email for u in USERS if u.roles == _TEACHER and u.reviews_as is None]

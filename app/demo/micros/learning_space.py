"""Designing a Flexible Learning Space (EP.4)."""

from __future__ import annotations

from app.credentials.models import CoachRule
from app.demo.specs import (
    ARTIFACT,
    CONTEXT,
    IMPACT,
    REFLECTION,
    CriterionSpec,
    MicroSpec,
    ModuleSpec,
    PolicySpec,
    SectionSpec,
    artifact_requirement,
    context_requirement,
    impact_requirement,
    reflection_requirement,
)
from app.learning.models import SectionKind

KEY_METHOD = """\
A flexible learning space is not about buying new furniture. It is about
arranging what you have, physical and digital, so that **the room supports the
kinds of work your lessons ask for**: quiet focus, talk in pairs, small-group
teaching, and movement between them. The method: *start from the work, then
zone the room*.

### Steps

1. **List the work.** For a typical week, list the kinds of activity students
   do: independent reading or practice, partner talk, group projects, teacher-led
   small groups, whole-class discussion, screen time.
2. **Map the room as it is.** Sketch it. Mark where each kind of work happens
   now, where students bunch up, where sight lines to you are blocked, where
   power outlets and storage are.
3. **Create zones.** Give each kind of work a home: a quiet zone, a
   collaboration zone, a teacher table with a clear view of the room. Use
   shelves, rugs or tape to mark them.
4. **Check access.** Every student, including those who use mobility aids or
   need fewer distractions, must be able to reach and use every zone.
5. **Organize the digital space to match.** One place online for today's
   tasks, links named the same way as the physical stations.
6. **Teach the zones.** Explain the purpose and expectations of each zone, and
   let students help decide where they work best.
"""

RESEARCH = """\
Studies of classroom environments suggest that the physical space can affect
learning, though the effects are smaller and more conditional than enthusiasm
for redesigned rooms sometimes implies. Factors with the most consistent
support are the basics: adequate light, air quality, temperature and
manageable noise. Beyond those, the evidence tends to favour rooms that are
organised and purposeful over rooms that are merely new.

Research on **seating arrangements** finds that the best layout depends on the
task: rows can support independent work, while clusters and circles support
discussion. This is the main argument for flexibility: a room that can change
with the task, or that offers different zones at once, fits a lesson with
several kinds of work better than any single layout.

Work on **student choice** suggests that letting students choose where to work
can support motivation, provided expectations are clear and choices are
reviewed when they are not helping.

Finally, **universal design for learning** offers a useful lens: design the
space so that the range of students you actually teach can use it, rather than
adapting it one student at a time. Keep claims modest, and judge your own room
by what students do in it.
"""

RESOURCES = """\
- [Edutopia: learning environments](https://www.edutopia.org/topic/learning-environments)
- [CAST: the Universal Design for Learning guidelines](https://udlguidelines.cast.org)
- [Room mapping worksheet](https://example.org/riverbend/room-map)
- [Zone signage templates](https://example.org/riverbend/zone-signs)
- [Low-cost room changes: a teacher-made gallery](https://example.org/riverbend/room-gallery)
- [Student space survey (elementary and secondary versions)](https://example.org/riverbend/space-survey)

### A note on cost

Nothing in this microcredential requires a purchase. The gallery shows rooms
rearranged with existing desks, a bookcase turned sideways to make a quiet
corner, and painter's tape marking zones on the floor. If your school has a
budget for furniture, do the redesign with what you have first: you will learn
which zones matter before spending anything. The student survey is worth
running before and after; students notice things about a room that adults miss,
such as where it is too loud to think or where the screen glare is worst.
"""

PRACTICE = """\
Redesign your room over **two to three weeks**, then use it for at least two
weeks before you submit.

### Before you move anything

- Complete the room map and list the kinds of work in a typical week.
- Run the student space survey and note the three most common complaints.
- Take photos of the room from two corners.
- Choose a measure: for example, the share of students who say they can
  concentrate in class, or time to move from whole-class to group work.

### Redesign

- Create at least three zones matched to the kinds of work you listed.
- Check access for every student, and walk the room from a student's height.
- Align your digital space: one page for the day's tasks, named like the zones.
- Teach the zones and their expectations, then let students choose where to
  work for one activity a day, reviewing choices with them.

### After two weeks of use

- Retake the photos from the same corners.
- Run the survey again and repeat your measure.
- Write down two things you would change.
"""

MICRO = MicroSpec(
    slug="flexible-learning-space",
    name="Designing a Flexible Learning Space",
    summary="Arrange your physical and digital space so it supports every kind of work your lessons ask for.",
    description=(
        "Earners of this microcredential map how their room is used, redesign it into zones that match "
        "the kinds of work in their lessons, make every zone accessible, align the digital space with "
        "the physical one, and show the effect on students' focus and movement."
    ),
    criteria_md="""\
To earn this microcredential, submit evidence from your own classroom that you:

- analysed the kinds of work in your lessons and how the room supported them;
- created **at least three zones**, accessible to every student, with a digital space to match;
- taught students the purpose of each zone and gave them some choice;
- measured a change **before and after** the redesign, including students' views; and
- reflected on what to change next.

*Proficient* on every rubric criterion earns the credential.
""",
    tags=("learning environment", "universal design", "blended learning"),
    estimated_hours=8,
    validity_months=None,
    competencies=("EP.4",),
    module=ModuleSpec(
        title="Zoning the room for the work students do",
        summary="Start from the kinds of work in your lessons, then arrange the room and the screen to fit.",
        estimated_hours=3,
        sections=(
            SectionSpec(SectionKind.KEY_METHOD, "Key method: start from the work, zone the room", KEY_METHOD),
            SectionSpec(SectionKind.RESEARCH, "What research suggests", RESEARCH),
            SectionSpec(SectionKind.RESOURCES, "Resources", RESOURCES),
            SectionSpec(SectionKind.PRACTICE, "Try it in your classroom", PRACTICE),
        ),
    ),
    requirements=(
        context_requirement(
            "Describe your room, your students and the kinds of work in a typical week. What was not "
            "working about the space, and what did you want the redesign to achieve?",
            "About 200-300 words. Mention anything about access (mobility, sensory needs, sight lines) "
            "that shaped your design.",
        ),
        artifact_requirement(
            "Upload your room map before and after, and photos of the room before and after taken "
            "from the same corners. Add a screenshot of the matching digital space if you made one.",
            "Label the zones on the 'after' map. Photos should show the room, not identifiable "
            "students.",
        ),
        impact_requirement(
            "Enter at least one measure before and after the redesign.",
            "For example: share of students who agree 'I can concentrate in this room' on the survey "
            "(higher is better), or minutes to move from whole-class to group work (lower is better). "
            "Give dates and number of students.",
        ),
        reflection_requirement(
            "What changed in how students worked? Which zone worked best and which needs rethinking? "
            "What did students tell you, and what will you change?",
            "About 250-400 words. Quote or summarize at least one student survey response.",
        ),
    ),
    criteria=(
        CriterionSpec(
            "Design grounded in the work and the students",
            "The redesign follows from an analysis of the kinds of work and the needs of the students.",
            (CONTEXT,),
            (
                "The redesign is not explained, or is driven only by appearance.",
                "The kinds of work or the problems are described, but the design does not clearly follow "
                "from them.",
                "The design follows from the listed kinds of work and named problems, and considers access.",
                "The design weighs the needs of specific groups of students and explains trade-offs between "
                "zones.",
            ),
        ),
        CriterionSpec(
            "Zones in practice",
            "At least three accessible zones, matched to the work, with a digital space that mirrors them.",
            (ARTIFACT,),
            (
                "Zones are not visible in the evidence, or the room is unchanged.",
                "Some zones exist, but their purpose is unclear or access is not considered.",
                "Three or more purposeful, accessible zones are shown before and after, with a matching "
                "digital space.",
                "Zones are clearly used as intended, with student choice visible and the digital space "
                "tightly aligned.",
            ),
        ),
        CriterionSpec(
            "Evidence of impact",
            "Before/after data show a change in focus, movement or students' experience of the room.",
            (IMPACT,),
            (
                "No data, or data unrelated to the space.",
                "Data are given but incomplete or hard to interpret.",
                "A relevant measure is reported before and after, with dates and number of students.",
                "Survey and observation data are combined and interpreted with care.",
            ),
        ),
        CriterionSpec(
            "Reflection and next steps",
            "The teacher analyses the effect of the redesign and plans changes, using students' views.",
            (REFLECTION,),
            (
                "The reflection is missing or only describes the changes.",
                "The reflection is general and does not use students' views or the data.",
                "The reflection uses data and students' views and names concrete changes.",
                "The reflection draws lessons that would transfer to another room or subject and sets a "
                "clear plan.",
            ),
        ),
    ),
    # A short, low-stakes credential: one peer, and a coach always confirms.
    policy=PolicySpec(peer_reviews=1, coach_rule=CoachRule.ALWAYS),
)

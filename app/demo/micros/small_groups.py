"""Forming Small Groups from Classroom Data (IC.2, EP.6)."""

from __future__ import annotations

from app.demo.specs import (
    ARTIFACT,
    CONTEXT,
    IMPACT,
    REFLECTION,
    CriterionSpec,
    ExemplarSpec,
    MicroSpec,
    ModuleSpec,
    ReferenceLevelSpec,
    SectionSpec,
    artifact_requirement,
    context_requirement,
    impact_requirement,
    reflection_requirement,
)
from app.learning.models import SectionKind

KEY_METHOD = """\
The method is a short weekly cycle: **check, sort, teach, recheck**. It turns
the data you already collect into groups that change as students learn.

### Steps

1. **Write a short, focused check.** Three to five items on one skill, taking
   five minutes. Include at least one item that reveals a common misconception,
   so wrong answers tell you *why* a student is stuck, not only *that* they are.
2. **Sort into three piles, not a ranking.** Read the responses and sort them:
   *got it*, *close* (a small error or gap), *not yet* (a misconception or a
   missing prerequisite). Note the misconception next to each name in the last
   pile.
3. **Plan one move per group.** *Not yet*: reteach with a different
   representation. *Close*: targeted practice with feedback. *Got it*: an
   extension that deepens the same idea rather than racing ahead.
4. **Teach the groups.** Use a rotation, a workshop model or a flexible block
   so you can see each group that needs you, starting with *not yet*.
5. **Recheck.** A parallel two-item check at the end of the cycle tells you who
   moved. Regroup from it; nobody stays in a group by default.
6. **Keep a simple record.** One table: date, skill, each student's pile. Over a
   few weeks it shows patterns no single check can.
"""

RESEARCH = """\
This cycle draws on research on **formative assessment**: using evidence about
learning, during learning, to adjust teaching. Syntheses of this research have
reported meaningful gains when teachers gather evidence frequently, interpret it
against clear goals, and act on it promptly. The acting is the part that
matters; data collected and filed changes nothing.

Research on **ability grouping** is a caution. Fixed groups that persist for
months can widen gaps and lower expectations for students placed in lower
groups. By contrast, **flexible, skill-specific groups** that are re-formed from
current evidence are generally viewed more favourably, because they target a
need and then dissolve.

Studies of **misconceptions**, particularly in mathematics and science, show
that many errors are systematic rather than random, and that instruction which
surfaces and addresses the misconception works better than simply repeating the
procedure. This is why the check should be designed so wrong answers are
informative.

Keep claims about platforms modest: adaptive software reports can be a useful
input, but they measure what the software measures. Combine them with your own
checks and your knowledge of the students.
"""

RESOURCES = """\
- [Edutopia: formative assessment](https://www.edutopia.org/topic/formative-assessment)
- [Edutopia: differentiated instruction](https://www.edutopia.org/topic/differentiated-instruction)
- [Quick-check design guide with sample items](https://example.org/riverbend/quick-check-guide)
- [Three-pile sorting sheet](https://example.org/riverbend/three-pile-sort)
- [Grouping record spreadsheet template](https://example.org/riverbend/grouping-record)
- [Common misconceptions by grade band (mathematics)](https://example.org/riverbend/misconceptions-math)
- [Reading platform reports critically: a short guide](https://example.org/riverbend/platform-reports)

### Where to begin

If you already give exit tickets, start with the sorting sheet and use your
next exit ticket as the check. If you do not, read the quick-check design guide
first and write one check for the skill you are teaching next week. Use the
misconceptions list to write at least one item whose wrong answers are
diagnostic. The record template is a spreadsheet with one tab per skill;
keep it simple enough that you will actually fill it in.
"""

PRACTICE = """\
Run **at least three check-sort-teach-recheck cycles** over three to five
weeks, on skills within one unit.

### Each cycle

- Give the quick check at the start of the cycle (five minutes).
- Sort the responses into three piles within a day, and note misconceptions.
- Plan one move for each group, and teach the groups over two or three lessons.
- Give the recheck and record every student's pile before and after.

### Across the cycles

- Track how many students move from *not yet* or *close* to *got it*.
- Watch group membership: if the same students are always in the same pile,
  ask what your checks or your moves are missing.
- Compare your piles with any platform report at least once. Where do they
  disagree, and why?

### What to collect

- One check with your sorted results (names removed) and your plan for each group.
- Your grouping record across the cycles (names replaced by numbers or initials).
- Before and after numbers for each cycle.
- Notes for your reflection: the decisions you made and what surprised you.
"""

MICRO = MicroSpec(
    slug="data-driven-small-groups",
    name="Forming Small Groups from Classroom Data",
    summary="Use short checks to form flexible groups, teach each group what it needs, and recheck.",
    description=(
        "Earners of this microcredential design short diagnostic checks, sort students by what the "
        "evidence shows, plan a distinct instructional move for each group, and regroup from a recheck. "
        "They show the checks, the grouping decisions across several cycles, and how many students moved."
    ),
    criteria_md="""\
To earn this microcredential, submit evidence from your own classroom that you:

- designed short checks whose wrong answers reveal **why** students are stuck;
- formed **flexible groups** from the results and planned a different move for each;
- ran **at least three cycles** and regrouped from rechecks;
- reported how many students moved **before and after** each cycle; and
- reflected on your decisions and what the data did and did not tell you.

*Proficient* on every rubric criterion earns the credential.
""",
    tags=("data", "formative assessment", "small groups", "personalized learning"),
    estimated_hours=15,
    validity_months=36,
    competencies=("IC.2", "EP.6"),
    module=ModuleSpec(
        title="Check, sort, teach, recheck",
        summary="A weekly cycle that turns quick checks into flexible groups and targeted teaching.",
        estimated_hours=6,
        sections=(
            SectionSpec(SectionKind.KEY_METHOD, "Key method: the check-sort-teach-recheck cycle", KEY_METHOD),
            SectionSpec(SectionKind.RESEARCH, "What research suggests", RESEARCH),
            SectionSpec(SectionKind.RESOURCES, "Resources", RESOURCES),
            SectionSpec(SectionKind.PRACTICE, "Try it in your classroom", PRACTICE),
        ),
    ),
    requirements=(
        context_requirement(
            "Describe your class, the unit and the skills your cycles targeted. What data did you "
            "have before you started, and what did you want to learn from your checks?",
            "About 200-300 words. Name the skills precisely (for example, 'comparing decimals to the "
            "thousandths', not 'decimals').",
        ),
        artifact_requirement(
            "Upload one quick check, your sorted results with a plan for each group, and your grouping "
            "record across all cycles.",
            "Remove student names: use numbers or initials. Annotate the check to show which item "
            "reveals which misconception.",
        ),
        impact_requirement(
            "Enter, for each cycle, the number or share of students at 'got it' before and after.",
            "One row per cycle is fine. Give the skill as the measure name, the dates, and the number "
            "of students checked.",
        ),
        reflection_requirement(
            "What did the checks tell you that you would not otherwise have known? Which grouping "
            "decision are you least sure of, and why? What will you change in your checks or moves?",
            "About 250-400 words. Include one student who did not move and what you think is going on.",
        ),
    ),
    criteria=(
        CriterionSpec(
            "Focused goals and diagnostic checks",
            "Cycles target precise skills, and checks are designed so that errors are informative.",
            (CONTEXT, ARTIFACT),
            (
                "Skills are vague, or checks are missing.",
                "Skills are named, but checks only show right or wrong, not why.",
                "Skills are precise, and at least one item per check is designed to reveal a named "
                "misconception.",
                "Checks are tightly aligned to the skill, every item is diagnostic, and the design is "
                "explained.",
            ),
        ),
        CriterionSpec(
            "Grouping decisions and instructional moves",
            "Groups follow the evidence, each gets a distinct move, and groups change between cycles.",
            (ARTIFACT,),
            (
                "Groups are not shown, or do not follow from the data.",
                "Groups follow the data, but moves are the same for every group or groups never change.",
                "Each group has a distinct move matched to its need, and the record shows regrouping after "
                "rechecks.",
                "Moves are precise and varied, regrouping is frequent and explained, and platform data are "
                "weighed against the teacher's own.",
            ),
        ),
        CriterionSpec(
            "Evidence of student movement",
            "Before/after results for each cycle show how many students moved.",
            (IMPACT,),
            (
                "No data, or data not connected to the cycles.",
                "Data are given for only one cycle, or without dates and numbers of students.",
                "Before and after results are reported for at least three cycles, with dates and numbers of "
                "students.",
                "Results are reported for every cycle and read critically, noting patterns across cycles.",
            ),
        ),
        CriterionSpec(
            "Reflection on data use",
            "The teacher reflects on what the data showed, the limits of the data, and next steps.",
            (REFLECTION,),
            (
                "The reflection is missing or restates the data.",
                "The reflection is general and does not examine any decision closely.",
                "The reflection examines specific decisions, including a student who did not move, and names "
                "changes.",
                "The reflection weighs the limits of the evidence and sets a specific plan for checks and "
                "moves in the next unit.",
            ),
        ),
    ),
    exemplars=(
        ExemplarSpec(
            title="Grade 7 ratios: three cycles (sample for calibration)",
            body_md="""\
**Context and goal.** Grade 7 mathematics, 29 students. Unit on ratios and
rates. Skills: (1) writing equivalent ratios, (2) finding unit rates,
(3) comparing rates. I had last year's state scores and the platform's
placement report, which put most students "on grade level".

**Artifact of practice.** Three quick checks of four items each. Item 3 on
check 1 pairs 2:3 with 4:5 to catch additive thinking. Sorted results and a
plan per group are attached, plus my grouping record with student numbers.
Group sizes changed each cycle; six students moved between piles at least twice.

**Evidence of impact.** Share at "got it": cycle 1, 34% before, 72% after;
cycle 2, 45% before, 79% after; cycle 3, 52% before, 76% after. 29 students,
across five weeks.

**Reflection.** The additive-thinking item was the most useful thing I wrote
this year: 11 students answered it the same wrong way, and the platform had
not flagged any of them. Student 14 stayed in "not yet" for all three skills. I
think the issue is multiplication facts, not ratios, and I should have checked
that directly. Next unit I will add one prerequisite item to each check.
""",
            reference_levels=(
                ReferenceLevelSpec(
                    "Focused goals and diagnostic checks",
                    "Exemplary",
                    "Precise skills and an item explicitly designed to catch additive thinking, with the "
                    "reason explained.",
                ),
                ReferenceLevelSpec(
                    "Grouping decisions and instructional moves",
                    "Proficient",
                    "Groups change between cycles and each has a plan; the moves themselves are attached but "
                    "not described in the text.",
                ),
                ReferenceLevelSpec(
                    "Evidence of student movement",
                    "Proficient",
                    "Before and after for all three cycles, with dates and number of students; patterns "
                    "across cycles are not discussed.",
                ),
                ReferenceLevelSpec(
                    "Reflection on data use",
                    "Exemplary",
                    "Compares the check with platform data, examines a student who did not move, and names a "
                    "specific change to the next unit's checks.",
                ),
            ),
        ),
    ),
)

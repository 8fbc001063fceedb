"""Designing a Station Rotation (EP.1, EP.2)."""

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
A station rotation splits one class period into short blocks. Small groups move
between stations on a timer, and at least one station is the teacher's: a place
where you work closely with a handful of students while everyone else works
independently. The point is not the movement; it is the time it buys you with
a small group.

### Steps

1. **Start from one learning goal.** Write the goal for the lesson in student
   language. Every station should move students toward it, by a different route.
2. **Choose three stations.** A common starting set is *teacher-led* (direct
   instruction or guided practice with 4-6 students), *online practice*
   (adaptive software or a short video with questions), and *collaborative or
   offline practice* (a task, game or problem students do together).
3. **Size the blocks.** For a 50-minute period, three 15-minute blocks with a
   minute for each transition is realistic. Shorter blocks suit younger students.
4. **Group on purpose.** Use a recent quick check to form groups. Decide whether
   each group should be similar (so you can target a need at your station) or mixed
   (so peers can help each other at the collaborative station).
5. **Make each independent station self-explaining.** Post a task card with the
   goal, the steps, what "done" looks like and what to do when stuck.
6. **Teach the rotation before you teach content through it.** Rehearse the
   moves, the signal and the noise level with an easy task first.
7. **Close the loop.** End with a two-minute exit check that tells you who met
   the goal and who needs the teacher station again tomorrow.
"""

RESEARCH = """\
Station rotation sits where two well-studied ideas meet: **small-group
instruction** and **blended learning**.

Research on small-group and guided instruction has long found that students
benefit when a teacher can respond to a few learners at once: more chances to
talk, quicker feedback, and instruction pitched closer to what each student is
ready for. The gains are largest when groups are formed from current evidence
and change as students progress, rather than staying fixed for the year.

Studies of blended learning are more mixed. Reviews of online and blended
programs tend to find that blending online work with face-to-face teaching does
at least as well as face-to-face teaching alone, and sometimes better. But the
results depend heavily on how the time is used. Putting students on devices
does not by itself raise achievement; what seems to matter is whether the
online work is well matched to the goal and whether the teacher uses the time
it frees to teach more responsively.

Research on classroom management points the same way: routines that are taught
explicitly, practised and kept consistent reduce lost time at transitions.

The honest summary: a rotation is a structure, not a strategy. It helps when
the teacher station is used for targeted teaching, the independent stations are
purposeful, and groups follow the evidence.
"""

RESOURCES = """\
Starting points for reading and viewing. Links are topic pages; pick what fits
your grade level and subject.

- [Edutopia: blended learning articles and classroom videos](https://www.edutopia.org/topic/blended-learning)
- [Edutopia: classroom management and transitions](https://www.edutopia.org/topic/classroom-management)
- [Riverbend station rotation planning template](https://example.org/riverbend/station-rotation-planner)
- [Sample task cards for independent stations](https://example.org/riverbend/task-card-samples)
- [Rotation timer and signal ideas](https://example.org/riverbend/rotation-signals)
- [Video: rehearsing a rotation in grade 4](https://example.org/riverbend/videos/rehearsing-rotation)

### Questions to keep in mind while you read

- Which station in the examples does the heaviest lifting toward the goal?
- How do the teachers decide who goes to the teacher station, and how often
  does that change?
- What do students do when they finish early or get stuck, and how is that
  taught?
- How much of the online practice could be replaced by something offline
  without losing anything? What does that tell you about its purpose?

Note any routine you want to borrow, and any that would not fit your room. You
will refer to these notes in your reflection.
"""

PRACTICE = """\
Plan and teach **at least three rotation lessons** toward the same unit goal
over two to three weeks. You are ready to submit when you have taught the
rotation enough times that students run the transitions with little help.

### Before the first lesson

- Pick a unit where students need practice at different levels.
- Fill in the planning template: goal, stations, timing, groups, task cards,
  and what you will do at your station.
- Decide on one measure you will use before and after: for example, the share
  of students meeting the goal on a quick check, or the number of minutes lost
  in transitions.

### During the lessons

- Rehearse the rotation with a low-stakes task first.
- Collect the before measure.
- Teach the rotation lessons. Keep a short log after each: what worked at each
  station, what went wrong, and whom you will see at your station next time.
- Adjust groups from the exit checks at least once.

### What to collect for your submission

- The lesson plan and task cards (your artifact).
- A photo or short video of students at work in at least two stations (blur or
  crop faces if your school requires it).
- Your before and after numbers.
- Your log, which you will use in your reflection.
"""

MICRO = MicroSpec(
    slug="station-rotation",
    name="Designing a Station Rotation",
    summary=(
        "Plan and run a station rotation that frees you to teach a small group while others work on purpose."
    ),
    description=(
        "Earners of this microcredential design a station rotation around one clear learning goal, "
        "teach students the routines that keep it running, and use the teacher-led station for "
        "targeted small-group instruction. They show the design, the lesson in action, a change in "
        "a classroom measure, and what they would refine next."
    ),
    criteria_md="""\
To earn this microcredential, submit evidence from your own classroom that you:

- designed a rotation of at least three stations around **one learning goal**, with a
  teacher-led station used for targeted small-group teaching;
- formed groups from **current evidence** and adjusted them at least once;
- taught the routines so students moved between stations and worked independently;
- measured a **before and after** change in learning or in use of time; and
- reflected honestly on what to keep and what to change.

Reviewers score the evidence against a four-level rubric. *Proficient* on every
criterion earns the credential.
""",
    tags=("blended learning", "station rotation", "small groups", "lesson design"),
    estimated_hours=15,
    validity_months=36,
    competencies=("EP.1", "EP.2"),
    module=ModuleSpec(
        title="Station rotation: structure that buys small-group time",
        summary=(
            "How to design, rehearse and refine a rotation so that the teacher station does real teaching."
        ),
        estimated_hours=6,
        sections=(
            SectionSpec(SectionKind.KEY_METHOD, "Key method: build a rotation around one goal", KEY_METHOD),
            SectionSpec(SectionKind.RESEARCH, "What research suggests", RESEARCH),
            SectionSpec(SectionKind.RESOURCES, "Resources", RESOURCES),
            SectionSpec(SectionKind.PRACTICE, "Try it in your classroom", PRACTICE),
        ),
    ),
    requirements=(
        context_requirement(
            "Describe your class (grade, subject, number of students, devices available) and the "
            "learning goal your rotation served. Why did a rotation suit this goal and these students?",
            "About 200-300 words. Name the evidence you used to form groups (for example, a quick "
            "check or last week's exit tickets) and what you hoped the teacher station would achieve.",
        ),
        artifact_requirement(
            "Upload your rotation plan and task cards, plus a photo or short video (under 3 minutes) "
            "of students working in at least two stations.",
            "The plan should show stations, timing, groups and what you did at the teacher station. "
            "Blur or crop student faces where your school requires it; never include student names.",
        ),
        impact_requirement(
            "Enter at least one classroom measure before and after your rotation lessons.",
            "Good measures: the share of students meeting the goal on a quick check, average score on "
            "a short task, or minutes lost in transitions (lower is better). Say how many students "
            "each number covers and over what dates.",
        ),
        reflection_requirement(
            "What did the rotation let you do that whole-class teaching did not? What went wrong, "
            "what did you change between lessons, and what will you change next time?",
            "About 250-400 words. Refer to your log and your data. Reviewers look for specific "
            "moments and decisions, not a general summary.",
        ),
    ),
    criteria=(
        CriterionSpec(
            "Goal and grouping rooted in evidence",
            "The rotation serves one clear learning goal, and groups come from current evidence about "
            "students.",
            (CONTEXT,),
            (
                "The goal is missing or vague, and groups are not explained.",
                "A goal is named but stations only loosely serve it, or groups are formed without evidence.",
                "A clear goal drives the design, and groups are formed from recent evidence that is named.",
                "The goal is precise and student-facing; grouping decisions are explained student by student "
                "and revisited.",
            ),
        ),
        CriterionSpec(
            "Rotation design and routines",
            "Stations are purposeful, self-explaining and timed realistically; the teacher station is used "
            "for targeted teaching.",
            (ARTIFACT,),
            (
                "The plan lacks stations, timing or instructions, or the evidence does not show the rotation "
                "in use.",
                "Stations exist but some are busywork, directions are unclear, or the teacher station is not "
                "targeted.",
                "Each station moves students toward the goal, task cards are clear, and the teacher station "
                "targets a named need.",
                "Stations offer different routes to the goal, students clearly run the routines themselves, "
                "and the design anticipates early finishers and stuck students.",
            ),
        ),
        CriterionSpec(
            "Evidence of impact",
            "Before/after data show what changed for students or for the use of class time.",
            (IMPACT,),
            (
                "No data, or data unrelated to the goal.",
                "Data are given but the measure, dates or number of students are unclear.",
                "A relevant measure is reported before and after, with dates and number of students.",
                "Several relevant measures are reported, and the submission reads them carefully, including "
                "what they do not show.",
            ),
        ),
        CriterionSpec(
            "Reflection and next steps",
            "The teacher analyses what happened and names concrete changes.",
            (REFLECTION,),
            (
                "The reflection is missing or only describes the lesson.",
                "The reflection is general; changes are named without reasons.",
                "The reflection refers to specific moments and data and names concrete changes with reasons.",
                "The reflection connects evidence, reasoning and the module, and sets a specific plan for "
                "the next unit.",
            ),
        ),
    ),
    exemplars=(
        ExemplarSpec(
            title="Grade 5 fractions rotation (sample for calibration)",
            body_md="""\
**Context and goal.** Grade 5, 27 students, one Chromebook cart shared with the
next room. Goal: *I can add fractions with unlike denominators using
equivalent fractions.* I grouped students from Friday's four-question quick
check: eight students who could not yet find a common denominator came to my
station first.

**Artifact of practice.** Rotation plan (3 stations, 15 minutes each), three
task cards, and two photos: my station with five students working on fraction
strips, and the partner game station. The online station used the district
practice site with a fixed assignment.

**Evidence of impact.** Quick check, share of students with 3 of 4 correct:
before 41% (27 students), after 70% (27 students), over 9 school days.

**Reflection.** The teacher station worked best when I had only five
students. The online station was the weakest: students clicked through without
showing work, so next time I will add a paper record sheet. I regrouped after
the second lesson and moved three students out of my group. Transitions took
too long on day one; the second time I used a countdown and it was better.
""",
            reference_levels=(
                ReferenceLevelSpec(
                    "Goal and grouping rooted in evidence",
                    "Proficient",
                    "A clear student-facing goal; groups come from a named quick check. Not exemplary: the "
                    "grouping is explained for one group only.",
                ),
                ReferenceLevelSpec(
                    "Rotation design and routines",
                    "Proficient",
                    "Three purposeful stations with task cards and a targeted teacher station. The online "
                    "station's weakness is acknowledged rather than designed for.",
                ),
                ReferenceLevelSpec(
                    "Evidence of impact",
                    "Proficient",
                    "One relevant measure before and after, with dates and number of students.",
                ),
                ReferenceLevelSpec(
                    "Reflection and next steps",
                    "Developing",
                    "Specific moments are named, but the changes (a record sheet, a countdown) are not tied "
                    "to the data or to a plan for the next unit.",
                ),
            ),
        ),
    ),
)

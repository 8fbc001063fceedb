"""Planning Lessons with Multiple Pathways (IC.1, EP.5)."""

from __future__ import annotations

from app.demo.specs import (
    ARTIFACT,
    CONTEXT,
    IMPACT,
    REFLECTION,
    CriterionSpec,
    MicroSpec,
    ModuleSpec,
    SectionSpec,
    artifact_requirement,
    context_requirement,
    impact_requirement,
    reflection_requirement,
)
from app.learning.models import SectionKind

KEY_METHOD = """\
A pathway lesson keeps **one destination** (the learning goal and how students
show they reached it) and offers **two or three routes** to it. Routes can
differ in starting point, amount of support, the form of the material, or the
way students show what they know. The method: *fix the goal, vary the route,
decide with evidence*.

### Steps

1. **Fix the destination.** Write the goal and a common task that shows
   mastery. Every pathway ends there.
2. **Profile the class.** Use what you know: recent data, reading levels,
   language needs, interests, what students have told you about how they like to
   learn. Look for two or three real differences that matter for this goal.
3. **Design the routes.** For example: a *foundations* route that reteaches a
   prerequisite with a worked example; a *core* route with guided practice; a
   *stretch* route with a harder application of the same idea. Or routes that
   differ in format: a reading, a video, a hands-on task.
4. **Decide who starts where, and let students choose when it makes sense.**
   Use a short entry check; where the routes differ in format rather than
   level, offer a choice and ask students to explain it.
5. **Build checkpoints.** Midway, a quick check lets students switch routes,
   in either direction.
6. **Converge.** End with everyone doing the common task, so you can see whether
   every route reached the goal.
"""

RESEARCH = """\
Pathway planning draws on research on **differentiated instruction** and on
**universal design for learning (UDL)**.

Studies of differentiation suggest benefits when teachers adjust content,
process or product in response to evidence about students, while keeping the
learning goal the same for everyone. Outcomes vary a great deal with how it is
done; approaches that lower expectations for some students, or that sort
students by fixed "learning styles", are not supported by the evidence. The
common thread in the more promising work is *responsiveness to current
evidence*, not labels.

UDL frames the same problem from the design side: build flexibility into the
lesson from the start - several ways to take in information, to engage, and to
show learning - so fewer students need a separate adaptation later.

Research on **student choice** suggests that meaningful choices can increase
engagement and persistence, especially when the options are clear and
manageable in number. Too many options, or options with no clear purpose, can
have the opposite effect.

Finally, work on **worked examples** and guided practice suggests that
learners new to an idea often benefit from more structure, while those further
along benefit from more open problems, which is a useful rule of thumb when
designing routes.
"""

RESOURCES = """\
- [Edutopia: differentiated instruction](https://www.edutopia.org/topic/differentiated-instruction)
- [CAST: the Universal Design for Learning guidelines](https://udlguidelines.cast.org)
- [Pathway lesson planner (one goal, three routes)](https://example.org/riverbend/pathway-planner)
- [Class profile template](https://example.org/riverbend/class-profile)
- [Choice board examples by subject](https://example.org/riverbend/choice-boards)
- [Checkpoint and switching cards](https://example.org/riverbend/checkpoint-cards)

### Reading the examples

The choice boards are examples, not templates to copy: look at how each one
keeps a single goal while varying the route, and notice the ones that do not
(where one option is much easier than the others and leads nowhere). The class
profile template asks for only a few facts per student; resist the urge to
record everything, and keep what actually changes your planning for this goal.
The checkpoint cards give students words for asking to switch routes, which
makes switching normal rather than a sign of failure.
"""

PRACTICE = """\
Plan and teach **two pathway lessons** (or one longer pathway sequence over
several lessons) within one unit.

### Planning

- Fill in the class profile for the goal you are teaching.
- Use the pathway planner: one goal, one common task, two or three routes.
- Write an entry check, and decide who starts where and where students choose.
- Plan a midway checkpoint and what a switch looks like.

### Teaching

- Explain to students that everyone is heading to the same goal by different
  routes, and that switching routes is expected.
- Keep notes on who switched, in which direction, and why.
- End with the common task.

### After the lessons

- Compare results on the common task by route. Did every route reach the goal?
- Ask students which route they took and how well it worked for them.

### What to collect

- Your class profile (names removed) and pathway planner.
- The materials for each route.
- Results on the common task, compared with a similar earlier task.
- Your notes on switching and students' comments.
"""

MICRO = MicroSpec(
    slug="multiple-pathways",
    name="Planning Lessons with Multiple Pathways",
    summary=(
        "Design lessons with one goal and several routes to it, and move students between routes as evidence "
        "comes in."
    ),
    description=(
        "Earners of this microcredential plan lessons in which every student works toward the same goal "
        "by one of several routes, chosen from evidence about students and adjusted at checkpoints. They "
        "show the plan, the routes, results on a common task and how students experienced the choices."
    ),
    criteria_md="""\
To earn this microcredential, submit evidence from your own classroom that you:

- planned lessons with **one goal and a common task**, reached by **two or three routes**;
- used a profile of your students to design the routes and decide starting points;
- built in checkpoints where students could **switch routes**;
- compared results on the common task **before and after**; and
- reflected on whether every route reached the goal.

*Proficient* on every rubric criterion earns the credential.
""",
    tags=("personalized learning", "differentiation", "lesson design", "student choice"),
    estimated_hours=15,
    validity_months=36,
    competencies=("IC.1", "EP.5"),
    module=ModuleSpec(
        title="One goal, several routes",
        summary="Plan lessons where the destination is fixed and the route is matched to the learner.",
        estimated_hours=5,
        sections=(
            SectionSpec(SectionKind.KEY_METHOD, "Key method: fix the goal, vary the route", KEY_METHOD),
            SectionSpec(SectionKind.RESEARCH, "What research suggests", RESEARCH),
            SectionSpec(SectionKind.RESOURCES, "Resources", RESOURCES),
            SectionSpec(SectionKind.PRACTICE, "Try it in your classroom", PRACTICE),
        ),
    ),
    requirements=(
        context_requirement(
            "Describe your class and the goal of your pathway lessons. Which differences between your "
            "students mattered for this goal, and how did you find them?",
            "About 200-300 words. Refer to your class profile; explain why you chose these routes "
            "rather than others.",
        ),
        artifact_requirement(
            "Upload your pathway planner, the materials for each route, and your entry check and "
            "checkpoint.",
            "Make it possible for a reviewer to follow one student along each route. Remove student "
            "names.",
        ),
        impact_requirement(
            "Enter results on the common task, compared with a similar earlier task.",
            "For example: share of students meeting the goal on the common task, against a similar "
            "task before the pathway lessons. If you can, add a row per route. Give dates and number "
            "of students.",
        ),
        reflection_requirement(
            "Did every route reach the goal? Who switched routes and what did that tell you? What did "
            "students say about the choices, and what will you change?",
            "About 250-400 words. Be specific about one route that worked less well than you hoped.",
        ),
    ),
    criteria=(
        CriterionSpec(
            "Knowing the learners",
            "Routes are designed from a profile of the students that matters for this goal.",
            (CONTEXT,),
            (
                "Students' differences are not described, or routes are assigned by label.",
                "Differences are described in general terms; the link to the routes is loose.",
                "Two or three relevant differences are identified from evidence and each route responds to "
                "one.",
                "The profile combines data, students' own views and interests, and clearly shapes each "
                "route.",
            ),
        ),
        CriterionSpec(
            "Pathway design",
            "One goal and common task, two or three purposeful routes, and checkpoints for switching.",
            (ARTIFACT,),
            (
                "There is no common goal, or only one route.",
                "Routes exist but some lead away from the goal, or there is no way to switch.",
                "Every route leads to the common task, materials are complete, and a checkpoint allows "
                "switching.",
                "Routes are equally ambitious, choice is used where it fits, and switching is built into the "
                "design.",
            ),
        ),
        CriterionSpec(
            "Evidence of impact",
            "Results on the common task are compared with an earlier measure.",
            (IMPACT,),
            (
                "No data, or data unrelated to the goal.",
                "Results are given without a comparison, dates or number of students.",
                "Results on the common task are compared with a similar earlier task, with dates and number "
                "of students.",
                "Results are also broken down by route and interpreted with care.",
            ),
        ),
        CriterionSpec(
            "Reflection and next steps",
            "The teacher evaluates the routes using results, switching and students' views.",
            (REFLECTION,),
            (
                "The reflection is missing or only describes the lessons.",
                "The reflection is general; it does not examine any route closely.",
                "The reflection examines whether each route worked, uses switching and students' views, and "
                "names changes.",
                "The reflection draws general lessons about designing routes and sets a plan for the next "
                "unit.",
            ),
        ),
    ),
)

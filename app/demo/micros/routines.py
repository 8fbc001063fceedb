"""Student-Run Classroom Routines (EP.2, EP.3)."""

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
In a blended or personalized classroom, students are often doing different
things at the same time. That only works if the everyday moves - getting
materials, logging in, asking for help, handing in work, switching activities -
happen without the teacher directing each one. The method here is to **choose a
small number of routines, teach them like content, and hand them over to
students**.

### Steps

1. **Find the friction.** For two or three days, note every time learning stops
   while students wait for you: for a device, a password, an answer, permission.
   Count the minutes if you can.
2. **Pick two or three routines** that would remove the most friction. Common
   choices: a help routine ("ask three before me", a help queue on the board),
   a materials routine, and a "done early" routine.
3. **Write each routine as steps students can see.** Keep it to four or five
   steps, post it where it is used, and add a picture for younger students.
4. **Model, rehearse, give feedback.** Show the routine, have students practise
   it with a neutral task, name what went well, and rehearse again.
5. **Give students roles.** A tech helper, a materials manager, a timekeeper.
   Rotate roles so every student holds one over a month.
6. **Review and reteach.** Revisit each routine briefly after a week, and
   reteach whenever it slips, calmly and without blame.
"""

RESEARCH = """\
Research on classroom management has consistently found that effective
managers are less distinguished by how they respond to misbehaviour than by
what they do to prevent it: they establish clear routines early, teach them
explicitly, and keep them consistent. Time that would otherwise go to
transitions and waiting becomes time for learning.

Work on **self-regulated learning** adds a second reason to hand routines to
students. When students know what to do next, where to find help and how to
check their own work, they practise the planning and monitoring skills that
support learning across subjects. Those skills can be taught, and they develop
with practice and feedback, just as academic skills do.

Research on **student roles and responsibility** in classrooms, and on
classroom climate more broadly, suggests that students who have a real part in
running the room tend to report a stronger sense of belonging, which in turn
relates to engagement.

The evidence is strongest for the basics: explicit teaching, rehearsal,
consistency and positive feedback. It says less about any particular routine
or tool. Choose routines that fit your students and your room, and judge them
by whether learning time and independence actually go up.
"""

RESOURCES = """\
- [Edutopia: classroom management](https://www.edutopia.org/topic/classroom-management)
- [Edutopia: social and emotional learning](https://www.edutopia.org/topic/social-emotional-learning)
- [Friction log: a one-page template for counting lost minutes](https://example.org/riverbend/friction-log)
- [Routine poster templates (elementary and secondary)](https://example.org/riverbend/routine-posters)
- [Student jobs: role cards and a rotation chart](https://example.org/riverbend/student-roles)
- [Video: teaching a help routine in a grade 7 science class](https://example.org/riverbend/videos/help-routine)

### How to use these

Start with the friction log; it will tell you which routines matter most in
your room. Then look at the poster templates and pick one format, so that all
your routines look alike and students learn where to look. The video shows a
teacher rehearsing a routine three times in one lesson; notice how short the
rehearsals are and how specific her feedback is. If you use student roles, make
the role cards yourself with your class, using the examples only as a starting
point: students keep routines better when they helped write them.
"""

PRACTICE = """\
Over **three to four weeks**, introduce two or three student-run routines and
watch what happens to learning time and independence.

### Week 1: measure and choose

- Keep a friction log for three lessons. Record each stop, what caused it and
  roughly how long it took.
- Choose the routines that would remove the most stops. Write them as steps.

### Week 2: teach and rehearse

- Introduce one routine at a time. Model it, rehearse it with a neutral task,
  give specific feedback, and rehearse again.
- Assign and explain any student roles.

### Weeks 3-4: hand over and review

- Step back. When something goes wrong, prompt with the posted steps rather
  than solving it for the student.
- After a week, ask students what is working and what is confusing, and adjust.
- Keep the friction log again for three lessons so you can compare.

### What to collect

- The routine posters or slides, and role cards if you used them.
- A short video or photos of a routine running without you.
- Your before and after friction log numbers.
- Notes on what you changed and why.
"""

MICRO = MicroSpec(
    slug="student-run-routines",
    name="Student-Run Classroom Routines",
    summary="Teach a few routines so well that students run them, and win back time for learning.",
    description=(
        "Earners of this microcredential find where learning time is lost in their classroom, design "
        "two or three routines that remove the biggest causes, teach and rehearse them, and hand them "
        "over to students. They show the routines, students running them, and a measured change in "
        "learning time or independence."
    ),
    criteria_md="""\
To earn this microcredential, submit evidence from your own classroom that you:

- identified where learning time was lost, using a record rather than an impression;
- designed **two or three routines** as clear, posted steps, with student roles where useful;
- taught and rehearsed them, so that students **run them without you**;
- measured the change in lost time or independent work **before and after**; and
- reflected on what you changed and what you will keep.

*Proficient* on every rubric criterion earns the credential.
""",
    tags=("routines", "classroom management", "student independence", "blended learning"),
    estimated_hours=10,
    validity_months=36,
    competencies=("EP.2", "EP.3"),
    module=ModuleSpec(
        title="Routines students can run on their own",
        summary="Find where time is lost, choose a few routines, teach them like content and hand them over.",
        estimated_hours=4,
        sections=(
            SectionSpec(SectionKind.KEY_METHOD, "Key method: teach routines like content", KEY_METHOD),
            SectionSpec(SectionKind.RESEARCH, "What research suggests", RESEARCH),
            SectionSpec(SectionKind.RESOURCES, "Resources", RESOURCES),
            SectionSpec(SectionKind.PRACTICE, "Try it in your classroom", PRACTICE),
        ),
    ),
    requirements=(
        context_requirement(
            "Describe your class and the friction you found: where and why did learning stop? Which "
            "routines did you choose to address it, and why those?",
            "About 200-300 words. Summarize your friction log (for example, 'about 9 minutes a lesson "
            "lost waiting for help with log-ins').",
        ),
        artifact_requirement(
            "Upload the routines as students see them (posters, slides or cards) and a short video or "
            "photos of at least one routine running without your direction.",
            "A video of 1-3 minutes is ideal. Show students following the steps, not you explaining "
            "them. Do not include student names; blur faces where your school requires it.",
        ),
        impact_requirement(
            "Enter your before and after measures of lost time or independence.",
            "For example: minutes lost per lesson to waiting (lower is better), number of help "
            "requests to the teacher per lesson (lower is better), or share of students who start "
            "work within two minutes (higher is better). Give dates and number of students.",
        ),
        reflection_requirement(
            "Which routine made the biggest difference, and which needed reteaching? How did students "
            "respond to running the routines, and what will you change?",
            "About 250-400 words. Include at least one student comment or observation, and name one "
            "routine you would introduce next.",
        ),
    ),
    criteria=(
        CriterionSpec(
            "Problem identified from evidence",
            "The choice of routines follows from a record of where learning time was lost.",
            (CONTEXT,),
            (
                "No problem is identified, or routines are chosen without explanation.",
                "A problem is described from impression; the link to the chosen routines is loose.",
                "A friction record identifies the main causes, and each routine targets one of them.",
                "The record is detailed and analysed, and the routines are prioritised by how much time each "
                "could recover.",
            ),
        ),
        CriterionSpec(
            "Routines taught and handed over",
            "Routines are clear, posted, rehearsed, and run by students.",
            (ARTIFACT,),
            (
                "Routines are not shown, or the evidence shows the teacher directing every step.",
                "Routines are posted but unclear or long, or students still depend on the teacher to run "
                "them.",
                "Routines are short, clear and visible, and the evidence shows students running at least one "
                "without direction.",
                "Students run several routines confidently, hold rotating roles, and the evidence shows them "
                "helping each other follow the steps.",
            ),
        ),
        CriterionSpec(
            "Change in learning time or independence",
            "Before/after data show a change in lost time or in independent work.",
            (IMPACT,),
            (
                "No data, or data unrelated to routines.",
                "Data are given but incomplete (no dates, no comparison, or unclear measure).",
                "A relevant measure is reported before and after, with dates and number of students.",
                "Two or more measures are reported and interpreted, including any that did not improve.",
            ),
        ),
        CriterionSpec(
            "Reflection and next steps",
            "The teacher analyses what worked, includes students' perspective, and plans next steps.",
            (REFLECTION,),
            (
                "The reflection is missing or only restates what was done.",
                "The reflection is general and does not use the data or students' views.",
                "The reflection uses data and at least one student observation and names concrete changes.",
                "The reflection explains why routines worked or failed and sets a clear plan for the next "
                "routine.",
            ),
        ),
    ),
)

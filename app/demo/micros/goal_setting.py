"""Student Goal-Setting and Progress Tracking (IC.3, EP.6)."""

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
Students who can say where they are going, where they are now and what they
will do next are in a position to steer their own learning. The method is a
regular **goal conference and tracker**: students set a short-term goal from
evidence, track progress on it, and review it with you.

### Steps

1. **Make the targets visible.** Turn the unit's goals into a short list of
   "I can" statements students understand. Post them and put them on the tracker.
2. **Teach goal-setting.** Model a good goal (specific, tied to one "I can"
   statement, reachable in one or two weeks, with a plan) and a weak one. Have
   students improve weak goals before writing their own.
3. **Start from evidence.** Students choose their goal after looking at a recent
   check or piece of work, not from a blank page.
4. **Track it.** A paper or digital tracker where students record each attempt
   or check, and colour or chart their progress.
5. **Confer briefly.** Two to three minutes per student, once every week or two:
   What is your goal? What is your evidence? What will you try next? Rotate
   through the class during independent work.
6. **Close and reset.** When a goal is met, students record the evidence and
   set the next one. When it is not, they adjust the plan, not the goal.
"""

RESEARCH = """\
Goal-setting and self-tracking connect to several bodies of research.

Work on **goal-setting** in education and psychology suggests that specific,
moderately challenging goals with feedback on progress tend to support
performance better than vague goals such as "do your best". The feedback part
matters: goals without a way to see progress tend to fade.

Research on **self-regulated learning and metacognition** describes learners
who plan, monitor and evaluate their own learning. Syntheses in this area have
found that teaching these strategies explicitly, and giving students regular
chances to use them, can improve outcomes, with effects that vary by age and
subject.

Research on **self-assessment** suggests students can learn to judge their own
work accurately when criteria are clear and they get practice and feedback on
their judgements. Their early self-assessments are often over- or
under-confident; accuracy improves with practice.

Research on **motivation**, including self-determination theory, links a sense
of autonomy and competence to engagement. Student goal-setting gives students
real ownership, provided the goals remain tied to the learning targets. A
modest summary: goal-setting helps when it is specific, evidence-based,
reviewed and taught.
"""

RESOURCES = """\
- [Edutopia: student voice and student agency](https://www.edutopia.org/topic/student-voice)
- [Edutopia: formative assessment](https://www.edutopia.org/topic/formative-assessment)
- ["I can" statement writing guide](https://example.org/riverbend/i-can-statements)
- [Goal tracker templates (paper and spreadsheet)](https://example.org/riverbend/goal-trackers)
- [Goal conference question cards](https://example.org/riverbend/conference-cards)
- [Strong goal, weak goal: a sorting activity](https://example.org/riverbend/goal-sort)

### Getting started

Choose one tracker format and keep it for the whole credential; switching
formats midway makes progress hard to compare. The conference cards are worth
printing and keeping at your table: the same three questions, asked every time,
teach students what a conference is for and shorten it. The sorting activity is
the quickest way to teach what a good goal looks like; it works from grade 3 up
with different examples. If your students already use a learning platform
with its own progress bars, decide whether the tracker duplicates it or adds
the student's own judgement, which the platform cannot.
"""

PRACTICE = """\
Run goal-setting and tracking for **at least four weeks** with one class.

### Week 1: set up

- Write the unit's "I can" statements and build the tracker.
- Give students the strong goal, weak goal sorting activity.
- Measure your starting point: for example, the share of students who can
  name their current goal and their evidence, or a short survey on confidence in
  managing their learning.

### Weeks 1-4: set, track, confer

- Students set a goal from a recent check, with a plan.
- Students record progress at least twice a week.
- Confer with every student at least twice over the four weeks. Keep a note
  of each conference: the goal, the evidence, the next step.

### Week 4: review

- Repeat your starting measure.
- Ask students to write two sentences on what tracking their goals changed for
  them, if anything.

### What to collect

- The "I can" statements and tracker template.
- Three sample trackers (names removed) showing different paths.
- Your conference notes summary.
- Before and after measures and student comments.
"""

MICRO = MicroSpec(
    slug="student-goal-setting",
    name="Student Goal-Setting and Progress Tracking",
    summary="Help students set goals from evidence, track their own progress and review it with you.",
    description=(
        "Earners of this microcredential make learning targets visible, teach students to set specific "
        "goals from evidence, give them a way to track progress and hold short regular goal conferences. "
        "They show the system, students' trackers, a change in students' ownership of learning and what "
        "they learned from conferring."
    ),
    criteria_md="""\
To earn this microcredential, submit evidence from your own classroom that you:

- made the learning targets visible as statements students understand;
- **taught** students to set specific goals from evidence;
- gave students a tracker they used **at least twice a week** for four weeks;
- held **goal conferences** with every student at least twice;
- measured a change in students' ownership of their learning **before and after**; and
- reflected on what you learned from the conferences.

*Proficient* on every rubric criterion earns the credential.
""",
    tags=("student agency", "goal setting", "self-assessment", "personalized learning"),
    estimated_hours=12,
    validity_months=None,
    competencies=("IC.3", "EP.6"),
    module=ModuleSpec(
        title="Students who steer their own learning",
        summary="Visible targets, evidence-based goals, trackers and short conferences.",
        estimated_hours=4,
        sections=(
            SectionSpec(SectionKind.KEY_METHOD, "Key method: goals, trackers and conferences", KEY_METHOD),
            SectionSpec(SectionKind.RESEARCH, "What research suggests", RESEARCH),
            SectionSpec(SectionKind.RESOURCES, "Resources", RESOURCES),
            SectionSpec(SectionKind.PRACTICE, "Try it in your classroom", PRACTICE),
        ),
    ),
    requirements=(
        context_requirement(
            "Describe your class, the unit's learning targets, and how students took part in their own "
            "learning before you started. What did you hope goal-setting would change?",
            "About 200-300 words. Include your 'I can' statements or a link to them in your artifact.",
        ),
        artifact_requirement(
            "Upload your tracker template, three sample student trackers showing different paths, and a "
            "summary of your conference notes.",
            "Choose samples that show different outcomes, including a goal that was not met. Remove "
            "student names.",
        ),
        impact_requirement(
            "Enter at least one measure of students' ownership of learning, before and after.",
            "For example: share of students who can name their goal and their evidence when asked "
            "(higher is better), or average response on a confidence survey. Give dates and number "
            "of students.",
        ),
        reflection_requirement(
            "What did you learn about your students from the conferences? Which students benefited "
            "most and least, and why? What will you change?",
            "About 250-400 words. Include at least one student's own words about tracking their goals.",
        ),
    ),
    criteria=(
        CriterionSpec(
            "Clear targets and purpose",
            "Learning targets are clear to students, and the purpose of goal-setting is grounded in the "
            "class.",
            (CONTEXT,),
            (
                "Targets are missing or written for adults only.",
                "Targets are listed but are vague or too many for students to use.",
                "A short list of student-friendly targets is given, with a clear reason for goal-setting in "
                "this class.",
                "Targets are precise, co-constructed or tested with students, and the purpose is tied to "
                "evidence about the class.",
            ),
        ),
        CriterionSpec(
            "Goal-setting and tracking system",
            "Students set specific goals from evidence, track them regularly, and confer with the teacher.",
            (ARTIFACT,),
            (
                "No tracker or conference evidence is shown.",
                "A tracker exists, but goals are vague or tracking and conferences are irregular.",
                "Sample trackers show specific goals set from evidence, regular tracking, and conferences "
                "with every student.",
                "Trackers show students adjusting plans and setting new goals on their own, and conference "
                "notes shape teaching.",
            ),
        ),
        CriterionSpec(
            "Evidence of impact",
            "Before/after data show a change in students' ownership of their learning.",
            (IMPACT,),
            (
                "No data, or data unrelated to ownership of learning.",
                "Data are given but incomplete or unclear.",
                "A relevant measure is reported before and after, with dates and number of students.",
                "Ownership and achievement measures are both reported and read together with care.",
            ),
        ),
        CriterionSpec(
            "Reflection and next steps",
            "The teacher reflects on what the conferences revealed and plans next steps, using students' "
            "words.",
            (REFLECTION,),
            (
                "The reflection is missing or only describes the system.",
                "The reflection is general and does not use students' words or the data.",
                "The reflection uses data and students' words, considers who benefited least, and names "
                "changes.",
                "The reflection shows how conferences changed the teacher's practice and sets a clear plan "
                "to extend student ownership.",
            ),
        ),
    ),
)

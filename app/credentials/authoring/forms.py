"""Forms of the authoring pages. They check shape; the services enforce the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.accounts.forms import MultiCheckboxField
from app.forms import ActionForm  # noqa: F401  (the views use forms.ActionForm)
from app.credentials.models import CoachRule, RequirementKind, StackRule
from app.learning.models import SectionKind
from app.uploads import KIND_LABELS, KINDS

MARKDOWN_HINT = "Markdown: **bold**, *italic*, lists starting with “-”, links like [title](https://example.org)."
SECTION_KINDS = [
    (SectionKind.KEY_METHOD.value, "Key method"), (SectionKind.RESEARCH.value, "Research"),
    (SectionKind.RESOURCES.value, "Resources"), (SectionKind.PRACTICE.value, "Practice"),
    (SectionKind.OTHER.value, "Other"),
]
REQUIREMENT_KINDS = [
    (RequirementKind.TEXT.value, "Written response"), (RequirementKind.FILE.value, "File upload"),
    (RequirementKind.LINK.value, "Link"), (RequirementKind.DATA.value, "Data table (before and after)"),
]
COACH_RULES = [
    (CoachRule.ON_DISAGREEMENT.value, "When peers disagree"), (CoachRule.ALWAYS.value, "Always"),
    (CoachRule.NEVER.value, "Never (a tie among peers brings in one more peer; the majority decides)"),
]
#: Blank level columns the criterion form offers beyond the saved ones (no JavaScript needed).
BLANK_LEVELS = 2
DEFAULT_LEVELS = (("Not yet", 1), ("Developing", 2), ("Proficient", 3), ("Exemplary", 4))


def _optional_int(label: str, *, low: int, high: int, hint: str = "") -> IntegerField:
    return IntegerField(
        label, validators=[Optional(), NumberRange(min=low, max=high, message=f"Enter a whole number from {low} to {high}.")],
        description=hint,
    )


class MoveForm(FlaskForm):
    direction = HiddenField("Direction", validators=[DataRequired()])


class FrameworkForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message="Give the framework a name."), Length(max=200)])
    slug = StringField("Address", validators=[Optional(), Length(max=80)],
                       description="Lower-case words joined by hyphens. Leave empty to make one from the name.")
    description = TextAreaField("Description", validators=[Optional()], description=MARKDOWN_HINT)


class FrameworkImportForm(FlaskForm):
    format = RadioField("File format", choices=[("csv", "CSV (one competency per row)"),
                                                ("case", "CASE package (1EdTech JSON)")], default="csv")
    name = StringField("Framework name", validators=[Optional(), Length(max=200)],
                       description="For CSV files. A CASE package brings its own title.")
    slug = StringField("Address", validators=[Optional(), Length(max=80)],
                       description="Optional: lower-case words joined by hyphens.")
    file = FileField("File", validators=[FileRequired(message="Choose the file to import.")],
                     description="CSV columns: code, name, description, domain, parent_code, external_url, identifier, uri, retired.")


class CompetencyForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(message="Give the competency a code."), Length(max=40)])
    name = StringField("Name", validators=[DataRequired(message="Give the competency a name."), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional()])
    domain = StringField("Domain", validators=[Optional(), Length(max=120)], description="e.g. “Essential practice”.")
    parent_id = SelectField("Parent", coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                            validators=[Optional()], description="Nest it under another competency of this framework.")
    external_url = URLField("External URL", validators=[Optional(), Length(max=500)],
                            description="Where the competency is defined, for alignment (https://...).")


class ModuleForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(message="Give the module a title."), Length(max=200)])
    summary = TextAreaField("Summary", validators=[Optional()])
    estimated_hours = _optional_int("Estimated hours", low=1, high=500, hint="How long the module takes, roughly.")


class SectionForm(FlaskForm):
    kind = SelectField("Kind", choices=SECTION_KINDS, default=SectionKind.KEY_METHOD.value)
    title = StringField("Title", validators=[DataRequired(message="Give the section a title."), Length(max=200)])
    body_md = TextAreaField("Text", validators=[Optional(), Length(max=50_000)],
                            description=MARKDOWN_HINT + " Resources are links: one per line in a list.",
                            render_kw={"rows": 14, "data-markdown-preview": "section-preview"})


class NewCredentialForm(FlaskForm):
    kind = RadioField("Kind", choices=[("micro", "Microcredential (evidence, rubric, review)"),
                                       ("stack", "Stack (earned through other microcredentials)")], default="micro")
    name = StringField("Name", validators=[DataRequired(message="Give the credential a name."), Length(max=200)])
    slug = StringField("Address", validators=[Optional(), Length(max=120)],
                       description="Lower-case words joined by hyphens; it appears in links and cannot change later.")


class CredentialForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message="Give the credential a name."), Length(max=200)])
    summary = StringField("Summary", validators=[Optional(), Length(max=500)], description="One line for the catalog.")
    description = TextAreaField("Description", validators=[Optional()], description=MARKDOWN_HINT,
                                render_kw={"rows": 6, "data-markdown-preview": "description-preview"})
    criteria_md = TextAreaField("Criteria narrative", validators=[Optional()],
                                description="What earning it shows (the Open Badges criteria). " + MARKDOWN_HINT,
                                render_kw={"rows": 6, "data-markdown-preview": "criteria-preview"})
    tags = StringField("Tags", validators=[Optional(), Length(max=600)], description="Separated by commas.")
    estimated_hours = _optional_int("Estimated hours", low=1, high=500)
    validity_months = _optional_int("Validity in months", low=1, high=240, hint="Leave empty if it does not expire.")
    module_id = SelectField("Module", coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                            validators=[Optional()])
    competency_ids = MultiCheckboxField("Competencies", coerce=int)


class RequirementForm(FlaskForm):
    kind = SelectField("Kind", choices=REQUIREMENT_KINDS, default=RequirementKind.TEXT.value)
    title = StringField("Title", validators=[DataRequired(message="Give the part a title."), Length(max=200)])
    prompt = TextAreaField("Prompt", validators=[DataRequired(message="Say what the teacher should submit.")],
                           render_kw={"rows": 4})
    guidance = TextAreaField("Guidance", validators=[Optional()], description="Tips that help a teacher do it well.",
                             render_kw={"rows": 4})
    required = BooleanField("Required", default=True)
    accepted_types = MultiCheckboxField("Accepted file types", choices=[(k, KIND_LABELS[k]) for k in KINDS],
                                        description="For file uploads.")
    max_files = IntegerField("How many files or links", default=1,
                             validators=[InputRequired(message="Enter a number."), NumberRange(min=1, max=20)])


class LevelForm(Form):
    label = StringField("Label", validators=[Optional(), Length(max=80)])
    points = IntegerField("Points", validators=[Optional(), NumberRange(min=0, max=1000)])
    descriptor = TextAreaField("Descriptor", validators=[Optional()], render_kw={"rows": 4})


class CriterionForm(FlaskForm):
    name = StringField("Criterion", validators=[DataRequired(message="Give the criterion a name."), Length(max=200)])
    description = TextAreaField("What it looks for", validators=[Optional()], render_kw={"rows": 3})
    requirement_ids = MultiCheckboxField("Judges these parts", coerce=int)
    levels = FieldList(FormField(LevelForm), min_entries=0)
    pass_level = RadioField("Pass level", validators=[Optional()], choices=[],
                            description="The lowest level that passes this criterion.")


class PolicyForm(FlaskForm):
    peer_reviews = IntegerField("Peer reviews per submission", default=2,
                                validators=[InputRequired(message="Enter 0 to 3."), NumberRange(min=0, max=3)])
    coach_rule = SelectField("A coach reviews", choices=COACH_RULES, default=CoachRule.ON_DISAGREEMENT.value)
    review_days = IntegerField("Days to review", default=7, validators=[InputRequired(), NumberRange(min=1, max=90)])
    max_attempts = IntegerField("Maximum attempts", default=3, validators=[InputRequired(), NumberRange(min=1, max=10)],
                                description="After these, a coach works with the teacher.")
    exclude_same_school = BooleanField("Never assign a reviewer from the teacher's own school", default=True)
    allow_cross_organization = BooleanField("Reviewers may come from other organizations")
    calibration_exact_share = IntegerField(
        "Calibration agreement threshold (%)", default=75, validators=[InputRequired(), NumberRange(min=0, max=100)],
        description="Share of criteria a peer must score at exactly the reference level to qualify.",
    )
    calibration_max_gap = IntegerField("Largest gap allowed (levels)", default=1,
                                       validators=[InputRequired(), NumberRange(min=0, max=8)])
    calibration_retry_hours = IntegerField("Hours before a calibration retry", default=24,
                                           validators=[InputRequired(), NumberRange(min=1, max=720)])


class StackForm(FlaskForm):
    rule = RadioField("Rule", choices=[(StackRule.ALL.value, "All of them"), (StackRule.N_OF.value, "N of them")],
                      default=StackRule.ALL.value)
    required_count = _optional_int("How many are needed", low=1, high=50, hint="For “N of them”.")
    component_ids = MultiCheckboxField("Microcredentials", coerce=int,
                                       description="Published microcredentials of your organization, and those you adopted.")


class CredentialImportForm(FlaskForm):
    file = FileField("Credential file (.json)", validators=[FileRequired(message="Choose the file to import.")])
    slug = StringField("Address", validators=[Optional(), Length(max=120)],
                       description="Optional: use another address if the file's is taken here.")


class CopyForm(FlaskForm):
    name = StringField("Name of your copy", validators=[Optional(), Length(max=200)],
                       description="Leave empty to keep the same name.")


def exemplar_form_class(criteria) -> type[FlaskForm]:
    """An exemplar form with a reference level and a rationale per criterion."""

    class ExemplarForm(FlaskForm):
        title = StringField("Title", validators=[DataRequired(message="Give the exemplar a title."), Length(max=200)])
        body_md = TextAreaField("Sample submission", validators=[DataRequired(message="Write or paste the sample.")],
                                description=MARKDOWN_HINT, render_kw={"rows": 10})

    for criterion in criteria:
        setattr(ExemplarForm, f"level_{criterion.id}", SelectField(
            f"Reference level: {criterion.name}", coerce=lambda v: int(v) if v not in (None, "", "None") else None,
            choices=[("", "Choose a level")] + [(lv.id, lv.label) for lv in criterion.levels],
            validators=[DataRequired(message="Choose the level this sample shows.")],
        ))
        setattr(ExemplarForm, f"rationale_{criterion.id}", TextAreaField(
            f"Why: {criterion.name}", validators=[Optional()], render_kw={"rows": 3},
        ))
    return ExemplarForm

"""Reviewer agreement: how far reviewers score alike, and how each leans against final decisions.

Levels are compared by their position in the criterion (0 = lowest), so the
figures are ordinal. Pure functions do the arithmetic (tested against values
worked out by hand); the loaders gather a credential's reviews in a fixed
number of queries.

* exact / adjacent agreement: over every pair of reviews of the same attempt,
  the share at the same level / at most one level apart;
* Krippendorff's alpha with the ordinal metric, over every attempt with two or
  more reviews (any number of reviewers per attempt);
* quadratic-weighted kappa, over attempts with exactly two reviews (the first
  and the second to be submitted);
* leniency: per reviewer, the mean of (her level - the decision's level); above
  zero she scores more generously than the final decisions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.credentials.models import Credential, Criterion, Level
from app.evidence.models import Submission
from app.extensions import db
from app.reviewers.models import Assignment, AssignmentStatus, Decision, Review

Unit = Sequence[int]


def pair_agreement(units: Sequence[Unit]) -> tuple[float | None, float | None, int]:
    """(exact share, adjacent share, number of pairs) over all pairs within each unit."""
    exact = adjacent = pairs = 0
    for unit in units:
        for a, b in combinations(unit, 2):
            pairs += 1
            exact += a == b
            adjacent += abs(a - b) <= 1
    if not pairs:
        return None, None, 0
    return exact / pairs, adjacent / pairs, pairs


def krippendorff_alpha_ordinal(units: Sequence[Unit], categories: int | None = None) -> float | None:
    """Krippendorff's alpha, ordinal metric, for values 0..categories-1 (units with fewer
    than two values are not pairable and are left out). None when it is undefined
    (no pairable values, or every value the same)."""
    pairable = [list(u) for u in units if len(u) >= 2]
    if not pairable:
        return None
    top = max(max(u) for u in pairable)
    k = max(categories or 0, top + 1)
    coincidence = [[0.0] * k for _ in range(k)]
    for unit in pairable:
        m = len(unit)
        for i, a in enumerate(unit):
            for j, b in enumerate(unit):
                if i != j:
                    coincidence[a][b] += 1 / (m - 1)
    totals = [sum(row) for row in coincidence]
    n = sum(totals)

    def delta(c: int, kk: int) -> float:
        lo, hi = min(c, kk), max(c, kk)
        return (sum(totals[lo:hi + 1]) - (totals[c] + totals[kk]) / 2) ** 2

    observed = sum(coincidence[c][kk] * delta(c, kk) for c in range(k) for kk in range(k))
    expected = sum(totals[c] * totals[kk] * delta(c, kk) for c in range(k) for kk in range(k))
    if expected == 0:
        return None
    return 1 - (n - 1) * observed / expected


def quadratic_weighted_kappa(pairs: Sequence[tuple[int, int]], categories: int) -> float | None:
    """Cohen's kappa with quadratic weights for two ratings per unit, values 0..categories-1.
    None when undefined (no pairs, or no expected disagreement)."""
    if not pairs or categories < 2:
        return None
    k = categories
    observed = [[0.0] * k for _ in range(k)]
    for a, b in pairs:
        observed[a][b] += 1
    n = len(pairs)
    rows = [sum(observed[i]) for i in range(k)]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    weight = [[(i - j) ** 2 / (k - 1) ** 2 for j in range(k)] for i in range(k)]
    num = sum(weight[i][j] * observed[i][j] for i in range(k) for j in range(k))
    den = sum(weight[i][j] * rows[i] * cols[j] / n for i in range(k) for j in range(k))
    if den == 0:
        return None
    return 1 - num / den


@dataclass(frozen=True)
class CriterionAgreement:
    criterion: Criterion
    attempts: int
    exact: float | None
    adjacent: float | None
    alpha: float | None
    kappa: float | None


@dataclass(frozen=True)
class ReviewerLeaning:
    reviewer: User
    scores: int
    leniency: float
    exact: float
    outcome_agreement: float


@dataclass(frozen=True)
class CredentialAgreement:
    credential: Credential
    criteria: list[CriterionAgreement]
    reviewers: list[ReviewerLeaning]


def _reviews_of(credential: Credential) -> list[Review]:
    same = select(Credential.id).where(Credential.slug == credential.slug)
    return list(db.session.scalars(
        select(Review).join(Review.assignment).join(Assignment.submission)
        .where(Submission.credential_id.in_(same), Review.submitted_at.is_not(None),
               Assignment.status == AssignmentStatus.COMPLETED)
        .options(selectinload(Review.scores), selectinload(Review.assignment).selectinload(Assignment.reviewer))
        .order_by(Review.submitted_at, Review.id)
    ))


def credential_agreement(credential: Credential) -> CredentialAgreement:
    """Agreement per criterion and each reviewer's leaning, for every version of ``credential``."""
    reviews = _reviews_of(credential)
    criteria = list(credential.rubric.criteria) if credential.rubric else []
    position = {lv.id: lv.position for c in criteria for lv in c.levels}
    by_name = {c.name: c for c in criteria}
    # Older versions have their own criterion rows: match them to this rubric's by name.
    criterion_names = dict(db.session.execute(
        select(Criterion.id, Criterion.name).where(
            Criterion.id.in_({s.criterion_id for r in reviews for s in r.scores} or {-1})
        )
    ).all())
    positions_all = dict(db.session.execute(
        select(Level.id, Level.position).where(Level.id.in_({s.level_id for r in reviews for s in r.scores} or {-1}))
    ).all())
    position.update(positions_all)
    units: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for review in reviews:
        for score in review.scores:
            name = criterion_names.get(score.criterion_id)
            if name in by_name:
                units[name][review.assignment.submission_id].append(position[score.level_id])
    rows = []
    for criterion in criteria:
        values = list(units[criterion.name].values())
        exact, adjacent, _ = pair_agreement(values)
        pairs = [(u[0], u[1]) for u in values if len(u) == 2]
        rows.append(CriterionAgreement(
            criterion=criterion, attempts=sum(1 for u in values if len(u) >= 2), exact=exact, adjacent=adjacent,
            alpha=krippendorff_alpha_ordinal(values, len(criterion.levels)),
            kappa=quadratic_weighted_kappa(pairs, len(criterion.levels)),
        ))
    return CredentialAgreement(credential=credential, criteria=rows,
                               reviewers=_leanings(reviews, position, criterion_names))


def _decisions_for(submission_ids: set[int]) -> dict[int, Decision]:
    if not submission_ids:
        return {}
    return {d.submission_id: d for d in db.session.scalars(select(Decision).where(Decision.submission_id.in_(submission_ids)))}


def _leanings(reviews: Sequence[Review], position: dict[int, int], names: dict[int, str]) -> list[ReviewerLeaning]:
    decisions = _decisions_for({r.assignment.submission_id for r in reviews})
    stats: dict[int, dict] = {}
    for review in reviews:
        decision = decisions.get(review.assignment.submission_id)
        if decision is None:
            continue
        entry = stats.setdefault(review.assignment.reviewer_id, {
            "reviewer": review.assignment.reviewer, "diffs": [], "exact": 0, "outcomes": 0, "reviews": 0,
        })
        entry["reviews"] += 1
        entry["outcomes"] += (review.recommendation is not None
                              and review.recommendation.value == ("pass" if decision.outcome.value == "passed" else "not_yet"))
        for score in review.scores:
            decided = decision.levels.get(str(score.criterion_id))
            if decided is None or decided not in position or score.level_id not in position:
                continue
            diff = position[score.level_id] - position[decided]
            entry["diffs"].append(diff)
            entry["exact"] += diff == 0
    out = []
    for entry in stats.values():
        diffs = entry["diffs"]
        if not diffs:
            continue
        out.append(ReviewerLeaning(
            reviewer=entry["reviewer"], scores=len(diffs), leniency=sum(diffs) / len(diffs),
            exact=entry["exact"] / len(diffs), outcome_agreement=entry["outcomes"] / entry["reviews"],
        ))
    return sorted(out, key=lambda r: -abs(r.leniency))


def reviewer_exact_agreement(reviewer: User, credential: Credential, *, window: int) -> tuple[float, int]:
    """(share of criteria at the decision's level, decided reviews counted) over her latest
    ``window`` decided reviews of ``credential``."""
    same = select(Credential.id).where(Credential.slug == credential.slug)
    rows = list(db.session.execute(
        select(Review, Decision).join(Review.assignment).join(Decision, Decision.submission_id == Assignment.submission_id)
        .join(Submission, Submission.id == Assignment.submission_id)
        .where(Assignment.reviewer_id == reviewer.id, Submission.credential_id.in_(same),
               Review.submitted_at.is_not(None))
        .options(selectinload(Review.scores))
        .order_by(Decision.decided_at.desc()).limit(window)
    ).all())
    level_ids = {s.level_id for r, _ in rows for s in r.scores} | {v for _, d in rows for v in d.levels.values()}
    position = dict(db.session.execute(select(Level.id, Level.position).where(Level.id.in_(level_ids or {-1}))).all())
    exact = total = 0
    for review, decision in rows:
        for score in review.scores:
            decided = decision.levels.get(str(score.criterion_id))
            if decided is None:
                continue
            total += 1
            exact += position.get(score.level_id) == position.get(decided)
    return (exact / total if total else 1.0), len(rows)


__all__ = [
    "CredentialAgreement", "CriterionAgreement", "ReviewerLeaning", "credential_agreement",
    "krippendorff_alpha_ordinal", "pair_agreement", "quadratic_weighted_kappa", "reviewer_exact_agreement",
]

"""bench/authoring: the cost of the credential document paths, by rubric size.

Builds credentials with 4 and 16 criteria (4 levels each, one requirement per
criterion, an exemplar) on a throwaway SQLite database, then times in one run:
rendering the editor page (GET /author/credentials/<id>, test client), exporting the
JSON document, importing it as a new credential, and starting the next version (a deep
copy through the same document). Prints medians of ``--runs`` runs as a Markdown table,
with the ratio of the 16-criterion case to the 4-criterion case.

    .venv/bin/python bench/authoring.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.accounts.models import Role  # noqa: E402
from app.credentials.authoring import services as svc  # noqa: E402
from app.db import Base  # noqa: E402
from app.extensions import db  # noqa: E402
from config import TestingConfig  # noqa: E402
from tests import factories  # noqa: E402
from tests.support.login_client import LoginClient  # noqa: E402


def build(designer, criteria: int):
    credential = svc.create_credential(author=designer, kind=svc.CredentialKind.MICRO, name=f"Bench {criteria}")
    svc.update_credential(author=designer, credential=credential, data=svc.CredentialData(
        name=f"Bench {criteria}", criteria_md="Shows it."))
    for i in range(criteria):
        requirement = svc.add_requirement(author=designer, credential=credential, data=svc.RequirementData(
            kind=svc.RequirementKind.TEXT, title=f"Part {i}", prompt="Write."))
        svc.save_criterion(author=designer, credential=credential, data=svc.CriterionData(
            name=f"Criterion {i}", requirement_ids=[requirement.id], levels=[
                svc.LevelData(label, p, f"{label} descriptor", label == "Proficient")
                for p, label in enumerate(["Not yet", "Developing", "Proficient", "Exemplary"])]))
    svc.save_exemplar(author=designer, credential=credential, data=svc.ExemplarData(
        title="Sample", body_md="Text.", levels={c.id: (c.levels[2].id, "why") for c in credential.rubric.criteria}))
    db.session.commit()
    return credential


def median_ms(fn, runs: int) -> float:
    fn()  # warm up: templates compiled, statements cached
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = type("Bench", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite"})
        app = create_app(config)
        app.test_client_class = LoginClient
        with app.app_context():
            Base.metadata.create_all(db.engine)
            org = factories.organization()
            designer = factories.user(roles={Role.DESIGNER}, organization=org)
            client = app.test_client(user=designer)
            rows = {}
            for size in (4, 16):
                credential = build(designer, size)
                doc = svc.export_document(svc.load_credential(credential.id))
                counter = iter(range(10_000))

                def page():
                    assert client.get(f"/author/credentials/{credential.id}").status_code == 200

                def export():
                    svc.export_document(svc.load_credential(credential.id))

                def import_():
                    svc.create_from_document(author=designer, doc=doc, slug=f"bench-{size}-{next(counter)}")
                    db.session.commit()

                def new_version():
                    svc.publish_credential(author=designer, credential=svc.newest_version(credential.slug))
                    svc.start_new_version(author=designer, credential=credential)
                    db.session.commit()

                rows[size] = {name: median_ms(fn, args.runs) for name, fn in
                              [("editor page", page), ("export", export), ("import", import_),
                               ("new version", new_version)]}
    print("| operation | 4 criteria (ms) | 16 criteria (ms) | ratio 16/4 |")
    print("|---|---:|---:|---:|")
    for name in rows[4]:
        small, large = rows[4][name], rows[16][name]
        print(f"| {name} | {small:.1f} | {large:.1f} | {large / small:.2f} |")


if __name__ == "__main__":
    main()

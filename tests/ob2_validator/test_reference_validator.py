"""The Open Badges 2.0 reference validator, in its own venv, against a live server of the app.

``make test`` creates ``.venv-ob2`` (requirements-ob2.txt); this test fails,
saying so, when it is missing. The validator runs as a subprocess on
``driver.py`` and fetches every node from the live server on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from app.accounts.models import Role
from app.credentials.openbadges import keys, ob2, publishing
from app.credentials.openbadges.services import revoke_award
from app.extensions import db
from tests import factories
from tests.browser.conftest import live_server  # noqa: F401  (fixture)
from tests.credentials.openbadges.conftest import RECIPIENT, issue

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR_PYTHON = ROOT / ".venv-ob2" / "bin" / "python"
DRIVER = Path(__file__).with_name("driver.py")


def validate(cases: list[dict]) -> dict:
    if not VALIDATOR_PYTHON.exists():
        pytest.fail("The Open Badges reference validator venv .venv-ob2 is missing: `make test` creates it "
                    "(or run `make .venv-ob2/.installed`).")
    done = subprocess.run([str(VALIDATOR_PYTHON), str(DRIVER)], input=json.dumps(cases), capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _clean(report: dict) -> bool:
    return report["valid"] and report["errorCount"] == 0 and report["warningCount"] == 0


def test_reference_validator(app, org, live_server, tmp_path):  # noqa: F811
    app.config["BASE_URL"] = live_server
    fw = factories.framework(org)
    fw.competencies[0].external_url = "https://standards.example.org/c1"
    credential = factories.micro_credential(org, competencies=list(fw.competencies), name="Station Rotation")
    teacher = factories.user(roles={Role.TEACHER}, organization=org, email=RECIPIENT)
    admin = factories.user(roles={Role.ADMIN}, organization=org)
    others = [factories.user(roles={Role.TEACHER}, organization=org) for _ in range(2)]

    email = teacher.email  # stored lower-cased: the address the identity hash was made from
    award = issue(teacher, credential)
    revoked = [issue(other, credential) for other in others]
    for item in revoked:
        revoke_award(admin=admin, award=item, reason="Evidence was not the teacher's own work.")
    db.session.commit()

    def baked(a, kind):
        path = tmp_path / f"{a.id}-{kind}"
        path.write_bytes(publishing.read_baked(publishing.document(a, kind)))
        return str(path)

    jws = publishing.document(award, "ob2_jws").body
    head, payload, signature = jws.split(".")
    claims = json.loads(keys.b64url_decode(payload))
    claims["recipient"]["identity"] = "sha256$" + "0" * 64
    tampered = ".".join([head, keys.b64url(json.dumps(claims).encode()), signature])
    hosted_json = json.dumps(ob2.assertion(award))
    revoked_jws = publishing.document(revoked[0], "ob2_jws").body
    db.session.commit()

    cases = [
        {"name": "hosted_url", "kind": "url", "value": ob2.urls.assertion_url(award.uuid), "recipient": email},
        {"name": "hosted_json", "kind": "json", "value": hosted_json, "recipient": email},
        {"name": "signed_jws", "kind": "jws", "value": jws, "recipient": email},
        {"name": "baked_png_hosted", "kind": "file", "value": baked(award, "ob2_hosted_png"), "recipient": email},
        {"name": "baked_png_signed", "kind": "file", "value": baked(award, "ob2_signed_png"), "recipient": email},
        {"name": "baked_svg_hosted", "kind": "file", "value": baked(award, "ob2_hosted_svg"), "recipient": email},
        {"name": "baked_svg_signed", "kind": "file", "value": baked(award, "ob2_signed_svg"), "recipient": email},
        {"name": "tampered_jws", "kind": "jws", "value": tampered, "recipient": email},
        {"name": "revoked_signed", "kind": "jws", "value": revoked_jws, "recipient": others[0].email},
        {"name": "wrong_recipient", "kind": "url", "value": ob2.urls.assertion_url(award.uuid),
         "recipient": "someone.else@example.org"},
    ]
    results = validate(cases)
    summary = {name: (r["valid"], r["errorCount"], r["warningCount"]) for name, r in results.items()}
    for name in ["hosted_url", "hosted_json", "signed_jws", "baked_png_hosted", "baked_png_signed",
                 "baked_svg_hosted", "baked_svg_signed"]:
        assert _clean(results[name]), (name, summary, results[name]["messages"])
    for name in ["tampered_jws", "revoked_signed", "wrong_recipient"]:
        assert not results[name]["valid"], (name, summary)
    revoked_messages = json.dumps(results["revoked_signed"]["messages"])
    assert "revoked" in revoked_messages.lower(), results["revoked_signed"]["messages"]

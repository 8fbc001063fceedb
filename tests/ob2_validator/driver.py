"""Runs the Open Badges 2.0 reference validator (openbadges 1.1.2) on cases read from stdin.

Runs under .venv-ob2/bin/python (its own venv: see requirements-ob2.txt and the
Makefile), never under the app's venv. Input: a JSON list of cases
``{"name", "kind": "url"|"json"|"jws"|"file"|"unbake", "value", "recipient"}`` ("unbake" only
reads the payload out of a baked file with openbadges-bakery, into ``payload``); output:
a JSON object mapping each name to ``{"valid", "errorCount", "warningCount",
"messages"}``. The OB 2.0 context is served from the validator's own copy and
every other request must go to the live test server on 127.0.0.1.
"""

import json
import re
import sys
import types

import responses
from openbadges.verifier import verify
from openbadges.verifier.openbadges_context import OPENBADGES_CONTEXT_V2_DICT
import openbadges.verifier.tasks.crypto as crypto

# The validator hands python-jose a key object that python-jose no longer accepts.
crypto.RSA = types.SimpleNamespace(import_key=lambda pem: pem)


def unbake_file(path):
    """What openbadges-bakery reads out of a baked PNG or SVG (None when nothing is baked in)."""
    from openbadges_bakery import unbake

    with open(path, "rb") as handle:
        payload = unbake(handle)
    return {"valid": payload is not None, "errorCount": 0, "warningCount": 0, "messages": [], "payload": payload}


def run(case):
    value = case["value"]
    if case["kind"] == "unbake":
        return unbake_file(value)
    options = {"use_cache": False, "cache_backend": None}
    recipient = {"email": case["recipient"]} if case.get("recipient") else None
    if case["kind"] == "file":
        with open(value, "rb") as handle:
            result = verify(handle, recipient_profile=recipient, **options)
    else:
        result = verify(value, recipient_profile=recipient, **options)
    report = result["report"]
    return {
        "valid": report["valid"],
        "errorCount": report["errorCount"],
        "warningCount": report["warningCount"],
        "messages": report["messages"],
    }


def main():
    cases = json.load(sys.stdin)
    out = {}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, "https://w3id.org/openbadges/v2", json=OPENBADGES_CONTEXT_V2_DICT)
        mock.add(responses.GET, "https://w3id.org/openbadges/v2/", json=OPENBADGES_CONTEXT_V2_DICT)
        mock.add_passthru(re.compile(r"http://127\.0\.0\.1(:\d+)?/"))
        for case in cases:
            try:
                out[case["name"]] = run(case)
            except Exception as exc:  # report, do not hide: the test prints it
                out[case["name"]] = {"valid": False, "errorCount": -1, "warningCount": -1,
                                     "messages": [{"exception": f"{type(exc).__name__}: {exc}"}]}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

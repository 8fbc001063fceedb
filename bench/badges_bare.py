"""The bare Flask JSON endpoint bench/badges.py compares the hosted assertion with."""

import json
import os

from flask import Flask, jsonify

app = Flask(__name__)
BODY = json.loads(os.environ.get("BENCH_BARE_BODY") or "{}")


@app.get("/json")
def bare_json():
    return jsonify(BODY)

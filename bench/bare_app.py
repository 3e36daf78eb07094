"""A bare Flask app for bench/submissions.py: the floor that Flask and gunicorn alone cost on this machine.

One POST endpoint at the same path as the real API; it parses the same JSON body, checks its shape as cheaply
as possible and answers ``{"ok": true}``. No database, no extensions, no validation beyond the shape.
Served with ``gunicorn --chdir bench bare_app:app``.
"""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/api/v1/campaigns/<slug>/responses")
def responses(slug: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
        return jsonify({"ok": False}), 400
    return jsonify({"ok": True})

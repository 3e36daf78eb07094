"""A bare Flask app for bench/submissions.py: the floor that Flask and gunicorn alone cost on this machine.

One POST endpoint at the same path as the real API; it parses the same JSON body, checks its shape as cheaply
as possible and answers ``{"ok": true}``. No database, no extensions, no validation beyond the shape.
Served with ``gunicorn --chdir bench bare_app:app``. Every other path answers as it is told, for
``journey.py --floor`` (``as_told``).
"""

from flask import Flask, Response, jsonify, request

app = Flask(__name__)


@app.post("/api/v1/campaigns/<slug>/responses")
def responses(slug: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
        return jsonify({"ok": False}), 400
    return jsonify({"ok": True})


@app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@app.route("/<path:path>", methods=["GET", "POST"])
def as_told(path: str):
    """For ``journey.py --floor``, which replays a recorded journey request by request (the same methods, paths,
    bodies and cookies): the form parsed, as every page sent is, and the status and number of bytes the real page
    answered, as the headers ``X-Bench-Status`` and ``X-Bench-Length`` say."""
    request.form  # noqa: B018
    status = int(request.headers.get("X-Bench-Status", "200"))
    response = Response(b"x" * int(request.headers.get("X-Bench-Length", "0")), status,
                        content_type="text/html; charset=utf-8")
    if 300 <= status < 400:
        response.headers["Location"] = "/"
    return response

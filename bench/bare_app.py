"""A Flask app that does nothing but answer as it is told: the floor under ``journey.py``'s figures.

``journey.py --floor`` replays a recorded journey against it, request by request: the same methods, paths, bodies
and cookies, each answered with the status and the number of bytes the real page answered (headers
``X-Bench-Status`` and ``X-Bench-Length``). What gunicorn and Flask cost for that traffic is then measured apart
from what the app does.
"""

from flask import Flask, Response, request

app = Flask(__name__)


@app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@app.route("/<path:path>", methods=["GET", "POST"])
def as_told(path: str):
    request.form  # noqa: B018  (parsed, as every page sent is parsed)
    status = int(request.headers.get("X-Bench-Status", "200"))
    response = Response(b"x" * int(request.headers.get("X-Bench-Length", "0")), status,
                        content_type="text/html; charset=utf-8")
    if 300 <= status < 400:
        response.headers["Location"] = "/"
    return response

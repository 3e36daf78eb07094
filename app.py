"""The WSGI entry point: ``flask --app app run`` or ``gunicorn app:app``."""

from imppulse_survey import create_app

app = create_app()

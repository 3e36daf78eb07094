"""The app behind real servers: gunicorn (with the repository's gunicorn.conf.py), Redis, werkzeug's development server.

The fixtures that start them are in conftest.py.
"""

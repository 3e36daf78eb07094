"""gunicorn's settings for IMPPULSE Survey, read from the working directory: start gunicorn from the repository root.

- It refuses to start several workers that would each count rate limits in their own memory: a guesser would get
  the limit once per worker. Point RATELIMIT_STORAGE_URI at Redis (docs/deploy.md).
- Access and error lines hold no client address, no invitation token and no resume key, and times to the minute
  (imppulse_survey.core.logs says why).
"""

import time

from gunicorn.glogging import Logger

from imppulse_survey.config import load_config
from imppulse_survey.core.logs import SECRETS_FILTER

# the request line with its secrets redacted, the status, the size and the duration: no address, referrer or agent
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'

#: atoms that name the client: blanked, whatever access_log_format an operator chooses
CLIENT_ATOMS = ("h", "{remote_addr}e", "{remote_port}e", "{x-forwarded-for}i", "{x-real-ip}i", "{forwarded}i")


class PrivateLogger(Logger):
    """gunicorn's logger, without client addresses, secrets in paths, or times to the second."""

    datefmt = r"[%Y-%m-%d %H:%M %z]"  # the error log's time

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            log.addFilter(SECRETS_FILTER)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms.update({name: "-" for name in CLIENT_ATOMS if name in atoms})
        return atoms

    def now(self):
        return time.strftime("[%d/%b/%Y:%H:%M %z]")


logger_class = PrivateLogger


def on_starting(server):
    """Check the settings once, in the master, before any worker starts."""
    settings = load_config()  # a wrong variable stops gunicorn here, with a message that names it
    in_memory = settings.RATELIMIT_STORAGE_URI.startswith("memory://")
    if server.cfg.workers > 1 and in_memory and settings.RATELIMIT_ENABLED:
        raise RuntimeError(
            f"{server.cfg.workers} workers would each keep their own rate-limit counters (RATELIMIT_STORAGE_URI is "
            "memory://), so a token guesser would get the limit once per worker. Set RATELIMIT_STORAGE_URI to a "
            "Redis server (redis://host:6379/0, persistence off; see docs/deploy.md), or start one worker (-w 1).")

"""``flask imppulse …``: the operators' commands, each domain's beside its code in ``<domain>/commands.py``.

What they share (one transaction each, errors as one line on stderr and exit status 1) is in ``core/commands.py``.
"""

from __future__ import annotations

from flask.cli import AppGroup

from .accounts import commands as accounts
from .campaigns import commands as campaigns
from .demo import commands as demo
from .exports import commands as exports
from .indicators import commands as indicators
from .questionnaires import commands as questionnaires
from .releases import commands as releases
from .responses import commands as responses
from .weighting import commands as weighting
from .xlsform import commands as xlsform

imppulse_cli = AppGroup("imppulse", help="IMPPULSE Survey administration.")
for domain in (questionnaires, campaigns, releases, responses, accounts, weighting, indicators, exports, xlsform,
               demo):
    for command in domain.cli.commands.values():
        imppulse_cli.add_command(command)

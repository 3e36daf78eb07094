"""The released residents' wave of tests/releases, and staff of every role."""

from ..releases.conftest import residents, staff  # noqa: F401  (fixtures)

"""The workspace's signed-in clients, for the network page."""

from ..workspace.conftest import sign_in  # noqa: F401  (fixture)

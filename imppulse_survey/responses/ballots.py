"""Ballots: what an officer holds instead of an invitation once the invitation is used.

``/i/<token>`` deletes the invitation row and hands the browser a ballot signed with the app's secret, which the
server does not store: nothing in the database ties the invitation to the ballot. The ballot goes with the
answers when they are sent (``services.submit``), and is spent there: its keyed hash enters ``spent_ballots``,
in the transaction that stores the sealed answers. If the reply that carries the ballot is lost, the officer
asks for a new card (docs/anonymity.md).

A kiosk or tablet sends the token itself with the answers (the JSON API); such a ballot is derived from the
token and spends the invitation in the same transaction as the answers, so a refused submission loses nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select

from ..campaigns.facts import CampaignFacts
from ..campaigns.models import Campaign, Invitation
from ..campaigns.services import hash_token
from ..core.database import begin_write
from ..core.keys import keyed_hash
from ..extensions import db

BALLOT_ID_BYTES = 16  # 128 bits
MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True)
class Ballot:
    campaign_id: int
    #: the wave it was given for (None for a token sent when no wave is open: only a repeat can then succeed)
    wave_id: int | None
    #: random, never stored; only its keyed hash is, once spent
    ballot_id: str
    #: the hash of the invitation token to spend with the answers, for a ballot made from a token (the API)
    invitation_hash: str | None = None

    @property
    def spent_hash(self) -> str:
        return keyed_hash("ballot", self.ballot_id)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="imppulse-ballot")


def signed(ballot: Ballot) -> str:
    """The ballot as the browser keeps it (in its session and in an officer's resume link)."""
    return _serializer().dumps([ballot.campaign_id, ballot.wave_id, ballot.ballot_id])


def read_signed(text: str | None) -> Ballot | None:
    if not isinstance(text, str) or len(text) > 300:
        return None
    try:
        campaign_id, wave_id, ballot_id = _serializer().loads(text)
    except (BadSignature, TypeError, ValueError):
        return None
    return Ballot(campaign_id, wave_id, ballot_id)


def from_token(token: str, campaign: CampaignFacts, wave_id: int | None) -> Ballot:
    """A ballot that spends the invitation ``token`` with the answers: a repeat of the same submission with the
    same token finds the same ballot, and so is answered as the first was."""
    return Ballot(campaign.id, wave_id, keyed_hash("token-ballot", token[:MAX_TOKEN_LENGTH]),
                  invitation_hash=hash_token(token[:MAX_TOKEN_LENGTH]))


def exchange_invitation(token: str) -> tuple[Campaign, Ballot] | None:
    """Delete the invitation and give a ballot for its campaign's open wave; None if the token cannot be used.

    Owns its transaction: the invitation is gone once this returns, whatever happens to the reply.
    """
    if not 20 <= len(token) <= MAX_TOKEN_LENGTH:
        return None
    token_hash = hash_token(token)
    campaign = db.session.scalar(
        select(Campaign).join(Invitation, Invitation.campaign_id == Campaign.id)
        .where(Invitation.token_hash == token_hash))
    wave = campaign.current_wave() if campaign else None
    if wave is None or wave.public_key is None:
        db.session.rollback()
        return None
    begin_write()
    deleted = db.session.execute(delete(Invitation).where(Invitation.token_hash == token_hash,
                                                          Invitation.campaign_id == campaign.id))
    if deleted.rowcount != 1:  # another request used it a moment ago
        db.session.rollback()
        return None
    db.session.commit()
    return campaign, Ballot(campaign.id, wave.id, secrets.token_urlsafe(BALLOT_ID_BYTES))

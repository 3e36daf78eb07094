"""Sealing officers' answers to their wave's public key, and encrypting drafts with their resume key.

Officers' answers are encrypted at submission with a libsodium sealed box (an anonymous X25519 + XSalsa20-
Poly1305 box through PyNaCl) to a key pair made when the wave opens. The server keeps only the public key: the
private key is shown once to the manager and is needed to release the wave (``responses.unsealing``). Every
sealed answer of a wave is padded to one length, so that its size says nothing about what was written.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from functools import lru_cache

from nacl.encoding import RawEncoder
from nacl.exceptions import CryptoError
from nacl.hash import blake2b
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox

from ..questionnaires.definition import Definition, item_type

PRIVATE_KEY_PREFIX = "imppulse-wave-key-1:"
LENGTH_BYTES = 4  # the payload's length, before the padding
PAD_TO = 1024  # sealed sizes are whole kilobytes


class WrongKey(ValueError):
    """Text that is not a wave's private key, or not the key of this wave."""


class SealError(ValueError):
    """A sealed answer or a draft that cannot be opened with the key given."""


@dataclass(frozen=True)
class WaveKeyPair:
    #: hex, stored on the wave
    public_key: str
    #: shown once to the manager, never stored
    private_key: str


def new_wave_key_pair() -> WaveKeyPair:
    private = PrivateKey.generate()
    text = PRIVATE_KEY_PREFIX + base64.urlsafe_b64encode(bytes(private)).decode().rstrip("=")
    return WaveKeyPair(bytes(private.public_key).hex(), text)


def read_private_key(text: str, public_key: str | None) -> PrivateKey:
    """The private key written as ``new_wave_key_pair`` prints it; it must match the wave's ``public_key``."""
    text = text.strip()
    if not text.startswith(PRIVATE_KEY_PREFIX) or len(text) > 100:
        raise WrongKey(f"a wave's private key starts with {PRIVATE_KEY_PREFIX}")
    encoded = text.removeprefix(PRIVATE_KEY_PREFIX)
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != PrivateKey.SIZE:
        raise WrongKey("the private key is damaged: check that it was copied whole")
    private = PrivateKey(raw)
    if public_key is None or bytes(private.public_key).hex() != public_key:
        raise WrongKey("this is not the private key of this wave")
    return private


def seal(public_key: str, payload: dict, size: int) -> bytes:
    """``payload`` as JSON, padded to ``size`` bytes, sealed to ``public_key``."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if LENGTH_BYTES + len(body) > size:
        raise ValueError(f"a sealed payload of {len(body)} bytes does not fit in {size}")
    padded = len(body).to_bytes(LENGTH_BYTES, "big") + body + bytes(size - LENGTH_BYTES - len(body))
    return SealedBox(PublicKey(bytes.fromhex(public_key))).encrypt(padded)


def unseal(private_key: PrivateKey, sealed: bytes) -> dict:
    try:
        padded = SealedBox(private_key).decrypt(bytes(sealed))
    except CryptoError:
        raise SealError("a sealed answer does not open with this key") from None
    return _unpadded_json(padded)


@lru_cache(maxsize=64)
def sealed_size(definition: Definition) -> int:
    """The one padded length for every submission of a questionnaire: room for the longest possible answers.

    Published definitions are cached objects (``published_definition``), so identity is a fine cache key.
    """
    envelope = 400  # the payload's own keys, language, channel, district and version
    answers = sum(len(key) + 4 + item_type(item).longest_json(item)
                  for key, item in definition.item_by_answer_key.items())
    needed = LENGTH_BYTES + envelope + answers
    return -(-needed // PAD_TO) * PAD_TO


# Drafts: encrypted with a key derived from the resume key, which only the respondent's link holds.


def draft_lookup(resume_key: str) -> str:
    """What the drafts table keeps to find a draft: a hash of the resume key, unrelated to its encryption key."""
    return _derive(resume_key, b"draft-lookup").hex()


def encrypt_draft(resume_key: str, content: dict) -> bytes:
    return encrypt(resume_key, b"draft-box", content)


def decrypt_draft(resume_key: str, sealed: bytes) -> dict:
    return decrypt(resume_key, b"draft-box", sealed)


def encrypt(secret: str, purpose: bytes, content: dict) -> bytes:
    """``content`` as JSON in a secret box whose key is derived from ``secret`` for this purpose only."""
    return encrypt_bytes(secret, purpose, compact_json(content))


def decrypt(secret: str, purpose: bytes, sealed: bytes) -> dict:
    return json.loads(decrypt_bytes(secret, purpose, sealed).decode("utf-8"))


def encrypt_bytes(secret: str, purpose: bytes, body: bytes) -> bytes:
    return bytes(SecretBox(_derive(secret, purpose)).encrypt(body))


def decrypt_bytes(secret: str, purpose: bytes, sealed: bytes) -> bytes:
    try:
        return SecretBox(_derive(secret, purpose)).decrypt(bytes(sealed))
    except CryptoError:
        raise SealError("the box does not open with this key") from None


def compact_json(content: dict) -> bytes:
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _derive(resume_key: str, purpose: bytes) -> bytes:
    return blake2b(resume_key.encode("utf-8"), digest_size=32, person=purpose[:16], encoder=RawEncoder)


def _unpadded_json(padded: bytes) -> dict:
    length = int.from_bytes(padded[:LENGTH_BYTES], "big")
    if length > len(padded) - LENGTH_BYTES:
        raise SealError("a sealed answer is damaged")
    try:
        payload = json.loads(padded[LENGTH_BYTES:LENGTH_BYTES + length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SealError("a sealed answer is damaged") from None
    if not isinstance(payload, dict):
        raise SealError("a sealed answer is damaged")
    return payload

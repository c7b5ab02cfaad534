"""What people write: signed envelopes, items with their audience, messages and attachments."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from .boxes import SecretPurpose, unwrap_key, wrap_key
from .encoding import Reader, Writer, check_id, check_resource_type, lp
from .errors import refuse, refusing
from .identity import Identity, Person
from .primitives import (
    KEY_BYTES,
    KEY_ID_BYTES,
    NONCE_BYTES,
    SIGNATURE_BYTES,
    TAG_BYTES,
    Rng,
    aead_decrypt,
    aead_encrypt,
    draw,
    hkdf,
    key_id,
    system_rng,
    verify,
)
from .sharing import make_grant

TAG_ENVELOPE = 0x06
TAG_ATTACHMENT_STREAM = 0x0C
TAG_ATTACHMENT_META = 0x0D
CHUNK_BYTES = 65536
_STREAM_HEADER_BYTES = 38
_SALT_BYTES = 16


@dataclass(frozen=True)
class ItemContext:
    """What an item claims to be; the envelope is bound to exactly this."""

    resource_type: str
    resource_id: str
    item_id: str
    revision: int
    author: Person

    @refusing
    def associated_data(self, content_key_id: bytes) -> bytes:
        return (
            Writer(TAG_ENVELOPE)
            .str16(check_resource_type(self.resource_type))
            .str16(check_id(self.resource_id))
            .str16(check_id(self.item_id))
            .u64(self.revision)
            .raw(content_key_id, KEY_ID_BYTES)
            .str16(check_id(self.author.user_id))
            .raw(self.author.ed25519_public, 32)
            .getvalue()
        )


def _signature_input(ad: bytes, unsigned: bytes) -> bytes:
    return lp(ad) + unsigned


@refusing
def seal_envelope(
    author: Identity,
    content_key: bytes,
    *,
    resource_type: str,
    resource_id: str,
    item_id: str,
    revision: int,
    plaintext: bytes,
    rng: Rng = system_rng,
) -> bytes:
    context = ItemContext(resource_type, resource_id, item_id, revision, author.person)
    content_key_id = key_id(content_key)
    ad = context.associated_data(content_key_id)
    nonce = draw(rng, NONCE_BYTES)
    ciphertext = aead_encrypt(content_key, nonce, bytes(plaintext), ad)
    unsigned = Writer(TAG_ENVELOPE).raw(content_key_id).raw(nonce).bytes32(ciphertext).getvalue()
    signature = author.sign("eportfolio/v1/sig/envelope", _signature_input(ad, unsigned))
    return unsigned + signature


def _parse_envelope(data: bytes) -> tuple[bytes, bytes, bytes, bytes, bytes]:
    reader = Reader(data, TAG_ENVELOPE)
    content_key_id = reader.raw(KEY_ID_BYTES)
    nonce = reader.raw(NONCE_BYTES)
    ciphertext = reader.bytes32()
    unsigned = reader.consumed()
    signature = reader.raw(SIGNATURE_BYTES)
    reader.end()
    if len(ciphertext) < TAG_BYTES:
        raise refuse()
    return content_key_id, nonce, ciphertext, unsigned, signature


@refusing
def envelope_key_id(data: bytes) -> bytes:
    """Which key an envelope needs (to look it up before opening)."""
    return _parse_envelope(data)[0]


@refusing
def open_envelope(data: bytes, content_key: bytes, context: ItemContext) -> bytes:
    """Check the author's signature over what the item claims to be, then decrypt."""
    content_key_id, nonce, ciphertext, unsigned, signature = _parse_envelope(data)
    if key_id(content_key) != content_key_id:
        raise refuse()
    ad = context.associated_data(content_key_id)
    verify(
        context.author.ed25519_public,
        "eportfolio/v1/sig/envelope",
        _signature_input(ad, unsigned),
        signature,
    )
    return aead_decrypt(content_key, nonce, ciphertext, ad)


# -- items and their audience ------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """Who may read an item: only her, her coaches (the portfolio epoch key), or chosen people."""

    portfolio_key: bytes | None = None
    people: tuple[Person, ...] = ()
    grant_resource_type: str = "portfolio-item"

    @classmethod
    def only_me(cls) -> Audience:
        return cls()

    @classmethod
    def coaches(cls, portfolio_key: bytes) -> Audience:
        return cls(portfolio_key=portfolio_key)

    @classmethod
    @refusing
    def chosen(cls, people: Sequence[Person]) -> Audience:
        if not all(isinstance(person, Person) for person in people):
            raise refuse()
        return cls(people=tuple(people))


@dataclass(frozen=True)
class SealedItem:
    envelope: bytes
    item_key: bytes
    wraps: tuple[bytes, ...] = ()
    grants: tuple[bytes, ...] = field(default=())

    @property
    @refusing
    def item_key_id(self) -> bytes:
        return key_id(self.item_key)


@refusing
def encrypt_item(
    author: Identity,
    audience: Audience,
    *,
    resource_type: str,
    resource_id: str,
    item_id: str,
    revision: int,
    plaintext: bytes,
    item_key: bytes | None = None,
    rng: Rng = system_rng,
) -> SealedItem:
    """A new item (or a new revision with the same `item_key`), wrapped for its audience."""
    item_key = item_key if item_key is not None else draw(rng, KEY_BYTES)
    envelope = seal_envelope(
        author,
        item_key,
        resource_type=resource_type,
        resource_id=resource_id,
        item_id=item_id,
        revision=revision,
        plaintext=plaintext,
        rng=rng,
    )
    item_key_id = key_id(item_key)
    audience_key = audience.portfolio_key if audience.portfolio_key else author.user_key
    wrap = wrap_key(audience_key, SecretPurpose.ITEM_KEY, item_key, item_key_id, rng=rng)
    grants = tuple(
        make_grant(
            author,
            resource_type=audience.grant_resource_type,
            resource_id=item_id,
            epoch=0,
            key=item_key,
            recipient=person,
            rng=rng,
        )
        for person in audience.people
    )
    return SealedItem(envelope, item_key, (wrap,), grants)


@refusing
def unwrap_item_key(wrap: bytes, audience_key: bytes, item_key_id: bytes) -> bytes:
    """The item key from its wrap under the user key or a portfolio epoch key."""
    return unwrap_key(wrap, audience_key, SecretPurpose.ITEM_KEY, item_key_id, item_key_id)


# -- chat messages ---------------------------------------------------------------------


@refusing
def encrypt_message(
    author: Identity,
    conversation_key: bytes,
    *,
    conversation_id: str,
    message_id: str,
    plaintext: bytes,
    rng: Rng = system_rng,
) -> bytes:
    return seal_envelope(
        author,
        conversation_key,
        resource_type="conversation",
        resource_id=conversation_id,
        item_id=message_id,
        revision=0,
        plaintext=plaintext,
        rng=rng,
    )


@refusing
def decrypt_message(
    envelope: bytes,
    conversation_key: bytes,
    *,
    conversation_id: str,
    message_id: str,
    author: Person,
) -> bytes:
    context = ItemContext("conversation", conversation_id, message_id, 0, author)
    return open_envelope(envelope, conversation_key, context)


# -- attachments -----------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentMeta:
    file_name: str
    media_type: str
    size: int
    stream_salt: bytes

    @refusing
    def to_bytes(self) -> bytes:
        return (
            Writer(TAG_ATTACHMENT_META)
            .str16(self.file_name)
            .str16(self.media_type)
            .u64(self.size)
            .raw(self.stream_salt, _SALT_BYTES)
            .getvalue()
        )

    @classmethod
    @refusing
    def from_bytes(cls, data: bytes) -> AttachmentMeta:
        reader = Reader(data, TAG_ATTACHMENT_META)
        meta = cls(reader.str16(), reader.str16(), reader.u64(), reader.raw(_SALT_BYTES))
        reader.end()
        return meta


def _chunk_key(item_key: bytes, salt: bytes) -> bytes:
    return hkdf(item_key, "eportfolio/v1/attachment-stream", KEY_BYTES, salt)


def _chunk_nonce(index: int) -> bytes:
    return bytes(4) + Writer().u64(index).getvalue()


def _chunk_ad(header: bytes, index: int, last: bool) -> bytes:
    return header + Writer().u64(index).u8(1 if last else 0).getvalue()


class AttachmentEncryptor:
    """Encrypts a stream chunk by chunk: feed 64 KiB pieces, mark the last one."""

    @refusing
    def __init__(self, item_key: bytes, *, rng: Rng = system_rng) -> None:
        self.stream_salt = draw(rng, _SALT_BYTES)
        self.header = (
            Writer(TAG_ATTACHMENT_STREAM).raw(key_id(item_key)).raw(self.stream_salt).u32(CHUNK_BYTES).getvalue()
        )
        self._key = _chunk_key(item_key, self.stream_salt)
        self._index = 0
        self._finished = False

    @refusing
    def encrypt_chunk(self, plaintext: bytes, *, last: bool) -> bytes:
        full = len(plaintext) == CHUNK_BYTES
        if self._finished or len(plaintext) > CHUNK_BYTES or (not last and not full):
            raise refuse()
        ad = _chunk_ad(self.header, self._index, last)
        ciphertext = aead_encrypt(self._key, _chunk_nonce(self._index), plaintext, ad)
        self._index += 1
        self._finished = last
        return ciphertext


@refusing
def encrypt_attachment(item_key: bytes, chunks: Iterable[bytes], *, rng: Rng = system_rng) -> tuple[bytes, list[bytes]]:
    """(stream salt, [header, chunk 0, chunk 1, ...]); concatenated they are the stream."""
    encryptor = AttachmentEncryptor(item_key, rng=rng)
    out = [encryptor.header]
    pending = b""
    for piece in chunks:
        pending += bytes(piece)
        while len(pending) > CHUNK_BYTES:
            out.append(encryptor.encrypt_chunk(pending[:CHUNK_BYTES], last=False))
            pending = pending[CHUNK_BYTES:]
    out.append(encryptor.encrypt_chunk(pending, last=True))
    return encryptor.stream_salt, out


class AttachmentDecryptor:
    """Opens a stream; each chunk must be declared last exactly when nothing follows it."""

    @refusing
    def __init__(self, item_key: bytes, header: bytes, stream_salt: bytes) -> None:
        reader = Reader(header, TAG_ATTACHMENT_STREAM)
        header_key_id, salt, chunk_bytes = reader.raw(KEY_ID_BYTES), reader.raw(16), reader.u32()
        reader.end()
        if header_key_id != key_id(item_key) or salt != stream_salt or chunk_bytes != CHUNK_BYTES:
            raise refuse()
        self.header = bytes(header)
        self._key = _chunk_key(item_key, salt)
        self._index = 0
        self._finished = False

    @refusing
    def decrypt_chunk(self, ciphertext: bytes, *, last: bool) -> bytes:
        if self._finished or len(ciphertext) > CHUNK_BYTES + TAG_BYTES:
            raise refuse()
        ad = _chunk_ad(self.header, self._index, last)
        plaintext = aead_decrypt(self._key, _chunk_nonce(self._index), ciphertext, ad)
        if not last and len(plaintext) != CHUNK_BYTES:
            raise refuse()
        self._index += 1
        self._finished = last
        return plaintext


@refusing
def decrypt_attachment(item_key: bytes, stream: Iterable[bytes], meta: AttachmentMeta) -> Iterator[bytes]:
    """Yield plaintext chunks; refuses (while iterating) a stream that is not exactly right."""
    return _decrypt_stream(item_key, stream, meta)


def _decrypt_stream(item_key: bytes, stream: Iterable[bytes], meta: AttachmentMeta) -> Iterator[bytes]:
    piece_bytes = CHUNK_BYTES + TAG_BYTES
    pending = b""
    decryptor: AttachmentDecryptor | None = None
    size = 0
    try:
        for piece in stream:
            pending += bytes(piece)
            if decryptor is None and len(pending) >= _STREAM_HEADER_BYTES:
                header = pending[:_STREAM_HEADER_BYTES]
                decryptor = AttachmentDecryptor(item_key, header, meta.stream_salt)
                pending = pending[_STREAM_HEADER_BYTES:]
            while decryptor is not None and len(pending) > piece_bytes:
                chunk = decryptor.decrypt_chunk(pending[:piece_bytes], last=False)
                size += len(chunk)
                pending = pending[piece_bytes:]
                yield chunk
        if decryptor is None:
            raise refuse()
        chunk = decryptor.decrypt_chunk(pending, last=True)
        size += len(chunk)
        if size != meta.size:
            raise refuse()
        yield chunk
    except Exception:
        raise refuse() from None

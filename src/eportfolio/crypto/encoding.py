"""Byte-level building blocks of the wire format: integers, length-prefixed fields, base64url."""

from __future__ import annotations

import base64
import binascii
import re

from .errors import refuse, refusing

VERSION = 0x01
MAX_ID_BYTES = 255
_B64U = re.compile(r"[A-Za-z0-9_-]*")
_RESOURCE_TYPE = re.compile(r"[a-z0-9._-]{1,64}")


@refusing
def b64u_encode(data: bytes) -> str:
    """Base64url without padding, as structures travel in JSON."""
    return base64.urlsafe_b64encode(bytes(data)).rstrip(b"=").decode("ascii")


@refusing
def b64u_decode(text: str) -> bytes:
    """Strict inverse of b64u_encode: no padding, no whitespace, canonical trailing bits."""
    if not isinstance(text, str) or not _B64U.fullmatch(text) or len(text) % 4 == 1:
        raise refuse()
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise refuse() from None
    if b64u_encode(data) != text:
        raise refuse()
    return data


def lp(data: bytes) -> bytes:
    """u32 length prefix, used inside hash and KDF inputs."""
    return len(data).to_bytes(4, "big") + data


def check_id(value: str) -> str:
    """An application identifier: 1 to 255 bytes of UTF-8."""
    if not isinstance(value, str):
        raise refuse()
    size = len(value.encode("utf-8"))
    if not 1 <= size <= MAX_ID_BYTES:
        raise refuse()
    return value


def check_resource_type(value: str) -> str:
    if not isinstance(value, str) or not _RESOURCE_TYPE.fullmatch(value):
        raise refuse()
    return value


class Writer:
    """Appends fields in wire order."""

    def __init__(self, tag: int | None = None) -> None:
        self._parts: list[bytes] = []
        if tag is not None:
            self.u8(VERSION).u8(tag)

    def raw(self, data: bytes, size: int | None = None) -> Writer:
        if not isinstance(data, bytes | bytearray) or (size is not None and len(data) != size):
            raise refuse()
        self._parts.append(bytes(data))
        return self

    def u8(self, value: int) -> Writer:
        return self._int(value, 1)

    def u16(self, value: int) -> Writer:
        return self._int(value, 2)

    def u32(self, value: int) -> Writer:
        return self._int(value, 4)

    def u64(self, value: int) -> Writer:
        if value > 2**53 - 1:
            raise refuse()
        return self._int(value, 8)

    def str16(self, value: str) -> Writer:
        if not isinstance(value, str):
            raise refuse()
        return self.bytes16(value.encode("utf-8"))

    def bytes16(self, data: bytes) -> Writer:
        return self.u16(len(data)).raw(data)

    def bytes32(self, data: bytes) -> Writer:
        return self.u32(len(data)).raw(data)

    def _int(self, value: int, size: int) -> Writer:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 256**size:
            raise refuse()
        self._parts.append(value.to_bytes(size, "big"))
        return self

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


class Reader:
    """Reads fields in wire order; any shortfall, excess or malformed field is refused."""

    def __init__(self, data: bytes, tag: int | None = None) -> None:
        if not isinstance(data, bytes | bytearray):
            raise refuse()
        self._data = bytes(data)
        self._offset = 0
        if tag is not None and (self.u8() != VERSION or self.u8() != tag):
            raise refuse()

    @property
    def offset(self) -> int:
        return self._offset

    def consumed(self) -> bytes:
        """Everything read so far (what a signature or AD covers)."""
        return self._data[: self._offset]

    def raw(self, size: int) -> bytes:
        end = self._offset + size
        if size < 0 or end > len(self._data):
            raise refuse()
        chunk = self._data[self._offset : end]
        self._offset = end
        return chunk

    def rest(self) -> bytes:
        return self.raw(len(self._data) - self._offset)

    def u8(self) -> int:
        return self.raw(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.raw(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self.raw(4), "big")

    def u64(self) -> int:
        value = int.from_bytes(self.raw(8), "big")
        if value > 2**53 - 1:
            raise refuse()
        return value

    def bytes16(self) -> bytes:
        return self.raw(self.u16())

    def bytes32(self) -> bytes:
        return self.raw(self.u32())

    def str16(self) -> str:
        try:
            return self.bytes16().decode("utf-8")
        except UnicodeDecodeError:
            raise refuse() from None

    def id16(self) -> str:
        return check_id(self.str16())

    def resource_type(self) -> str:
        return check_resource_type(self.str16())

    def end(self) -> None:
        if self._offset != len(self._data):
            raise refuse()


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def crockford_encode(number: int, chars: int) -> str:
    """`number` as exactly `chars` Crockford base32 characters, most significant first."""
    return "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in range(chars - 1, -1, -1))


def crockford_decode(text: str) -> int:
    number = 0
    for char in text:
        index = CROCKFORD.find(char)
        if index < 0:
            raise refuse()
        number = number << 5 | index
    return number

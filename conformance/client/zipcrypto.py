"""PKWARE traditional encryption ("ZipCrypto"), deterministic.

Python's ``zipfile`` reads ZipCrypto archives but cannot write them, and the
conformance suite needs real password-protected archives (Z2, Q16: what
``zip -P`` produces) to prove that the platform rejects them.  This module
implements the cipher from the PKWARE APPNOTE, section 6.1.

The 12-byte encryption header is normally random.  Here it comes from a
generator seeded by the password, the entry's name and its CRC, so that the
same inputs give the same archive bytes, which the corpus relies on.  The
last header byte is the check byte readers verify the password against: the
high byte of the entry's CRC-32, or of its DOS time when the sizes follow
the data in a data descriptor (flag bit 3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

HEADER_SIZE = 12
_KEY0, _KEY1, _KEY2 = 0x12345678, 0x23456789, 0x34567890


def _crc_table() -> tuple[int, ...]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_CRC = _crc_table()


class ZipCrypto:
    """The cipher's three-key state; one instance per entry and direction."""

    __slots__ = ("k0", "k1", "k2")

    def __init__(self, password: bytes) -> None:
        self.k0, self.k1, self.k2 = _KEY0, _KEY1, _KEY2
        for byte in password:
            self._update(byte)

    def _update(self, byte: int) -> None:
        self.k0 = _CRC[(self.k0 ^ byte) & 0xFF] ^ (self.k0 >> 8)
        self.k1 = ((self.k1 + (self.k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        self.k2 = _CRC[(self.k2 ^ (self.k1 >> 24)) & 0xFF] ^ (self.k2 >> 8)

    def encrypt(self, data: bytes) -> bytes:
        # The loop is inlined on locals: this runs once per archive byte, in pure Python.
        crc = _CRC
        k0, k1, k2 = self.k0, self.k1, self.k2
        out = bytearray(len(data))
        for i, plain in enumerate(data):
            t = (k2 | 2) & 0xFFFF
            out[i] = plain ^ (((t * (t ^ 1)) >> 8) & 0xFF)
            k0 = crc[(k0 ^ plain) & 0xFF] ^ (k0 >> 8)
            k1 = ((k1 + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
            k2 = crc[(k2 ^ (k1 >> 24)) & 0xFF] ^ (k2 >> 8)
        self.k0, self.k1, self.k2 = k0, k1, k2
        return bytes(out)

    def decrypt(self, data: bytes) -> bytes:
        crc = _CRC
        k0, k1, k2 = self.k0, self.k1, self.k2
        out = bytearray(len(data))
        for i, cipher in enumerate(data):
            t = (k2 | 2) & 0xFFFF
            plain = cipher ^ (((t * (t ^ 1)) >> 8) & 0xFF)
            out[i] = plain
            k0 = crc[(k0 ^ plain) & 0xFF] ^ (k0 >> 8)
            k1 = ((k1 + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
            k2 = crc[(k2 ^ (k1 >> 24)) & 0xFF] ^ (k2 >> 8)
        self.k0, self.k1, self.k2 = k0, k1, k2
        return bytes(out)


def encryption_header(password: bytes, name: bytes, check_byte: int) -> bytes:
    """The 12 plaintext header bytes: 11 seeded pseudo-random bytes, then the check byte."""
    seed = hashlib.sha256(b"smsftp-zipcrypto\0" + password + b"\0" + name + bytes([check_byte])).digest()
    return seed[: HEADER_SIZE - 1] + bytes([check_byte & 0xFF])


def encrypt_stream(password: bytes, name: bytes, check_byte: int, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Encrypt an entry's (already compressed) data: the header first, then every chunk."""
    cipher = ZipCrypto(password)
    yield cipher.encrypt(encryption_header(password, name, check_byte))
    for chunk in chunks:
        if chunk:
            yield cipher.encrypt(chunk)


def decrypt(password: bytes, data: bytes, check_byte: int | None = None) -> bytes:
    """Decrypt one entry's data (header included); with ``check_byte``, verify the password.

    Raises ValueError on a wrong password: this is a tool for our tests, not input handling.
    """
    cipher = ZipCrypto(password)
    header = cipher.decrypt(data[:HEADER_SIZE])
    if check_byte is not None and header[-1] != check_byte & 0xFF:
        raise ValueError("wrong password: the encryption header's check byte does not match")
    return cipher.decrypt(data[HEADER_SIZE:])

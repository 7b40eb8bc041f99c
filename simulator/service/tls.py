"""Certificates for explicit FTPS (AUTH TLS): made on first start, reused afterwards.

The platform offers FTP over TLS (T1).  The simulator needs a certificate for
that, and integrators need its path to trust it (``curl --cacert``) or to skip
verification (``curl -k``).  ``ensure_certificate`` writes a self-signed one for
``localhost`` and ``127.0.0.1`` into ``<state_dir>/tls/`` the first time and
reuses it afterwards, so a CI job can pin it; ``--cert``/``--key`` replace it.
Tests make their own certificates at test time; none is ever committed.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from smsftp.simulator.errors import SimulatorError

CERT_NAME = "cert.pem"
KEY_NAME = "key.pem"
#: TLS 1.2 cipher suites offered, best first (Mozilla's "intermediate" list less its DHE suites).
TLS12_CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    )
)


class CertificateError(SimulatorError, ValueError):
    """A certificate or key file cannot be used; the message names the file."""


@dataclass(frozen=True)
class CertificatePair:
    cert: Path
    key: Path
    generated: bool = False


def generate_certificate(
    cert: Path,
    key: Path,
    *,
    hosts: tuple[str, ...] = ("localhost", "127.0.0.1"),
    days: int = 3650,
) -> CertificatePair:
    """Write a self-signed certificate and its private key (PEM) for ``hosts``.

    RSA 2048 rather than an elliptic curve: old FTP clients (Windows tools,
    embedded libraries) still expect it, and it is made once per state dir.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, hosts[0]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "smsftp simulator"),
        ]
    )
    alt_names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    # Back-dated by a day so that a client whose clock is a little behind still accepts it.
    not_before = datetime.now(UTC) - timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private_key, hashes.SHA256())
    )
    cert.parent.mkdir(parents=True, exist_ok=True)
    key.parent.mkdir(parents=True, exist_ok=True)
    key_bytes = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(key, key_bytes)
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return CertificatePair(cert, key, generated=True)


def _write_private(path: Path, data: bytes) -> None:
    # Created 0600 from the start: the key is never world-readable, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def ensure_certificate(directory: Path) -> CertificatePair:
    """The certificate in ``directory``, generated on first use and reused afterwards."""
    cert, key = directory / CERT_NAME, directory / KEY_NAME
    if cert.is_file() and key.is_file():
        return CertificatePair(cert, key)
    return generate_certificate(cert, key)


def load_pair(cert: Path, key: Path | None) -> CertificatePair:
    """A certificate given with ``--cert``/``--key``; the key may sit in the certificate file."""
    key_path = key or cert
    for path in (cert, key_path):
        if not path.is_file():
            raise CertificateError(f"{path}: no such file")
    return CertificatePair(cert, key_path)


def server_context(pair: CertificatePair) -> Any:
    """A pyOpenSSL context for pyftpdlib's TLS handler, failing early on a bad pair."""
    from OpenSSL import SSL

    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    # TLS 1.2 is the floor: older versions are broken and no current client needs them.
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_options(SSL.OP_NO_COMPRESSION | SSL.OP_CIPHER_SERVER_PREFERENCE)
    # TLS 1.2 only with forward secrecy and AEAD (OpenSSL's defaults still allow AES128-SHA and
    # other CBC suites); TLS 1.3's own suites are all of that kind and stay as OpenSSL sets them.
    context.set_cipher_list(TLS12_CIPHERS.encode("ascii"))
    try:
        context.use_certificate_chain_file(str(pair.cert))
        context.use_privatekey_file(str(pair.key))
        context.check_privatekey()
    except SSL.Error as exc:
        raise CertificateError(f"{pair.cert} / {pair.key}: not a usable certificate and key: {exc}") from None
    return context


def fingerprint(cert: Path) -> str:
    """SHA-256 fingerprint as printed by ``openssl x509 -fingerprint -sha256``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    return ":".join(f"{b:02X}" for b in certificate.fingerprint(hashes.SHA256()))

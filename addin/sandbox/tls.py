"""A development certificate authority, made with ``cryptography`` and kept in the
instance folder, so the sandbox (and ``addin serve --https``) can speak TLS locally.

A person trusts ``ca.pem`` once (for sideloading the add-in); the product's upstream
sessions trust it through ``ADDIN_CA_BUNDLE``, which sandbox mode sets automatically.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class DevCertificates:
    ca_path: Path
    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def callback_trust(self, also: tuple[Path, ...] = ()) -> str:
        """What the emulators trust when they call a URL back (webhooks, the Graph
        subscription handshake, EWS push): the public CAs a vendor trusts (certifi's) plus
        this development CA, which signs ``addin serve --https`` in the sandbox, and the
        CAs ``also`` names (a standalone sandbox: the product's own development CA).
        Written next to the CA as ``callback-trust.pem``."""
        import certifi

        bundle = self.ca_path.with_name("callback-trust.pem")
        text = "\n".join([Path(certifi.where()).read_text(), self.ca_path.read_text(),
                          *(path.read_text() for path in also if path != self.ca_path)])
        if not bundle.exists() or bundle.read_text() != text:
            bundle.write_text(text)
        return str(bundle)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "addin development CA"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def ensure_dev_certificates(folder: str | Path, hosts: tuple[str, ...] = HOSTS) -> DevCertificates:
    """Create (once) a CA and a server certificate for ``hosts`` signed by it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    certs = DevCertificates(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    if certs.ca_path.exists() and certs.cert_path.exists() and certs.key_path.exists():
        return certs
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("addin development CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_key(folder / "ca-key.pem", ca_key)
    _write_key(certs.key_path, server_key)
    certs.cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    certs.ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return certs

"""TLS material generated at test time: a private CA and a certificate for 127.0.0.1.

slskd's HTTPS port serves a certificate no client trusts by default; a throwaway CA
(trustme) reproduces that, and its PEM file is what a user would pass as --ca-bundle.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class Certificates:
    server_context: ssl.SSLContext  # for LocalServer(tls=...)
    ca_bundle: Path  # the PEM a client must trust


def make_certificates(directory: Path) -> Certificates:
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    bundle = directory / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    return Certificates(context, bundle)

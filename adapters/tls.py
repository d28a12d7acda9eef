"""TLS for the reference server: a certificate from files, or a throwaway self-signed one.

LiveChat's clients only speak ``wss://`` / ``https://`` (``v3.md`` section 1), so the reference
server can serve TLS on its one port::

    tls = ServerTLS.from_files("cert.pem", "key.pem")          # a real certificate
    tls = ServerTLS.self_signed(directory)                     # a throwaway CA + certificate
    async with serve(port=0, tls=tls) as server:
        print(server.url)                                      # wss://127.0.0.1:PORT
        client_context = tls.client_context()                  # trusts the throwaway CA

``self_signed`` makes a fresh certificate authority and a certificate for ``127.0.0.1``,
``::1`` and ``localhost`` with ``trustme`` (the ``tls`` extra: ``pip install
'customer-protocol[tls]'``), and writes ``ca.pem`` (give it to clients, e.g.
``NODE_EXTRA_CA_CERTS``), ``cert.pem`` (certificate chain) and ``key.pem`` into the directory.
The key never leaves that directory; nothing is logged.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SELF_SIGNED_NAMES", "ServerTLS"]

SELF_SIGNED_NAMES = ("127.0.0.1", "::1", "localhost")
"""The names a self-signed certificate is valid for."""


@dataclass(frozen=True, slots=True)
class ServerTLS:
    """Where the server's certificate chain and key are, and the CA that issued them.

    :attr:`ca_path` is set for a self-signed certificate (and may be set for a private CA):
    clients must trust it.
    """

    cert_path: Path
    key_path: Path
    ca_path: Path | None = None

    @classmethod
    def from_files(
        cls, cert: str | Path, key: str | Path, ca: str | Path | None = None
    ) -> ServerTLS:
        """A certificate chain and key in PEM files; raises :class:`ValueError` if unusable."""
        tls = cls(Path(cert), Path(key), None if ca is None else Path(ca))
        tls.server_context()  # fail now, not at the first handshake
        return tls

    @classmethod
    def self_signed(cls, directory: str | Path) -> ServerTLS:
        """A fresh throwaway CA and a certificate for :data:`SELF_SIGNED_NAMES` in ``directory``.

        Needs ``trustme`` (the ``tls`` extra); raises :class:`RuntimeError` naming the extra
        when it is missing.
        """
        try:
            import trustme  # noqa: PLC0415 - optional, only for self-signed certificates
        except ImportError:
            raise RuntimeError(
                "a self-signed certificate needs trustme: pip install 'customer-protocol[tls]'"
            ) from None
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA(organization_name="customer-protocol throwaway CA")
        leaf = ca.issue_cert(*SELF_SIGNED_NAMES)
        tls = cls(folder / "cert.pem", folder / "key.pem", folder / "ca.pem")
        ca.cert_pem.write_to_path(str(tls.ca_path))
        tls.key_path.touch(mode=0o600)
        leaf.private_key_pem.write_to_path(str(tls.key_path))
        with tls.cert_path.open("wb") as chain:
            for blob in leaf.cert_chain_pems:
                chain.write(blob.bytes())
        return tls

    def server_context(self) -> ssl.SSLContext:
        """An :class:`ssl.SSLContext` for the server side (HTTP/1.1 only)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(self.cert_path, self.key_path)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"cannot load the TLS certificate or key: {exc}") from None
        context.set_alpn_protocols(["http/1.1"])
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts :attr:`ca_path` (or the system's CAs)."""
        context = ssl.create_default_context()
        if self.ca_path is not None:
            context.load_verify_locations(self.ca_path)
        return context

"""Protocol v1 request signing (docs/protocol.md#signing)."""

import hashlib
import hmac
from typing import Dict

ALGORITHM = "DUMPCATCHER1-HMAC-SHA256"


def body_sha256(body: bytes) -> str:
    """Lowercase hex SHA-256 of the body bytes exactly as sent."""
    return hashlib.sha256(body).hexdigest()


def string_to_sign(
    method: str,
    path: str,
    product_key: str,
    client_id: str,
    counter: str,
    timestamp: str,
    body_encoding: str,
    body: bytes,
) -> str:
    """The nine LF-joined lines that the signature covers."""
    return "\n".join(
        [
            ALGORITHM,
            method,
            path,
            product_key,
            client_id,
            counter,
            timestamp,
            body_encoding or "identity",
            body_sha256(body),
        ]
    )


def sign(secret: str, text: str) -> str:
    """``v1=`` + hex HMAC-SHA256 of the string to sign, keyed by the UTF-8 secret."""
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()
    return "v1=" + digest


def signed_headers(
    secret: str,
    path: str,
    product_key: str,
    client_id: str,
    counter: int,
    timestamp: int,
    body_encoding: str,
    body: bytes,
) -> Dict[str, str]:
    """All protocol headers for one POST attempt."""
    text = string_to_sign(
        "POST", path, product_key, client_id, str(counter), str(timestamp), body_encoding, body
    )
    return {
        "X-Dumpcatcher-Key": product_key,
        "X-Dumpcatcher-Client": client_id,
        "X-Dumpcatcher-Counter": str(counter),
        "X-Dumpcatcher-Timestamp": str(timestamp),
        "X-Dumpcatcher-Body-Encoding": body_encoding,
        "X-Dumpcatcher-Signature": sign(secret, text),
        "Content-Type": "application/octet-stream" if body_encoding == "gzip" else "application/json",
    }

"""The shared protocol vectors (test/vectors/signing-v1.json), computed from bodyBase64."""

import base64
import json
import os
from typing import Any, Dict, List

import pytest

from dumpcatcher.signing import body_sha256, sign, signed_headers, string_to_sign

VECTORS_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "..", "test", "vectors", "signing-v1.json")


def load_vectors() -> List[Dict[str, Any]]:
    with open(VECTORS_PATH, "r", encoding="utf-8") as handle:
        data = json.load(handle)
    assert data["algorithm"] == "DUMPCATCHER1-HMAC-SHA256"
    return data["vectors"]


VECTORS = load_vectors()


class TestSigningVectors:
    def test_the_vector_file_has_the_documented_cases(self) -> None:
        encodings = {v["bodyEncoding"] for v in VECTORS}
        assert len(VECTORS) >= 6
        assert encodings == {"identity", "gzip"}
        assert any(v["bodyBase64"] == "" for v in VECTORS)
        assert any(v["counter"] == "9007199254740991" for v in VECTORS)

    @pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
    def test_body_hash_matches(self, vector: Dict[str, Any]) -> None:
        body = base64.b64decode(vector["bodyBase64"])
        assert body_sha256(body) == vector["bodySha256"]

    @pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
    def test_string_to_sign_matches(self, vector: Dict[str, Any]) -> None:
        body = base64.b64decode(vector["bodyBase64"])
        text = string_to_sign(
            vector["method"],
            vector["path"],
            vector["productKey"],
            vector["clientId"],
            vector["counter"],
            vector["timestamp"],
            vector["bodyEncoding"],
            body,
        )
        assert text == vector["stringToSign"]

    @pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
    def test_signature_matches(self, vector: Dict[str, Any]) -> None:
        body = base64.b64decode(vector["bodyBase64"])
        headers = signed_headers(
            vector["secret"],
            vector["path"],
            vector["productKey"],
            vector["clientId"],
            int(vector["counter"]),
            int(vector["timestamp"]),
            vector["bodyEncoding"],
            body,
        )
        assert headers["X-Dumpcatcher-Signature"] == vector["signature"]
        assert headers["X-Dumpcatcher-Body-Encoding"] == vector["bodyEncoding"]
        expected_type = "application/octet-stream" if vector["bodyEncoding"] == "gzip" else "application/json"
        assert headers["Content-Type"] == expected_type

    def test_a_changed_body_changes_the_signature(self) -> None:
        vector = VECTORS[0]
        body = base64.b64decode(vector["bodyBase64"]) + b" "
        text = string_to_sign("POST", vector["path"], vector["productKey"], vector["clientId"],
                              vector["counter"], vector["timestamp"], vector["bodyEncoding"], body)
        assert sign(vector["secret"], text) != vector["signature"]

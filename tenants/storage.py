"""The one storage interface for documents (invoice PDFs, later letters and dossiers).

A folder by default (DOCUMENTS_DIR, under instance/); files are named by their SHA-256, so a
document is immutable and stored once however often it is attached. An S3-compatible store
can replace this class when web and workers run on different hosts (DESIGN.md).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from tenants.services.errors import ServiceError

MAX_PDF_BYTES = 10 * 1024 * 1024


def check_pdf(content: bytes) -> None:
    """A real PDF of at most 10 MB, whatever the file name or the browser's content type."""
    if len(content) > MAX_PDF_BYTES:
        raise ServiceError("attachment_too_large", "file", mb=MAX_PDF_BYTES // (1024 * 1024))
    if not content.startswith(b"%PDF-"):
        raise ServiceError("attachment_not_pdf", "file")


class DocumentStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256")
        return self.root / sha256[:2] / sha256

    def put(self, content: bytes) -> str:
        sha256 = hashlib.sha256(content).hexdigest()
        path = self._path(sha256)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: a reader never sees half a file.
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(content)
            os.replace(tmp.name, path)
        return sha256

    def get(self, sha256: str) -> bytes:
        return self._path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()

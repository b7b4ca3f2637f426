"""The dossier store: the inbox that former units drop files into, and the archive of originals."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dagster import ConfigurableResource

from sapnhap.intake import ContentAddressedArchive

# Files a scanner or an operating system leaves that are not part of a hand-over.
_IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


class DossierStore(ConfigurableResource):
    """Inbox folders (one per former unit, named by its official 5-digit code) and the archive.

    `inbox_dir/<former-unit-code>/**` holds the files as handed over; `archive_dir` is the
    content-addressed archive where originals are copied, read-only, by SHA-256.
    """

    inbox_dir: str
    archive_dir: str

    def former_units(self) -> list[str]:
        """Codes of the former units that have an inbox folder (5-digit folder names), sorted."""
        inbox = Path(self.inbox_dir)
        if not inbox.is_dir():
            return []
        return sorted(p.name for p in inbox.iterdir() if p.is_dir() and p.name.isdigit() and len(p.name) == 5)

    def files(self, former_unit: str) -> list[Path]:
        """Every file in a former unit's inbox folder (recursively, hidden and system files skipped), sorted."""
        folder = Path(self.inbox_dir) / former_unit
        if not folder.is_dir():
            return []
        return sorted(
            p
            for p in folder.rglob("*")
            if p.is_file() and not p.name.startswith(".") and p.name not in _IGNORED_NAMES
        )

    def relative_path(self, path: Path) -> str:
        """A file's path relative to the inbox (as stored in the database)."""
        return path.relative_to(Path(self.inbox_dir)).as_posix()

    def fingerprint(self, former_unit: str) -> str:
        """A short hash of a folder's file names, sizes and modification times: changes when files do."""
        digest = hashlib.sha256()
        for path in self.files(former_unit):
            stat = path.stat()
            digest.update(f"{self.relative_path(path)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()[:16]

    def archive(self) -> ContentAddressedArchive:
        """The content-addressed archive of originals."""
        return ContentAddressedArchive(Path(self.archive_dir))

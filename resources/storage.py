"""The dossier store: the inbox that former units drop files into, and the archive of originals."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pandas as pd
from dagster import ConfigurableResource

from sapnhap.intake.files import ContentAddressedArchive

# Files an operating system leaves in folders; they are not part of a hand-over (reported, not read).
_SYSTEM_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}
# A former commune's official code has 5 ASCII digits, a former district's 3 (`sapnhap.reference.units`).
_UNIT_CODE = re.compile(r"[0-9]{5}|[0-9]{3}")


class DossierStore(ConfigurableResource):
    """Inbox folders (one per former unit, named by its official pre-2025 code) and the archive.

    `inbox_dir/<former-unit-code>/**` holds the files as handed over: a former commune's folder is
    named by its 5-digit code (`21058/`), a former district's by its 3-digit code (`373/`). Both are
    former units of the pipeline. `archive_dir` is the content-addressed archive where originals are
    copied, read-only, by SHA-256. Anything in the inbox that is not read (a folder not named by 5 or
    3 ASCII digits, a symbolic link, an operating system's own files) is listed by `ignored_entries`
    so that it can be reported, never dropped silently.
    """

    inbox_dir: str
    archive_dir: str

    def former_units(self) -> list[str]:
        """Codes of the former units that have an inbox folder, sorted: folders named by exactly 5 ASCII
        digits (former communes) or exactly 3 (former districts). Linked folders are not followed."""
        inbox = Path(self.inbox_dir)
        if not inbox.is_dir():
            return []
        return sorted(
            p.name
            for p in inbox.iterdir()
            if p.is_dir() and not p.is_symlink() and _UNIT_CODE.fullmatch(p.name)
        )

    def files(self, former_unit: str) -> list[Path]:
        """Every regular file in a former unit's folder, recursively, sorted (links and system files excluded)."""
        return sorted(p for p, why in self._walk(former_unit) if why is None)

    def ignored_entries(self, former_unit: str | None = None) -> list[tuple[str, str]]:
        """(inbox-relative path, why) of what is not read: in one unit's folder, or at the inbox's top level."""
        if former_unit is not None:
            return [(self.relative_path(p), why) for p, why in self._walk(former_unit) if why is not None]
        inbox = Path(self.inbox_dir)
        if not inbox.is_dir():
            return []
        ignored = []
        for entry in sorted(inbox.iterdir()):
            if entry.is_symlink():
                ignored.append((entry.name, "symbolic link (not followed)"))
            elif entry.is_file():
                ignored.append((entry.name, "file outside any former-unit folder"))
            elif not _UNIT_CODE.fullmatch(entry.name):
                ignored.append((entry.name, "folder not named by a 5-digit commune or 3-digit district code"))
        return ignored

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

    def _walk(self, former_unit: str) -> list[tuple[Path, str | None]]:
        folder = Path(self.inbox_dir) / former_unit
        if not folder.is_dir():
            return []
        out: list[tuple[Path, str | None]] = []
        for root, dirs, names in os.walk(folder):  # os.walk does not follow linked folders
            base = Path(root)
            for name in dirs:
                if (base / name).is_symlink():
                    out.append((base / name, "symbolic link (not followed)"))
            for name in names:
                path = base / name
                if path.is_symlink():
                    out.append((path, "symbolic link (not followed)"))
                elif name in _SYSTEM_FILES:
                    out.append((path, "operating-system file"))
                elif path.is_file():
                    out.append((path, None))
                else:
                    out.append((path, "not a regular file"))
        return out

    def merger_plan_villages(self) -> pd.DataFrame | None:
        """The province's merger plan: which village of each split former commune went to which new
        commune (`reference/villages.csv` beside the inbox: columns former_commune_code, village,
        new_unit_code), or None when there is none. Codes are read as strings."""
        path = Path(self.inbox_dir).parent / "reference" / "villages.csv"
        if not path.is_file():
            return None
        return pd.read_csv(path, dtype=str, keep_default_na=False)

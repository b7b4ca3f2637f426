"""Intake of one former unit's hand-over (bàn giao): fixity, archive copy, duplicates, quarantine.

Every file handed over ends in exactly one state, with a provenance event for each step:
- `archived`: SHA-256 computed, original copied into the content-addressed archive, to be read;
- `duplicate`: the same bytes were already handed over (by this or another former unit); the
  copy is linked to the first occurrence and not read again;
- `quarantined`: kept in the archive with a specific reason (empty, unsupported type, damaged PDF,
  password required, unreadable or too-small image) for an archivist to look at.

A quarantined file an archivist released in a review sheet (`released`) is `archived` instead and
read like any other, its reason kept in the detail and in a `release` event naming the archivist.
Nothing is dropped: a file that cannot even be read from the inbox is quarantined as
`unreadable_file`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sapnhap import __version__
from sapnhap.intake.files import ContentAddressedArchive, FileInspection, QuarantineReason, inspect_file
from sapnhap.text import nfc

TOOL = f"sapnhap.intake.files {__version__}"


@dataclass
class HandoverIntake:
    """Result of taking in one former unit's folder.

    rows: one dict per file found (keys: former_unit_code, former_unit_vintage, original_path,
        sha256, size_bytes, kind, mime, page_count, encrypted, status, quarantine_reason, detail,
        archive_path, duplicate_of), in path order.
    events: provenance events (keys: subject_type, subject_id, action, tool, tool_version,
        outcome, detail, occurred_at).
    """

    rows: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)


def intake_handover(
    former_unit: str,
    files: list[tuple[Path, str]],
    archive: ContentAddressedArchive,
    known_first_sources: Callable[[list[str]], dict[str, str]],
    released: Mapping[str, tuple[str, str]] | None = None,
) -> HandoverIntake:
    """Take in a former unit's files.

    Args:
        former_unit: the former unit's official 5-digit code (pre-2025 vintage).
        files: (absolute path, path relative to the inbox) for every file in its folder; the relative
            path is stored NFC (file systems may hand back NFD names).
        archive: where originals are copied, read-only, by SHA-256.
        known_first_sources: called once with the SHA-256 of every file read; returns, for content
            already known (from the unified database), SHA-256 → the inbox-relative path where it
            was first seen. A file whose first occurrence is itself is not a duplicate, so
            re-running a former unit changes nothing.
        released: SHA-256 → (reviewer, note): who released the file and why, for quarantined files
            an archivist released (`sapnhap.review.decisions.file_releases`). Such a file, if it has pages,
            is archived and read; its quarantine reason stays in `detail` and a provenance event
            (action "release", agent the reviewer) records the decision. A file with no page (empty,
            unsupported, unreadable) stays quarantined whatever the release says.

    Returns:
        A HandoverIntake; never raises for a bad file (it is quarantined with its reason).
    """
    result = HandoverIntake()
    released = released or {}
    inspected: list[tuple[Path, str, FileInspection | OSError]] = []
    for path, raw_relative in files:
        relative = nfc(raw_relative)
        try:
            inspected.append((path, relative, inspect_file(path)))
        except OSError as exc:
            inspected.append((path, relative, exc))
    seen = known_first_sources([i.sha256 for _, _, i in inspected if isinstance(i, FileInspection)])
    taken: set[str] = set()  # content archived in this run
    names: dict[str, int] = {}  # NFC paths used in this run
    for path, relative, inspection in inspected:
        now = datetime.now(UTC)
        clash = names.get(relative, 0)
        names[relative] = clash + 1
        if clash:
            # Two names that differ only in Unicode form (NFC/NFD, e.g. copied from a Mac and from
            # Windows) are one path once normalised: the later one is told apart by a suffix.
            relative = f"{relative}~{clash + 1}"
        if isinstance(inspection, OSError):
            result.rows.append(_unreadable_row(former_unit, relative, inspection))
            continue
        row = _row(former_unit, relative, inspection)
        if clash:
            row["detail"] = (row["detail"] + " " if row["detail"] else "") + (
                "another file in this folder has the same name written in another Unicode form"
            )
        sha = inspection.sha256
        result.events.append(
            _event(sha, "fixity", "sha256 computed", f"{inspection.size_bytes} bytes, {inspection.mime}", now)
        )
        first = seen.get(sha)
        if sha in taken or (first is not None and first != relative):
            first = first or next(r["original_path"] for r in result.rows if r["sha256"] == sha)
            note = f"exact duplicate of {first}"
            if inspection.quarantine_reason is not None and not _releasable(sha, inspection, released):
                # The same bad bytes again (e.g. several empty files): each copy needs the same fix,
                # so it is quarantined for the same reason, not filed away as a duplicate.
                row.update(
                    status="quarantined",
                    quarantine_reason=str(inspection.quarantine_reason),
                    duplicate_of=sha,
                    detail=f"{row['detail']} (same bytes as {first})",
                )
                result.events.append(
                    _event(sha, "quarantine", str(inspection.quarantine_reason), row["detail"], now)
                )
                result.rows.append(row)
                continue
            row.update(
                status="duplicate", duplicate_of=sha, detail=f"{note}; {row['detail']}" if clash else note
            )
            result.events.append(_event(sha, "duplicate", "duplicate", f"{relative} duplicates {first}", now))
        else:
            seen.setdefault(sha, relative)
            taken.add(sha)
            stored, created = archive.put(path, sha)
            row["archive_path"] = str(stored)
            result.events.append(
                _event(
                    sha,
                    "archive",
                    "archived",
                    "read-only copy made" if created else "already in the archive",
                    now,
                )
            )
            if _releasable(sha, inspection, released):
                reviewer, why = released[sha]
                row.update(
                    status="archived",
                    detail=f"released by {reviewer}{f' ({why})' if why else ''} despite "
                    f"{inspection.quarantine_reason}: {row['detail']}",
                )
                result.events.append(
                    _event(sha, "release", "released", f"read despite {inspection.quarantine_reason}", now)
                    | {"agent": reviewer}
                )
            elif inspection.quarantine_reason is not None:
                row.update(status="quarantined", quarantine_reason=str(inspection.quarantine_reason))
                result.events.append(
                    _event(sha, "quarantine", str(inspection.quarantine_reason), row["detail"], now)
                )
            else:
                row["status"] = "archived"
        result.rows.append(row)
    return result


def _releasable(sha: str, inspection: FileInspection, released: Mapping[str, tuple[str, str]]) -> bool:
    """A quarantined file an archivist released that has pages to read."""
    return inspection.quarantine_reason is not None and sha in released and inspection.page_count > 0


def _row(former_unit: str, relative: str, inspection: FileInspection) -> dict:
    return {
        "former_unit_code": former_unit,
        "former_unit_vintage": "pre2025",
        "original_path": relative,
        "sha256": inspection.sha256,
        "size_bytes": inspection.size_bytes,
        "kind": str(inspection.kind),
        "mime": inspection.mime,
        "page_count": inspection.page_count,
        "encrypted": inspection.encrypted,
        "status": "",
        "quarantine_reason": None,
        "detail": inspection.detail,
        "archive_path": None,
        "duplicate_of": None,
    }


def _unreadable_row(former_unit: str, relative: str, exc: OSError) -> dict:
    return {
        "former_unit_code": former_unit,
        "former_unit_vintage": "pre2025",
        "original_path": relative,
        "sha256": None,
        "size_bytes": 0,
        "kind": "other",
        "mime": "",
        "page_count": 0,
        "encrypted": False,
        "status": "quarantined",
        "quarantine_reason": str(QuarantineReason.UNREADABLE_FILE),
        "detail": "could not read the file from the inbox: "
        + (
            "it is no longer there (removed or renamed after the folder was listed); hand it over again"
            if isinstance(exc, FileNotFoundError)
            else (exc.strerror or type(exc).__name__)  # never the path: it may hold a person's name
        ),
        "archive_path": None,
        "duplicate_of": None,
    }


def _event(sha: str, action: str, outcome: str, detail: str, when: datetime) -> dict:
    return {
        "subject_type": "file",
        "subject_id": sha,
        "action": action,
        "tool": "sapnhap.intake.files",
        "tool_version": __version__,
        "outcome": outcome,
        "detail": detail,
        "occurred_at": when,
    }

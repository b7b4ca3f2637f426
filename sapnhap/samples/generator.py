"""Generate a merged unit's hand-over: an inbox of dossier files and the ground truth beside it.

Output folder layout (`generate(config, out)`):

    out/inbox/<folder>/...            files as the former units hand them over; <folder> is a former
                                      commune's 5-digit code or the former district's 3-digit code
    out/reference/villages.csv        which village of each former commune went to which new commune
    inbox/<commune>/DS_CBCC_<commune>.xlsx  each former commune's staff list (sapnhap.samples.staff)
    out/reference/population.csv      a made-up population of the new unit (for the staffing quota),
                                      marked as such: the generated batch's, not a published figure
                                      (what a province's merger plan publishes; the pipeline may use it)
    out/ground_truth/files.csv        per file: expected outcome (processed, duplicate, quarantined +
                                      reason), format, pages, text layer, documents in it
    out/ground_truth/pages.csv        per page: true text and every scan effect applied
    out/ground_truth/documents.csv    per document: file, page range, type its title announces, folder,
                                      date, layout family ("standard" or "variant") and the event
                                      it registers (the planned type)
    out/ground_truth/fields.csv       per field: printed text, normalised value, canonical value
    out/ground_truth/persons.csv      per person (entity): true values
    out/ground_truth/records.csv      per person named in a document: entity, former and new unit
    out/ground_truth/manifest.json    configuration, counts, generator version, SHA-256 of every file

The same configuration (seed included) gives the same bytes, file for file. Rendering runs in
`workers` processes; each file is rendered from its own seed, so the result does not depend on the
number of workers.

Over 600 lines: the generator's orchestration (config, profiles, files, ground truth) in one place;
it is test-data tooling, never imported by production.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

from sapnhap.samples import render
from sapnhap.samples.files import broken_file, write_file
from sapnhap.samples.geography import Scenario, build_scenario
from sapnhap.samples.model import PageSpec, RenderedFile, ScanEffects
from sapnhap.samples.plan import Plan, PlanConfig, make_plan
from sapnhap.samples.registers import (
    BIRTH_COLUMNS,
    birth_register_page,
    register_image,
    register_pdf,
    register_xlsx,
)
from sapnhap.samples.render_pdf import scanned_pdf
from sapnhap.samples.staff import LAYOUT as STAFF_LAYOUT
from sapnhap.samples.staff import LIST_DATE, plan_appointments, plan_staff_lists, staff_list_bytes
from sapnhap.samples.templates import VARIANT_TYPES, FieldTruth, lay_out
from sapnhap.text import nfc

GENERATOR_VERSION = "8"
BROKEN_KINDS = ("truncated_pdf", "password_pdf", "empty", "unsupported", "tiny_image")
_PREFIX = {
    "birth_registration": "KS",
    "marriage_registration": "KH",
    "death_registration": "KT",
    "staff_cv": "SYLL",
    "procedure_receipt": "BN",
    "appointment_decision": "QDBN",
}
_MULTI_PAGE_FORMATS = ("pdf_scan", "tiff", "pdf_digital", "pdf_tcvn3")
FORMATS = ("jpeg", "png", "tiff", "pdf_scan", "pdf_digital", "pdf_tcvn3")


@dataclass(frozen=True)
class ScanProfile:
    """How carefully an office scans: distributions of every effect, and the mix of file formats.

    dpi_weights: scan resolution (dpi) → weight. skew_share of pages are skewed uniformly within
    ±max_skew degrees. rotation_share of pages lie turned 90°, 180° or 270°. speckle_share of pages get
    noise up to speckle_max (share of pixels); blur_share get a blur up to blur_max (px). JPEG quality
    (used for JPEG files and for the page images of scanned PDFs) is drawn from jpeg_quality.
    grayscale_share of pages are scanned in grey. format_weights: file format → weight.
    """

    name: str
    dpi_weights: dict[int, float]
    skew_share: float
    max_skew: float
    rotation_share: float
    speckle_share: float
    speckle_max: float
    blur_share: float
    blur_max: float
    jpeg_quality: tuple[int, int]
    grayscale_share: float
    format_weights: dict[str, float]
    batch_share: float = 0.1


PROFILES: dict[str, ScanProfile] = {
    "clean": ScanProfile(
        "clean", {300: 1.0}, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, (90, 95), 0.0,
        {"png": 0.3, "pdf_scan": 0.3, "tiff": 0.2, "pdf_digital": 0.2},
    ),
    "default": ScanProfile(
        "default", {150: 0.1, 200: 0.25, 300: 0.5, 400: 0.15}, 0.7, 3.0, 0.06, 0.3, 0.004, 0.3, 1.0,
        (45, 90), 0.4,
        {"jpeg": 0.3, "pdf_scan": 0.3, "tiff": 0.12, "pdf_digital": 0.15, "pdf_tcvn3": 0.05, "png": 0.08},
    ),
    # The default profile's effects and formats with every page scanned at 300 dpi (benchmarks).
    "office300": ScanProfile(
        "office300", {300: 1.0}, 0.7, 3.0, 0.06, 0.3, 0.004, 0.3, 1.0, (45, 90), 0.4,
        {"jpeg": 0.3, "pdf_scan": 0.3, "tiff": 0.12, "pdf_digital": 0.15, "pdf_tcvn3": 0.05, "png": 0.08},
    ),
    "hurried": ScanProfile(
        "hurried", {150: 0.3, 200: 0.4, 300: 0.3}, 0.9, 3.0, 0.12, 0.6, 0.01, 0.5, 1.5, (30, 70), 0.6,
        {"jpeg": 0.45, "pdf_scan": 0.3, "tiff": 0.1, "pdf_digital": 0.05, "pdf_tcvn3": 0.05, "png": 0.05},
    ),
}  # fmt: skip


class SampleConfigError(ValueError):
    """A generator argument is invalid (an unknown profile, a count below zero …); the message says which."""


def resolve_profile(name_or_path: str) -> ScanProfile:
    """A scan profile by name (a key of PROFILES) or from a JSON file holding every ScanProfile field
    (the `profile` object of a generated sample's manifest is such a file's content).

    Raises:
        SampleConfigError: for an unknown name, or a file that is not a complete, valid profile.
    """
    if name_or_path in PROFILES:
        return PROFILES[name_or_path]
    path = Path(name_or_path)
    if not path.suffix == ".json" or not path.is_file():
        raise SampleConfigError(
            f"unknown scan profile {name_or_path!r}; choose one of {', '.join(PROFILES)} or a .json file"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["dpi_weights"] = {int(k): float(v) for k, v in data["dpi_weights"].items()}
        data["jpeg_quality"] = tuple(data["jpeg_quality"])
        data["format_weights"] = dict(data["format_weights"])
        profile = ScanProfile(**data)
    except (KeyError, TypeError, ValueError, AttributeError, json.JSONDecodeError) as exc:
        raise SampleConfigError(f"{path}: not a complete scan profile ({exc})") from exc
    problems = check_profile(profile)
    if problems:
        raise SampleConfigError(f"{path}: " + "; ".join(problems))
    return profile


def check_profile(profile: ScanProfile) -> list[str]:
    """Every problem of a scan profile, in words (empty when it is valid).

    Shares are within 0–1; skew at most 10°; speckle at most 0.05 of the pixels; blur at most 5 px;
    JPEG quality a range within 1–95 (low ≤ high); dpi 72–1200; formats known; weights positive.
    """
    problems = []
    for name in (
        "skew_share",
        "rotation_share",
        "speckle_share",
        "blur_share",
        "grayscale_share",
        "batch_share",
    ):
        value = getattr(profile, name)
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            problems.append(f"{name} must be a share within 0–1, not {value!r}")
    for name, top in (("max_skew", 10.0), ("speckle_max", 0.05), ("blur_max", 5.0)):
        value = getattr(profile, name)
        if not isinstance(value, int | float) or not 0 <= value <= top:
            problems.append(f"{name} must be within 0–{top}, not {value!r}")
    quality = profile.jpeg_quality
    if not (
        len(quality) == 2
        and all(isinstance(q, int) and 1 <= q <= 95 for q in quality)
        and quality[0] <= quality[1]
    ):
        problems.append(
            f"jpeg_quality must be [low, high] within 1–95 with low ≤ high, not {list(quality)!r}"
        )
    for name, keys_ok, what in (
        ("dpi_weights", lambda k: isinstance(k, int) and 72 <= k <= 1200, "dpi within 72–1200"),
        ("format_weights", lambda k: k in FORMATS, f"formats among {', '.join(FORMATS)}"),
    ):
        weights = getattr(profile, name)
        if not isinstance(weights, dict) or not weights:
            problems.append(f"{name} must be a non-empty mapping")
            continue
        if not all(keys_ok(k) for k in weights):
            problems.append(f"{name} keys must be {what}, not {sorted(map(str, weights))}")
        if (
            not all(isinstance(v, int | float) and v >= 0 for v in weights.values())
            or sum(weights.values()) <= 0
        ):
            problems.append(f"{name} weights must be ≥ 0 with a positive total")
    return problems


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything that decides a generated hand-over.

    new_unit: the new commune (post2025 code) whose merger is staged. dossiers: documents to make.
    duplicate_share: share of documents naming a person already named in another archive.
    profile: a key of PROFILES or the path of a JSON profile (see `resolve_profile`). exact_duplicates / broken_files: counts of extra files (None: about
    3% and 5% of the dossiers, at least one; copies are capped at one per rendered file). workers:
    rendering processes (does not change the bytes). variant_share: share of the birth, marriage and
    death extracts laid out in the "variant" family (`sapnhap.samples.templates.LAYOUTS`: other
    wordings and orders the extractor's templates were not written against), chosen per document
    by its own seeded draw, so the rest of the sample does not change with the share. registers:
    birth-register files to hand over instead of single extracts (None: one per 100 dossiers, at
    least 2), each 5–12 planned birth extracts of one former unit as rows of one register page,
    written in turn as a workbook (.xlsx), a scanned PDF and a born-digital PDF
    (`REGISTER_FORMATS`; layout families `spreadsheet`, `register_scan`, `register_pdf`).
    staff_lists: a staff list `.xlsx` per former commune (`sapnhap.samples.staff`, layout family
    `staff_list`; None: when dossiers ≥ 20, so the smallest test batches keep their counts).
    """

    new_unit: str = "14488"
    dossiers: int = 60
    duplicate_share: float = 0.3
    district_share: float = 0.2
    profile: str = "default"
    seed: int = 20250701
    exact_duplicates: int | None = None
    broken_files: int | None = None
    workers: int = 2
    variant_share: float = 0.25
    registers: int | None = None
    staff_lists: bool | None = None


REGISTER_FORMATS = ("xlsx", "register_scan", "register_pdf")
_REGISTER_FAMILY = {"xlsx": "spreadsheet", "register_scan": "register_scan", "register_pdf": "register_pdf"}


def _population_row(new_unit: str, seed: int) -> dict[str, str]:
    """The generated batch's population row for `new_unit` (sapnhap.staffing.positions.load_population's
    columns): between 18,000 and 40,000 residents, not in a mountain area, its source saying it is made
    up. Drawn from its own seed, so the rest of the sample does not change with it."""
    rng = random.Random(f"population:{seed}")
    return {
        "new_unit_code": new_unit,
        "population": str(rng.randrange(18_000, 40_000, 100)),
        "mountain": "no",
        "source": "sapnhap.samples generator: a made-up figure for the generated batch, not a published population",
    }


def take_registers(plan: Plan, count: int, seed: int) -> list[tuple[str, list, str]]:
    """Up to `count` registers: (folder, 5–12 standard-layout birth extracts planned in it, format of
    `REGISTER_FORMATS` in turn), taken from the folders with the most births first. Fewer when no
    folder has 5 births left."""
    rng = random.Random(f"registers:{seed}")
    queues: dict[str, list] = {}
    for doc in plan.documents:
        if doc.doc_type == "birth_registration" and doc.layout == "standard":
            queues.setdefault(doc.folder, []).append(doc)
    groups: list[tuple[str, list, str]] = []
    while len(groups) < count:
        ready = sorted((f for f, q in queues.items() if len(q) >= 5), key=lambda f: (-len(queues[f]), f))
        if not ready:
            break
        folder = ready[0]
        take = min(len(queues[folder]), rng.randint(5, 12))
        groups.append((folder, queues[folder][:take], REGISTER_FORMATS[len(groups) % len(REGISTER_FORMATS)]))
        queues[folder] = queues[folder][take:]
    return groups


def _register_file(docs: list, fmt: str, rng: random.Random) -> tuple[bytes, str, str]:
    """(bytes, true page text, layout family) of one birth register page in `fmt`."""
    page = birth_register_page(docs)
    rows = [(page.title,), page.headers, *page.rows]
    if fmt == "xlsx":
        text = "\n".join(" | ".join(c for c in row if c) for row in rows)
        return register_xlsx([page]), text, _REGISTER_FAMILY[fmt]
    text = "\n".join(" ".join(c for c in row if c) for row in rows)
    if fmt == "register_pdf":
        return register_pdf([page]), text, _REGISTER_FAMILY[fmt]
    effects = ScanEffects(
        dpi=300, skew_degrees=round(rng.uniform(-0.8, 0.8), 2), jpeg_quality=85, grayscale=True
    )
    image = render.apply_scan_effects(register_image(page, 300), effects, rng)
    jpeg = render.encode_jpeg(image, 85, 300)
    return scanned_pdf([(jpeg, image.width, image.height, 300)]), text, _REGISTER_FAMILY[fmt]


def register_truths(docs: list) -> list[FieldTruth]:
    """The truth of every cell of a birth register page of `docs` (`birth_register_page`): one field
    per printed column and row, with the value the register's cell should read as."""
    page = birth_register_page(docs)
    out = []
    for entry, (doc, row) in enumerate(zip(docs, page.rows, strict=True), 1):
        people = {p.role: p for p in doc.people}
        for (role, name), printed in zip(BIRTH_COLUMNS, row, strict=True):
            if role in ("mother", "father") and not printed:
                continue
            if role and name in people[role].fields and name != "residence":
                value = people[role].fields[name][1]
            elif name in doc.extra:
                value = doc.extra[name][1]
            else:
                value = printed if name != "row_number" else str(entry)
            canonical = people[role].canonical.get(name, value) if role else value
            out.append(FieldTruth(doc.doc_id, role, name, nfc(printed), nfc(value), nfc(canonical), ""))
    return out


def assign_layouts(plan: Plan, share: float, seed: int) -> None:
    """Lay out about `share` of the plan's documents of `VARIANT_TYPES` in the "variant" family.

    Each document draws on its own generator (seeded by `seed` and its id), so the choice of one
    document does not shift any other draw of the sample. Changes `plan.documents` in place.
    """
    for doc in plan.documents:
        if doc.doc_type in VARIANT_TYPES and random.Random(f"layout:{seed}:{doc.doc_id}").random() < share:
            doc.layout = "variant"


def check_config(config: GeneratorConfig) -> list[str]:
    """Every problem of a generator configuration, in words (empty when it is valid)."""
    problems = []
    if config.dossiers < 1:
        problems.append(f"dossiers must be ≥ 1, not {config.dossiers}")
    for name in ("duplicate_share", "district_share", "variant_share"):
        value = getattr(config, name)
        if not 0 <= value <= 1:
            problems.append(f"{name.replace('_', ' ')} must be a share within 0–1, not {value}")
    if config.workers < 1:
        problems.append(f"workers must be ≥ 1, not {config.workers}")
    for name in ("exact_duplicates", "broken_files", "registers"):
        value = getattr(config, name)
        if value is not None and value < 0:
            problems.append(f"{name.replace('_', ' ')} must be ≥ 0, not {value}")
    return problems


@dataclass
class _FilePlan:
    folder: str
    name: str
    fmt: str
    doc_ids: list[str]
    pages: list[PageSpec] = field(default_factory=list)
    page_docs: list[str] = field(default_factory=list)
    effects: list[ScanEffects] = field(default_factory=list)
    seed: int = 0


@dataclass
class GenerationResult:
    """What `generate` wrote: the output folder, the scenario, the plan and per-kind counts."""

    out: Path
    scenario: Scenario
    plan: Plan
    counts: dict[str, int]


def generate(config: GeneratorConfig, out: Path, overwrite: bool = False) -> GenerationResult:
    """Write the inbox, the reference villages list and the ground truth for `config` into `out`.

    Raises:
        FileExistsError: when `out` holds files and `overwrite` is False (a generated folder, one with
            `ground_truth/manifest.json`, is replaced when `overwrite` is True; any other is refused).
        SampleConfigError: for an unknown profile or a count below zero (a ValueError).
        sapnhap.samples.geography.ScenarioError: for a new unit that cannot stage the sample.
    """
    profile = resolve_profile(config.profile)
    problems = check_config(config)
    if problems:
        raise SampleConfigError("; ".join(problems))
    _prepare(out, overwrite)
    rng = random.Random(f"sapnhap-samples:{config.seed}")
    scenario = build_scenario(config.new_unit, rng)
    plan = make_plan(
        scenario,
        PlanConfig(config.dossiers, config.duplicate_share, config.district_share, config.seed),
    )
    assign_layouts(plan, config.variant_share, config.seed)
    n_registers = config.registers if config.registers is not None else max(2, config.dossiers // 100)
    groups = take_registers(plan, n_registers, config.seed)
    registered = {d.doc_id for _, docs, _ in groups for d in docs}
    standalone = Plan(plan.persons, [d for d in plan.documents if d.doc_id not in registered], plan.records)
    files, fields = _file_plans(standalone, profile, rng)
    rendered = _render_all(files, config.workers)

    inbox = out / "inbox"
    file_rows, page_rows, doc_rows = [], [], []

    def write_files(files: list[_FilePlan], rendered: list) -> None:
        """Write rendered files into the inbox, their rows into the truth's tables."""
        for fp, result in zip(files, rendered, strict=True):
            path = _write(inbox, fp.folder, fp.name, result.data)
            digest = hashlib.sha256(result.data).hexdigest()
            file_rows.append(
                {
                    "path": path,
                    "folder": fp.folder,
                    "sha256": digest,
                    "bytes": len(result.data),
                    "format": fp.fmt,
                    "pages": len(fp.pages),
                    "text_layer": result.text_layer,
                    "expected_outcome": "processed",
                    "expected_reason": "",
                    "duplicate_of": "",
                    "doc_ids": " ".join(fp.doc_ids),
                }
            )
            spans: dict[str, list[int]] = {}
            for number, (doc_id, text, effects) in enumerate(
                zip(fp.page_docs, result.page_texts, result.page_effects, strict=True), 1
            ):
                spans.setdefault(doc_id, []).append(number)
                page = fp.pages[number - 1]
                page_rows.append(
                    {"path": path, "sha256": digest, "page": number, "doc_id": doc_id, "text": nfc(text),
                     **effects.as_dict(), "seal": page.seal_line is not None, "format": fp.fmt}
                )  # fmt: skip
            by_id = {d.doc_id: d for d in plan.documents}
            for doc_id, numbers in spans.items():
                doc = by_id[doc_id]
                doc_rows.append(
                    {"doc_id": doc_id, "path": path, "sha256": digest, "first_page": min(numbers),
                     "last_page": max(numbers), "doc_type": doc.printed_type, "folder": doc.folder,
                     "issued": doc.issued.isoformat(), "issuer": doc.issuer, "layout": doc.layout,
                     "event_type": doc.doc_type, "entry": 0}
                )  # fmt: skip

    write_files(files, rendered)

    register_rng = random.Random(f"sapnhap-samples-registers:{config.seed}")
    for number, (folder, docs, fmt) in enumerate(groups, 1):
        data, text, family = _register_file(docs, fmt, register_rng)
        path = _write(inbox, folder, f"SO_KS_{number:02d}.{'xlsx' if fmt == 'xlsx' else 'pdf'}", data)
        digest = hashlib.sha256(data).hexdigest()
        file_rows.append(
            {"path": path, "folder": folder, "sha256": digest, "bytes": len(data), "format": fmt, "pages": 1,
             "text_layer": "unicode" if fmt == "register_pdf" else "none", "expected_outcome": "processed",
             "expected_reason": "", "duplicate_of": "", "doc_ids": " ".join(d.doc_id for d in docs)}
        )  # fmt: skip
        page_rows.append(
            {"path": path, "sha256": digest, "page": 1, "doc_id": docs[0].doc_id, "text": nfc(text),
             **ScanEffects().as_dict(), "seal": False, "format": fmt}
        )  # fmt: skip
        for entry, doc in enumerate(docs, 1):
            doc_rows.append(
                {"doc_id": doc.doc_id, "path": path, "sha256": digest, "first_page": 1, "last_page": 1,
                 "doc_type": "birth_register_book", "folder": doc.folder, "issued": doc.issued.isoformat(),
                 "issuer": doc.issuer, "layout": family, "event_type": doc.doc_type, "entry": entry}
            )  # fmt: skip
        fields.extend(register_truths(docs))
    # Each former commune's staff list (.xlsx), with its CV holders and more staff (sapnhap.samples.staff).
    with_lists = config.staff_lists if config.staff_lists is not None else config.dossiers >= 20
    staff_lists = plan_staff_lists(plan, scenario, config.seed) if with_lists else []
    for staff_list in staff_lists:
        data, text = staff_list_bytes(staff_list)
        path = _write(inbox, staff_list.folder, staff_list.name, data)
        digest = hashlib.sha256(data).hexdigest()
        file_rows.append(
            {"path": path, "folder": staff_list.folder, "sha256": digest, "bytes": len(data), "format": "xlsx",
             "pages": 1, "text_layer": "none", "expected_outcome": "processed", "expected_reason": "",
             "duplicate_of": "", "doc_ids": " ".join(staff_list.doc_ids)}
        )  # fmt: skip
        page_rows.append(
            {"path": path, "sha256": digest, "page": 1, "doc_id": staff_list.doc_ids[0], "text": nfc(text),
             **ScanEffects().as_dict(), "seal": False, "format": "xlsx"}
        )  # fmt: skip
        for entry, doc_id in enumerate(staff_list.doc_ids, 1):
            doc_rows.append(
                {"doc_id": doc_id, "path": path, "sha256": digest, "first_page": 1, "last_page": 1,
                 "doc_type": "staff_list", "folder": staff_list.folder, "issued": LIST_DATE.isoformat(),
                 "issuer": "", "layout": STAFF_LAYOUT, "event_type": "staff_list", "entry": entry}
            )  # fmt: skip
        fields.extend(staff_list.fields)
    # An appointment decision per former commune not split: a later title than its list's for one of
    # its civil servants (sapnhap.samples.staff.plan_appointments), rendered with its own seed.
    decisions = plan_appointments(plan, scenario, staff_lists, config.seed)
    if decisions:
        plan.documents.extend(decisions)
        decision_files, decision_fields = _file_plans(
            Plan(plan.persons, decisions, []),
            profile,
            random.Random(f"sapnhap-samples-decisions:{config.seed}"),
        )
        fields.extend(decision_fields)
        write_files(decision_files, _render_all(decision_files, config.workers))
    # A register prints no empty parent: no record is expected for a parent without a name.
    blank = {
        (d.doc_id, p.role)
        for _, docs, _ in groups
        for d in docs
        for p in d.people
        if p.role in ("mother", "father") and not p.printed("full_name")
    }
    plan.records[:] = [r for r in plan.records if (r.doc_id, r.role) not in blank]

    extra_rng = random.Random(f"sapnhap-samples-extra:{config.seed}")
    n_dup = (
        config.exact_duplicates
        if config.exact_duplicates is not None
        else max(1, round(config.dossiers * 0.03))
    )
    n_broken = (
        config.broken_files if config.broken_files is not None else max(1, round(config.dossiers * 0.05))
    )
    folders = list(scenario.folders)
    originals = list(file_rows)
    n_dup = min(n_dup, len(originals))  # at most one copy of each rendered file
    for i in range(n_dup):
        source = originals[extra_rng.randrange(len(originals))]
        folder = extra_rng.choice([f for f in folders if f != source["folder"]])
        name = f"ban_sao_{i + 1:02d}_{Path(source['path']).name}"
        data = (inbox / source["path"]).read_bytes()
        path = _write(inbox, folder, name, data)
        file_rows.append(
            {
                **source,
                "path": path,
                "folder": folder,
                "expected_outcome": "duplicate",
                "duplicate_of": source["path"],
            }
        )
    kinds = list(BROKEN_KINDS)
    extra_rng.shuffle(kinds)
    for i in range(n_broken):
        kind = kinds[i % len(kinds)]
        data, extension, reason = broken_file(kind, seed=config.seed * 1000 + i)
        folder = extra_rng.choice(folders)
        path = _write(inbox, folder, f"hong_{i + 1:02d}.{extension}", data)
        file_rows.append(
            {"path": path, "folder": folder, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
             "format": kind, "pages": 0, "text_layer": "none", "expected_outcome": "quarantined",
             "expected_reason": reason, "duplicate_of": "", "doc_ids": ""}
        )  # fmt: skip

    truth = out / "ground_truth"
    truth.mkdir(parents=True, exist_ok=True)
    _write_csv(truth / "files.csv", file_rows)
    _write_csv(truth / "pages.csv", page_rows)
    _write_csv(truth / "documents.csv", doc_rows)
    _write_csv(truth / "fields.csv", [asdict(f) for f in fields])
    _write_csv(truth / "persons.csv", [_person_row(p) for p in plan.persons.values()])
    _write_csv(truth / "records.csv", [asdict(r) for r in plan.records])
    reference = out / "reference"
    reference.mkdir(parents=True, exist_ok=True)
    _write_csv(reference / "villages.csv", _village_rows(scenario))
    _write_csv(reference / "population.csv", [_population_row(scenario.new_unit, config.seed)])
    counts = {
        "files": len(file_rows),
        "documents": len(doc_rows),
        "pages": len(page_rows),
        "persons": len(plan.persons),
        "records": len(plan.records),
        "fields": len(fields),
        "exact_duplicate_files": n_dup,
        "broken_files": n_broken,
        "repeated_appearances": sum(1 for r in plan.records if r.variations),
    }
    manifest = {
        "generator": "sapnhap.samples",
        "generator_version": GENERATOR_VERSION,
        "config": asdict(config) | {"workers": None},
        "profile": asdict(profile),
        "scenario": {
            "new_unit": scenario.new_unit,
            "new_unit_name": scenario.new_unit_name,
            "province": scenario.new_province_name,
            "merged_former_communes": list(scenario.merged),
            "former_district": scenario.district_code,
            "former_district_name": scenario.district_name,
            "split_former_communes": [c.code for c in scenario.split_communes()],
        },
        "counts": counts,
        "files": {row["path"]: row["sha256"] for row in file_rows},
    }
    (truth / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return GenerationResult(out, scenario, plan, counts)


# --- planning files -------------------------------------------------------------------------------


def _file_plans(
    plan: Plan, profile: ScanProfile, rng: random.Random
) -> tuple[list[_FilePlan], list[FieldTruth]]:
    files: list[_FilePlan] = []
    fields: list[FieldTruth] = []
    by_folder: dict[str, list] = {}
    for doc in plan.documents:
        pages, truths = lay_out(doc)
        fields.extend(truths)
        by_folder.setdefault(doc.folder, []).append((doc, pages))
    formats = list(profile.format_weights)
    weights = list(profile.format_weights.values())
    for folder in sorted(by_folder):
        queue = by_folder[folder]
        sequence = 0
        while queue:
            sequence += 1
            take = rng.choice((2, 3)) if rng.random() < profile.batch_share and len(queue) > 1 else 1
            batch, queue = queue[:take], queue[take:]
            n_pages = sum(len(p) for _, p in batch)
            fmt = rng.choices(formats, weights)[0]
            if n_pages > 1 and fmt not in _MULTI_PAGE_FORMATS:
                # A profile without any multi-page format still needs one for a CV: a scanned PDF.
                fmt = rng.choice([f for f in formats if f in _MULTI_PAGE_FORMATS] or ["pdf_scan"])
            doc0 = batch[0][0]
            stem = f"scan_lo_{sequence:03d}" if take > 1 else f"{_PREFIX[doc0.doc_type]}_{sequence:04d}"
            fp = _FilePlan(folder, f"{stem}.{_extension(fmt)}", fmt, [d.doc_id for d, _ in batch])
            for doc, pages in batch:
                for page in pages:
                    fp.pages.append(page)
                    fp.page_docs.append(doc.doc_id)
                    fp.effects.append(_effects(profile, fmt, rng))
            fp.seed = rng.getrandbits(32)
            files.append(fp)
    return files, fields


def _effects(profile: ScanProfile, fmt: str, rng: random.Random) -> ScanEffects:
    """Draw one page's scan effects from the profile (a born-digital PDF is not scanned)."""
    dpi = rng.choices(list(profile.dpi_weights), list(profile.dpi_weights.values()))[0]
    skew = (
        round(rng.uniform(-profile.max_skew, profile.max_skew), 2)
        if rng.random() < profile.skew_share
        else 0.0
    )
    rotation = rng.choice((90, 180, 180, 270)) if rng.random() < profile.rotation_share else 0
    speckle = round(rng.uniform(0, profile.speckle_max), 4) if rng.random() < profile.speckle_share else 0.0
    blur = round(rng.uniform(0.3, profile.blur_max), 2) if rng.random() < profile.blur_share else 0.0
    quality = rng.randint(*profile.jpeg_quality) if fmt in ("jpeg", "pdf_scan") else None
    grayscale = rng.random() < profile.grayscale_share
    if fmt == "pdf_digital":
        return ScanEffects()
    return ScanEffects(dpi, skew, rotation, speckle, blur, quality, grayscale)  # type: ignore[arg-type]


def _extension(fmt: str) -> str:
    return {"jpeg": "jpg", "png": "png", "tiff": "tif"}.get(fmt, "pdf")


def _render_one(task: tuple[list[PageSpec], list[ScanEffects], str, int]) -> RenderedFile:
    pages, effects, fmt, seed = task
    return write_file(pages, effects, fmt, seed)  # type: ignore[arg-type]


def _render_all(files: list[_FilePlan], workers: int) -> list[RenderedFile]:
    tasks = [(f.pages, f.effects, f.fmt, f.seed) for f in files]
    if workers <= 1 or len(tasks) < 4:
        return [_render_one(t) for t in tasks]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        return list(pool.map(_render_one, tasks, chunksize=2))


# --- writing --------------------------------------------------------------------------------------


def _prepare(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} is a file, not a folder")
    if out.exists() and any(out.iterdir()):
        if not (out / "ground_truth" / "manifest.json").exists():
            raise FileExistsError(
                f"{out} holds files that sapnhap.samples did not generate; choose an empty folder"
            )
        if not overwrite:
            raise FileExistsError(f"{out} already holds a generated sample; pass --overwrite to replace it")
        for sub in ("inbox", "ground_truth", "reference"):
            shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)


def _write(inbox: Path, folder: str, name: str, data: bytes) -> str:
    path = inbox / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return f"{folder}/{name}"


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        if not rows:
            handle.write("")
            return
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _person_row(person) -> dict:  # noqa: ANN001 - sapnhap.samples.people.Person
    a = person.address
    return {
        "entity_id": person.entity_id,
        "full_name": person.full_name,
        "family_name": person.family_name,
        "middle_name": person.middle_name,
        "given_name": person.given_name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "birth_province_code": person.birth_province_code,
        "personal_id": person.personal_id or "",
        "ethnicity": person.ethnicity,
        "village": a.village,
        "former_commune_code": a.former_commune_code,
        "former_commune_name": a.former_commune_name,
        "new_unit_code": a.new_commune_code,
        "new_unit_name": a.new_commune_name,
        "father_id": person.father_id or "",
        "mother_id": person.mother_id or "",
    }


def _village_rows(scenario: Scenario) -> list[dict]:
    rows = []
    for commune in scenario.district_communes.values():
        for village, target in commune.villages:
            rows.append(
                {"former_commune_code": commune.code, "former_commune_name": commune.name,
                 "village": village, "new_unit_code": target, "new_unit_name": scenario.new_unit_names[target],
                 "former_commune_split": commune.split}
            )  # fmt: skip
    return rows

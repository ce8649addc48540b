"""A region's settings (``region.yml``) and the names that lead to its folder.

``region.yml`` says who publishes, under which methodology, which groups are ranked, and the
letterhead of the letters; year and region names are checked so that no path leaves the inputs or
outputs folders.
"""

from __future__ import annotations

import re
import string
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import InputProblem, InputValidationError, UsageError

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")  # whole name (fullmatch: no trailing newline)


class Signatory(BaseModel):
    """Who signs the letters (``region.yml``: ``signatory: {name: ..., title: ...}``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1)]
    title: Annotated[str, Field(min_length=1)]


class ObjectionWindow(BaseModel):
    """``objections:`` in region.yml: the objection round (masa sanggah) after verification.

    ``until``: the last day objections are received (a date: until the end of that day) or the last
    instant (a date and time, e.g. ``2022-12-22T16:00:00+07:00``); ``utc_offset``: the time zone of
    a date or of a time written without one (default ``+07:00``, WIB)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    until: datetime | date
    utc_offset: str = Field(default="+07:00", pattern=r"^[+-](0\d|1[0-4]):[0-5]\d$")

    def zone(self) -> timezone:
        sign = -1 if self.utc_offset[0] == "-" else 1
        hours, minutes = self.utc_offset[1:].split(":")
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))

    def closes(self) -> datetime:
        """The first instant at which an objection is late (aware)."""
        if isinstance(self.until, datetime):
            return (self.until if self.until.tzinfo else self.until.replace(tzinfo=self.zone())) + timedelta(
                microseconds=1)
        return datetime(self.until.year, self.until.month, self.until.day, tzinfo=self.zone()) + timedelta(days=1)

    def last_day(self) -> date:
        """The deadline's day, in the round's time zone (what documents print)."""
        if isinstance(self.until, datetime):
            return (self.until if self.until.tzinfo else self.until.replace(tzinfo=self.zone())).astimezone(
                self.zone()).date()
        return self.until

    def late(self, received: datetime) -> bool:
        """Whether something received at ``received`` (aware; naive is UTC) came after the deadline."""
        when = received if received.tzinfo else received.replace(tzinfo=timezone.utc)
        return when >= self.closes()


LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg")


class RegionConfig(BaseModel):
    """``region.yml``: who publishes, under which methodology, which groups are ranked.

    Letterhead of ``kiprank letters`` (all optional): ``logo`` (an image file, relative to the region
    folder), ``letter_number`` (a pattern with ``{n}``, the letter's number in report order, and
    optionally ``{year}``, e.g. ``"489/{n:03d}/KIP/2022"``) and ``signatory``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str
    issuer: str
    title: str
    methodology: str
    groups: dict[str, str] = Field(min_length=1)
    data_note: str | dict[str, str] = ""
    report_date: date | None = None
    deadline: date | None = None  # return date printed on the SAQ forms (kiprank forms)
    objections: ObjectionWindow | None = None  # the objection round (masa sanggah): kiprank.core.objections
    # licence of the published tables, in datapackage.json: an SPDX id (CC-BY-4.0, CC0-1.0, ODbL-1.0 ...)
    # or the URL of a licence text; without it the data package names no licence
    license: str | None = Field(default=None, min_length=1, max_length=200)

    logo: str | None = None
    letter_number: str | None = None
    signatory: Signatory | None = None

    @field_validator("letter_number")
    @classmethod
    def _number_pattern(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
            unknown = fields - {"n", "year"}
            if unknown:
                raise ValueError(f"unknown field(s) {', '.join('{' + f + '}' for f in sorted(unknown))}")
            if "n" not in fields:
                raise ValueError("the pattern needs {n} (the letter's number)")
            value.format(n=1, year=2000)
        except (ValueError, IndexError, KeyError) as exc:
            raise ValueError(f"letter number pattern {value!r} cannot be used: {exc} "
                             "(write e.g. \"489/{n:03d}/KIP/{year}\")") from None
        return value

    @field_validator("logo")
    @classmethod
    def _logo_suffix(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().endswith(LOGO_SUFFIXES):
            raise ValueError(f"logo '{value}' must be an image file ({', '.join(LOGO_SUFFIXES)})")
        return value

    def logo_path(self, folder: Path) -> Path | None:
        """The logo file, relative to the region folder (None when there is none)."""
        return None if self.logo is None else (Path(folder) / self.logo)

    def note(self, lang: str) -> str:
        """The data note in ``lang`` (a plain string serves every language)."""
        if isinstance(self.data_note, str):
            return self.data_note
        return self.data_note.get(lang) or self.data_note.get("id") or next(iter(self.data_note.values()), "")


def check_name(value: str, what: str) -> str:
    """Refuse names that could escape the inputs or outputs folders (``../x``, ``a/b``)."""
    text = str(value)
    if not SAFE_NAME.fullmatch(text) or ".." in text:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise UsageError(f"{what} {shown!r} is not allowed: use up to 100 letters, digits, '-', '_' or '.' "
                         "(no slashes, no '..', no spaces or line breaks)")
    return text


def region_folder(inputs_root: Path, year: int | str, region: str) -> Path:
    return Path(inputs_root) / check_name(str(year), "year") / check_name(region, "region")


def find_inputs_root(inputs_root: str | Path, year: int | str, region: str) -> Path:
    """Where ``<inputs_root>/<year>/<region>`` is, for a notebook opened by hand: an absolute root as
    given; a relative one from the working folder or, failing that, from its two parent folders
    (so a notebook finds ``inputs/`` whether it runs from the project folder or from a subfolder)."""
    root = Path(inputs_root)
    if root.is_absolute():
        return root
    cwd = Path.cwd()
    for base in (cwd, *list(cwd.parents)[:2]):
        if (base / root / str(year) / str(region)).is_dir():
            return base / root
    return root


def load_config(folder: Path) -> RegionConfig:
    from .yamlfile import YamlFileError, load_yaml

    path = folder / "region.yml"
    if not path.is_file():
        raise InputValidationError([InputProblem(str(path), None, None, "file is missing")])
    try:
        data = load_yaml(path)
    except YamlFileError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise InputValidationError([InputProblem(str(path), None, None, where + exc.reason)]) from None
    if data is not None and not isinstance(data, dict):
        raise InputValidationError([InputProblem(str(path), None, None, "expected a mapping (region: ..., title: ...)")])
    try:
        config = RegionConfig.model_validate(data or {})
    except ValidationError as exc:
        raise InputValidationError([
            InputProblem(str(path), None, ".".join(map(str, e["loc"])) or None, e["msg"].removeprefix("Value error, "))
            for e in exc.errors()
        ]) from exc
    logo = config.logo_path(folder)
    if logo is not None and not logo.is_file():
        raise InputValidationError([InputProblem(str(path), None, "logo", f"logo file {logo} not found")])
    if logo is not None:
        why = logo_problem(logo)
        if why:
            raise InputValidationError([InputProblem(str(path), None, "logo", f"logo {logo}: {why}")])
    return config


LOGO_MAX_BYTES = 5 * 1024 * 1024
LOGO_MAX_PIXELS = 25_000_000  # a letterhead needs far less; a larger image would cost gigabytes to draw


def logo_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels from a PNG, GIF or JPEG header (None: not found)."""
    import struct

    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            length = struct.unpack(">H", data[i + 2:i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return width, height
            i += 2 + length
    return None


def logo_problem(path: Path) -> str | None:
    """Why a logo cannot be used (too large a file, or an image of too many pixels to draw), or None."""
    size = path.stat().st_size
    if size > LOGO_MAX_BYTES:
        return f"the file is {size / 2**20:.1f} MiB; a logo may be at most {LOGO_MAX_BYTES // 2**20} MiB"
    with open(path, "rb") as handle:
        head = handle.read(min(size, 1 << 20))
    dims = logo_size(head)
    if dims and dims[0] * dims[1] > LOGO_MAX_PIXELS:
        return (f"the image is {dims[0]:,} x {dims[1]:,} pixels; a logo may have at most "
                f"{LOGO_MAX_PIXELS:,} pixels (make it smaller, e.g. 1000 pixels wide)")
    return None


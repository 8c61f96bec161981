"""The paper every export shares: file names, the build date, fonts, page sizes, atomic writes.

    stem = safe_name(shot.id)                 # "1A/b" -> "1A_b"
    day = build_date(None)                    # SOURCE_DATE_EPOCH when set, else today
    regular, bold = find_fonts(("DejaVuSans",)) or (None, None)
    width_mm, height_mm = paper_size_mm("A4")
    write_atomic(path, data)                  # from previs.export.atomic, re-exported here

Fonts: ``PREVIS_PDF_FONT`` (and ``PREVIS_PDF_FONT_BOLD``) when set, else the DejaVu Sans
Condensed shipped in ``previs/data/fonts`` (so a PDF embeds the same glyphs on every machine),
else the first family asked for found in the usual font folders (matplotlib's bundled DejaVu
among them), else ``fc-match``; None when there is none (the caller falls back to a core PDF font
or PIL's default).

Paper: :func:`default_paper` is Letter where the locale (``LC_ALL``, ``LC_PAPER``, ``LANG``) names
the United States or Canada, else A4; ``previs export --paper`` overrides it.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from previs.errors import ExportError, PrevisError
from previs.export.atomic import write_atomic, write_png

__all__ = [
    "safe_name",
    "build_date",
    "find_fonts",
    "bundled_fonts",
    "FONT_DIRS",
    "PAPER_MM",
    "paper_name",
    "paper_size_mm",
    "default_paper",
    "write_atomic",
    "write_png",
]


def safe_name(s) -> str:
    """File-name form of a shot id or scene stem: anything outside ``[A-Za-z0-9._-]`` (and
    non-ASCII letters and digits) becomes ``_``; never empty."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(s)) or "_"


def build_date(when=None) -> _dt.date:
    """The date printed on paperwork: ``when`` (a date, a datetime or ``YYYY-MM-DD``), else the
    reproducible-builds ``SOURCE_DATE_EPOCH`` when set, else today."""
    if when is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch and epoch.strip().isdigit():
            return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC).date()
        return _dt.date.today()
    if isinstance(when, _dt.datetime):
        return when.date()
    if isinstance(when, _dt.date):
        return when
    try:
        return _dt.date.fromisoformat(str(when))
    except ValueError:
        raise PrevisError(f"date '{when}' is not YYYY-MM-DD") from None


# ---------------------------------------------------------------- fonts
FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/truetype",
    "/usr/local/share/fonts",
    "/opt/homebrew/share/fonts",
    "~/Library/Fonts",
    "/Library/Fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "C:/Windows/Fonts",
)


def _font_dirs() -> list[Path]:
    dirs = [Path(d).expanduser() for d in FONT_DIRS]
    try:  # matplotlib bundles DejaVu Sans: a machine without system fonts often has it
        import matplotlib

        dirs.append(Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf")
    except ImportError:
        pass
    return dirs


def _pair(regular: Path, bold_name: str) -> tuple[Path, Path]:
    bold = regular.with_name(bold_name)
    return regular, bold if bold.is_file() else regular


BUNDLED_FAMILY = "DejaVuSansCondensed"


def bundled_fonts() -> tuple[Path, Path] | None:
    """(regular, bold) of the DejaVu Sans Condensed shipped with previs (package data), or None
    in a broken install that lacks them."""
    from importlib.resources import files

    folder = Path(str(files("previs.data") / "fonts"))
    regular, bold = folder / f"{BUNDLED_FAMILY}.ttf", folder / f"{BUNDLED_FAMILY}-Bold.ttf"
    return (regular, bold) if regular.is_file() and bold.is_file() else None


def find_fonts(
    families: Sequence[str] = ("DejaVuSansCondensed", "DejaVuSans"), *, bundled: bool = True
) -> tuple[Path, Path] | None:
    """(regular, bold) TTF files: ``PREVIS_PDF_FONT``, else the bundled DejaVu Sans Condensed
    (``bundled=False`` skips it), else the first of ``families`` (file stems, e.g.
    ``DejaVuSans``) found on the system; the bold is the regular where there is no bold."""
    env = os.environ.get("PREVIS_PDF_FONT")
    if env:
        regular = Path(env).expanduser()
        if not regular.is_file():
            raise ExportError(f"PREVIS_PDF_FONT: no font file {regular}")
        bold = Path(os.environ.get("PREVIS_PDF_FONT_BOLD", "") or regular).expanduser()
        return regular, bold if bold.is_file() else regular
    if bundled:
        own = bundled_fonts()
        if own is not None:
            return own
    dirs = _font_dirs()
    for family in families:
        for d in dirs:
            if (d / f"{family}.ttf").is_file():
                return _pair(d / f"{family}.ttf", f"{family}-Bold.ttf")
    if shutil.which("fc-match"):
        for family in families:
            name = family.replace("DejaVuSans", "DejaVu Sans ").strip()  # "DejaVu Sans Condensed"
            try:
                res = subprocess.run(
                    ["fc-match", "-f", "%{file}", name],
                    capture_output=True,
                    text=True,
                    timeout=10,
                    check=False,
                )
            except (OSError, subprocess.SubprocessError):
                break
            r = Path(res.stdout.strip())
            if (
                res.returncode == 0
                and "dejavu" in r.name.lower()
                and r.suffix.lower() == ".ttf"
                and r.is_file()
            ):
                return _pair(r, r.stem + "-Bold.ttf")
    return None


# ---------------------------------------------------------------- paper
PAPER_MM = {"letter": (215.9, 279.4), "a4": (210.0, 297.0)}
"""Portrait (width, height) of each paper size, millimetres."""


def paper_name(paper: str) -> str:
    """The paper's key in :data:`PAPER_MM` (``"A4"`` -> ``"a4"``); unknown paper is a user error."""
    key = str(paper).lower()
    if key not in PAPER_MM:
        raise PrevisError(f"unknown paper '{paper}' (use one of: {', '.join(PAPER_MM)})")
    return key


LETTER_TERRITORIES = ("US", "CA")
"""Locale territories whose default paper is Letter (everywhere else: A4)."""


def default_paper(environ=None) -> str:
    """``letter`` when the locale's territory (``LC_ALL``, then ``LC_PAPER``, then ``LANG``:
    ``en_US.UTF-8`` -> ``US``) is one of :data:`LETTER_TERRITORIES`, else ``a4``."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_PAPER", "LANG"):
        value = env.get(var) or ""
        if value:
            lang = value.split(".")[0].split("@")[0]
            territory = lang.split("_")[1].upper() if "_" in lang else ""
            return "letter" if territory in LETTER_TERRITORIES else "a4"
    return "a4"


def paper_size_mm(paper: str) -> tuple[float, float]:
    """Portrait (width, height) in millimetres of ``letter`` or ``A4`` (any case)."""
    return PAPER_MM[paper_name(paper)]

"""The ledger as an xlsx workbook (openpyxl): one sheet of figures, one sheet per record kind.

A renderer only: it formats the figures and tables the service built. Every sheet has a bold header
row that stays in view (frozen), Chinese headers, column widths fitted to the content (CJK characters
count double), dates as Excel dates (yyyy-mm-dd), m² with 2 decimals and mu with 4 (the reported
figures of :mod:`guotu.core.units`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from guotu.core.messages import tr
from guotu.ledger.model import Figure

TEXT, DATE, INTEGER, REAL, AREA_M2, AREA_MU = "TEXT", "DATE", "INTEGER", "REAL", "AREA_M2", "AREA_MU"
FORMATS = {DATE: "yyyy-mm-dd", INTEGER: "0", REAL: "0.00", AREA_M2: "0.00", AREA_MU: "0.0000"}
MAX_WIDTH = 60
MAX_CELL = 32000  # Excel holds at most 32 767 characters in a cell
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]


def _width(value: Any) -> int:
    text = value.isoformat() if isinstance(value, dt.date) else "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _sheet_name(title: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", title)[:31] or "sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f"({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _cell_text(value: str) -> str:
    return value if len(value) <= MAX_CELL else value[: MAX_CELL - 1] + "…"


def figure_sheet(figures: Sequence[Figure]) -> Sheet:
    """The figures as a table: id, label, value, unit, definition, breakdown, record ids."""
    titles = tr("ledger.xlsx.figure_columns").split("|")
    kinds = (TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT)  # values keep their own decimals (General format)
    rows = [[f.id, f.label, f.value, f.unit, f.definition,
             "；".join(f"{k} {v}" for k, v in f.breakdown), _cell_text("、".join(f.records))] for f in figures]
    return Sheet(tr("ledger.xlsx.figures_sheet"), [Column(t, k) for t, k in zip(titles, kinds, strict=True)], rows)


def write_workbook(path: str | Path, figures: Sequence[Figure], sheets: Sequence[Sheet], title: str = "") -> Path:
    """Write the figures sheet then ``sheets`` to ``path`` (replaced if it exists)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    if title:
        book.properties.title = title
    first = book.active
    assert first is not None
    book.remove(first)
    taken: set[str] = set()
    for sheet in (figure_sheet(figures), *sheets):
        ws = book.create_sheet(_sheet_name(sheet.title, taken))
        ws.append([c.title for c in sheet.columns])
        for row in sheet.rows:
            ws.append([_cell_text(v) if isinstance(v, str) else v for v in row])
        for j, column in enumerate(sheet.columns, start=1):
            header = ws.cell(row=1, column=j)
            header.font, header.fill = _HEADER_FONT, _HEADER_FILL
            header.alignment = Alignment(vertical="center", wrap_text=True)
            fmt = FORMATS.get(column.kind)
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    if cell.value is not None:
                        cell.number_format = fmt
            widest = max([_width(column.title), *(_width(r[j - 1]) for r in sheet.rows)])
            ws.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, widest + 2)
        ws.freeze_panes = "A2"
    book.save(out)
    return out

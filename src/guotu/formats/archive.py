"""Zip archives as users send them (a zipped Shapefile), unpacked safely.

Entry names are checked (no absolute paths, no ``..``), the unpacked size is limited before anything
is written, and names that Windows tools store in GBK without the UTF-8 flag are decoded as GBK, so
``红线.shp`` stays ``红线.shp``.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path, PurePosixPath

from guotu.core.errors import FormatError, TooLargeError

SITE_SUFFIXES = (".shp", ".geojson", ".json", ".gpkg", ".txt")
_UTF8_FLAG = 0x800


def entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as its author wrote it (GBK when the UTF-8 flag is not set and it decodes)."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def extract_zip(path: Path, dest: Path, *, max_bytes: int, max_files: int = 200, source: str = "") -> list[Path]:
    """Unpack ``path`` into ``dest``; returns the files written."""
    source = source or path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FormatError("archive.bad_zip", source=source) from exc
    with archive:
        members = [i for i in archive.infolist() if not i.is_dir()]
        if len(members) > max_files:
            raise FormatError("archive.too_many_files", source=source, count=len(members), maximum=max_files)
        total = sum(i.file_size for i in members)
        if total > max_bytes:
            raise TooLargeError("archive.too_large", source=source, size_mb=f"{total / 2**20:.1f}",
                                limit_mb=f"{max_bytes / 2**20:.1f}")
        out: list[Path] = []
        for info in members:
            name = entry_name(info)
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if not parts or name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                raise FormatError("archive.unsafe_name", source=source, name=name[:80])
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, NotImplementedError) as exc:
                raise FormatError("archive.bad_entry", source=source, name=name[:80], detail=str(exc)[:80]) from exc
            out.append(target)
    return out


def site_file(files: list[Path], source: str) -> Path:
    """The one site file among unpacked files: a single Shapefile, else a single other supported file."""
    visible = [f for f in files if not f.name.startswith(".") and "__MACOSX" not in f.parts]
    shapefiles = [f for f in visible if f.suffix.lower() == ".shp"]
    if len(shapefiles) > 1:
        raise FormatError("archive.many_sites", source=source, names=", ".join(f.name for f in shapefiles[:5]))
    if shapefiles:
        return shapefiles[0]
    others = [f for f in visible if f.suffix.lower() in SITE_SUFFIXES]
    if len(others) == 1:
        return others[0]
    if others:
        raise FormatError("archive.many_sites", source=source, names=", ".join(f.name for f in others[:5]))
    raise FormatError("archive.no_site", source=source)

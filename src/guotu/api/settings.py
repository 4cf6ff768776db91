"""Settings of the web service, from the environment (prefix ``GUOTU_``) or given in code."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """``GUOTU_DB``, ``GUOTU_HOST``, ``GUOTU_PORT``, ``GUOTU_MAX_UPLOAD_MB``, ``GUOTU_SESSION_HOURS``,
    ``GUOTU_PUBLIC_READ``, ``GUOTU_LANG``, ``GUOTU_TILE_CACHE_ENTRIES``, ``GUOTU_STATIC_DIR``,
    ``GUOTU_DASK_SCHEDULER``…"""

    model_config = SettingsConfigDict(env_prefix="GUOTU_", extra="ignore")

    db: str = Field(default="", description="the store: a GeoPackage path or a postgresql:// URL")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_upload_mb: float = Field(default=20.0, gt=0, description="largest accepted request body (uploads, JSON)")
    max_unpacked_mb: float = Field(default=200.0, gt=0, description="largest unpacked size of an uploaded zip")
    session_hours: float = Field(default=12.0, gt=0, description="how long a login lasts")
    public_read: bool = Field(default=True, description="anonymous callers may read and run reviews")
    lang: str = Field(default="zh", pattern="^(zh|en)$", description="language of reports (errors carry both)")
    tile_cache_entries: int = Field(default=2048, ge=0, description="tiles kept in memory (LRU)")
    tile_max_zoom: int = Field(default=18, ge=0, le=24, description="maxzoom announced in TileJSON")
    max_items: int = Field(default=10_000, ge=1, description="largest page of features (limit)")
    static_dir: str = Field(default="", description="the web page's files (default: guotu/web/static)")
    dask_scheduler: str = Field(default="", description="Dask scheduler of `guotu overlay --engine dask` "
                                "(tcp://HOST:8786); empty: a local cluster of 2 worker processes")
    dask_connect_timeout_s: float = Field(default=10.0, gt=0, description="how long to wait for the Dask scheduler")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 2**20)

    def static_path(self) -> Path:
        if self.static_dir:
            return Path(self.static_dir)
        return Path(__file__).resolve().parent.parent / "web" / "static"

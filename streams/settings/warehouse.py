"""ClickHouse: where it is, and the limits on analysts' queries."""

from __future__ import annotations

from pydantic import Field

from streams.settings.base import CONFIG, AppSettings


class WarehouseSettings(AppSettings):
    model_config = CONFIG

    clickhouse_dsn: str = Field(
        "",
        description="clickhouse-connect DSN; empty means the embedded chDB under PULSE_HOME.",
    )
    owner_port: int = Field(
        0, ge=0, description="Loopback port of the running pipeline's warehouse endpoint (0: any)."
    )
    query_timeout_seconds: float = Field(
        30.0, gt=0, description="`pulse query` (and other read-only analyst queries) stops "
        "after this long.")
    query_max_rows: int = Field(
        10000, ge=1, description="`pulse query` returns at most this many rows (and says so).")

    @property
    def dsn(self) -> str:
        return self.clickhouse_dsn or f"chdb://{self.home_dir / 'clickhouse'}"

    @property
    def embedded(self) -> bool:
        return self.dsn.startswith("chdb:")

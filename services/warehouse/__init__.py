"""ClickHouse for the services: connections (``engine``), migrations, the warehouse the
commands use (``direct``), and the embedded engine's holder (``holder``, with ``wire``)."""

from services.warehouse.direct import DirectWarehouse, QueryResult, Warehouse, single_statement
from services.warehouse.engine import ENGINE_LOCK, WarehouseBusy, connect
from services.warehouse.holder import (
    HolderServer,
    SharedClient,
    WarehouseError,
    holder_file,
    open_warehouse,
    running_holder,
)
from services.warehouse.migrations import (
    MIGRATIONS_DIR,
    SERVER_MIGRATIONS_DIR,
    migrate,
    migration_files,
    statements,
)

__all__ = [
    "ENGINE_LOCK", "MIGRATIONS_DIR", "SERVER_MIGRATIONS_DIR", "DirectWarehouse",
    "HolderServer", "QueryResult", "SharedClient", "Warehouse", "WarehouseBusy",
    "WarehouseError", "connect", "holder_file", "migrate", "migration_files", "open_warehouse",
    "running_holder", "single_statement", "statements",
]

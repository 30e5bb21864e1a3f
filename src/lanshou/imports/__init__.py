"""Import order exports (generic, 抖店, Olist) into the database: ``import_orders``.

Modules, outside in: ``service`` (the entry: chunks of records into the database),
``shipments_table`` (the same chunks as a DuckDB table, for ``lanshou check``), ``stream`` (the
one reading layer: any source as chunks of order records), ``olist`` (the two-file data set),
``scans`` (tracking files, read for ``check`` and for ``tracking``: ``import tracking`` into the
inbox), ``run`` (what they share: counters, progress, rejects, chunk writes,
the date scan), ``shop_orders`` (rows → orders), ``records`` and ``dates`` (parsing, pure),
``reading`` (CSV/XLSX streams), ``mapping`` (validated YAML layouts), ``upsert`` (one chunk into
the database), ``rejects`` (the rejects file).
"""

from typing import TYPE_CHECKING

from lanshou.imports.mapping import GENERIC_HEADER
from lanshou.imports.phone import phone_tail
from lanshou.imports.records import ItemRecord, OrderRecord, ShipmentRecord
from lanshou.imports.shipments_table import export_reader
from lanshou.lazy import exports_on_first_use

if TYPE_CHECKING:
    from lanshou.imports.run import CHUNK, ImportProgress, ImportSummary
    from lanshou.imports.service import SOURCES, import_orders
    from lanshou.imports.tracking import TrackingImportSummary, import_tracking
    from lanshou.imports.upsert import OrderWriter, ensure_platform

# The database side (SQLAlchemy, the models, enforcement) is imported on first use, so that
# `lanshou check`, which reads files only, starts without it (about 1.7 s of CPU).
_ON_FIRST_USE = {
    # Plain data classes `check` uses too (its summary and warnings), without the database.
    **dict.fromkeys(("CHUNK", "ImportProgress", "ImportSummary"), "run"),
    "SOURCES": "service",
    "import_orders": "service",
    "TrackingImportSummary": "tracking",
    "import_tracking": "tracking",
    "OrderWriter": "upsert",
    "ensure_platform": "upsert",
}


__getattr__ = exports_on_first_use(__name__, _ON_FIRST_USE)


__all__ = [
    "CHUNK",
    "GENERIC_HEADER",
    "SOURCES",
    "ImportProgress",
    "ImportSummary",
    "ItemRecord",
    "OrderRecord",
    "OrderWriter",
    "ShipmentRecord",
    "TrackingImportSummary",
    "ensure_platform",
    "export_reader",
    "import_orders",
    "import_tracking",
    "phone_tail",
]

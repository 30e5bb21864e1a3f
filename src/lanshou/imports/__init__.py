"""Import order exports (generic, 抖店, Olist) into the database: ``import_orders``.

Modules, outside in: ``service`` (the entry: a shop export's two passes and chunking),
``olist`` (the two-file data set), ``run`` (what both share: counters, progress, chunk writes,
the date scan), ``shop_orders`` (rows → orders), ``records`` and ``dates`` (parsing, pure),
``reading`` (CSV/XLSX streams), ``mapping`` (validated YAML layouts), ``upsert`` (one chunk into
the database), ``rejects`` (the rejects file).
"""

from lanshou.imports.service import CHUNK, SOURCES, ImportProgress, ImportSummary, import_orders

__all__ = ["CHUNK", "SOURCES", "ImportProgress", "ImportSummary", "import_orders"]

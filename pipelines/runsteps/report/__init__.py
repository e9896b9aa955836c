"""The nightly report: one self-contained HTML file, a short text summary, and the headline figures.

`runsteps report`, `runsteps nightly` and the demo call `write_report`; tests and notebooks can
call `report_figures` for the numbers alone. Both read only the marts (schema `analytics`) and, for
freshness and warnings, the raw tables `load_issues`, `threads` and dlt's `_dlt_loads`.

Modules, one job each: `warehouse` (connecting, read-only and per query), `literals` (values in
and out of SQL), `queries` and `drilldown` (all the SQL, the notebook's too), `periods` (which
days), `figures` (headline arithmetic), `data` (collecting it all), `palette`, `svg` and `charts`
(drawing), `page` (HTML), `summary` (text), `build` (writing the file), `notebook` (finding and
opening the shipped notebook).
"""

from runsteps.report.build import report_figures, write_report
from runsteps.report.warehouse import ModelsMissingError, WarehouseBusyError

__all__ = ["ModelsMissingError", "WarehouseBusyError", "report_figures", "write_report"]

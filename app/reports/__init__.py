"""Study reports: the figures and tables of ``docs/results.md``, remade by one command.

``sparsescope report KIND --out docs/`` reads the warehouse, writes PNG figures and Markdown
tables under ``<out>/figures/<kind>/`` and prints what it wrote. Every study kind registers one
report function with :func:`register_report`; ``docs/results.md`` embeds the files, so anyone can
regenerate the plots from their own runs instead of trusting hand-made pictures.
"""

# Importing the modules registers their reports.
from app.reports import nas as _nas  # noqa: E402,F401  (registration side effect)
from app.reports import priors as _priors  # noqa: E402,F401  (registration side effect)
from app.reports import pruning_ffn as _pruning_ffn  # noqa: E402,F401
from app.reports import pruning_rnn as _pruning_rnn  # noqa: E402,F401  (registration side effect)
from app.reports.registry import (
    Report,
    ReportOutput,
    create_report,
    list_reports,
    register_report,
)

__all__ = ["Report", "ReportOutput", "create_report", "list_reports", "register_report"]

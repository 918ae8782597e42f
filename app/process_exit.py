"""End the console script without the interpreter's teardown after a command that asks for it.

When a Python process exits normally, the interpreter tears itself down: it runs exit
handlers, clears every module and frees what the native libraries hold. After a ``regress``
that is 0.4–0.8 s — scikit-learn, SciPy, XGBoost and their thread pools take that long to
unload (measured: importing ``sklearn`` alone adds 0.3 s to an empty script's exit) — spent
after the last line of output, on nothing. A command that has written its output and holds
nothing that needs closing (no open warehouse connection, no child process or cluster still
running, no file half-written) calls :func:`skip_teardown`; the console script then flushes
the standard streams and ends the process at once (:func:`os._exit`) with the same status.

Only the console script does this (:func:`end_process`, called by ``app.cli.console_main``);
``app.cli.main`` — which the tests and embedding code call — always returns or raises as
usual, so the calling process never ends early. Commands that start services (``dashboard``,
``--executor ray``) or write the warehouse never ask for it.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

__all__ = ["end_process", "keep_teardown", "skip_teardown", "teardown_skipped"]

_REQUEST = {"skip": False}


def skip_teardown() -> None:
    """Let the console script end the process without the teardown once this command returns.

    Call it as a command's last step, after its output is written: nothing may still need
    closing or flushing except ``sys.stdout`` and ``sys.stderr``.
    """
    _REQUEST["skip"] = True


def keep_teardown() -> None:
    """Undo :func:`skip_teardown` (the console script calls it before each command)."""
    _REQUEST["skip"] = False


def teardown_skipped() -> bool:
    """Whether the command that ran asked for :func:`skip_teardown`."""
    return _REQUEST["skip"]


def end_process(code: int | str | None) -> NoReturn:
    """End with ``code`` as ``sys.exit(code)`` would; without the teardown if it was asked for.

    A string code is printed to stderr with status 1 and ``None`` is status 0, as for
    ``SystemExit``. The teardown is skipped only on success (status 0).
    """
    if (code == 0 or code is None) and _REQUEST["skip"]:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    raise SystemExit(code)

"""Refuse to start worker processes from a script's unguarded top level, naming the fix.

Worker processes started by ``multiprocessing``'s forkserver (or spawn) re-import the main
script before their first task. A script that asks for workers at its top level, outside
``if __name__ == "__main__":``, would ask again in every worker while it is being imported;
``multiprocessing`` then kills the worker and the caller only sees ``BrokenProcessPool``.
:func:`require_main_guard` finds that case before any worker starts: it looks for the frame
running the main script's module code and checks, with the script's syntax tree, whether the
line it is on lies inside an ``if __name__ == "__main__":`` block.

Notebooks, ``python -c`` and interactive sessions have no script file and pass; so does a
call from a function defined in the script, as long as the script calls that function under
the guard, and a script that another program runs as ``__main__`` (Streamlit's pages: the
dashboard asks for fits on a button press, not when a worker re-imports the page).
"""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path
from types import FrameType

__all__ = ["require_main_guard"]


def require_main_guard(workers: int) -> None:
    """Raise if the main script reached this call from unguarded top-level code.

    Parameters
    ----------
    workers:
        The worker processes about to start (for the message).

    Raises
    ------
    RuntimeError
        The main script runs this call at its top level outside
        ``if __name__ == "__main__":``; the message names the script, the line and the fix.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None:
        return
    frame = _main_module_frame(main.__dict__)
    if frame is None or not _started_by_the_interpreter(frame):
        return
    line = frame.f_lineno
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return  # cannot read the script: let multiprocessing report what it finds
    if any(_is_main_guard(node) and node.lineno <= line <= node.end_lineno for node in tree.body):
        return
    raise RuntimeError(
        f"The script {path} asks for {workers} worker processes at its top level (line "
        f'{line}), outside an `if __name__ == "__main__":` block. Worker processes re-import '
        "the script before their first fit, so each would run this call again and fail. Put the "
        'script\'s top-level code under `if __name__ == "__main__":` (as any '
        "multiprocessing code needs), or pass n_jobs=1 to fit in this process."
    )


def _main_module_frame(main_globals: dict) -> FrameType | None:
    """The frame running the main script's module-level code, if it is on the stack."""
    frame = inspect.currentframe()
    while frame is not None:
        if frame.f_globals is main_globals and frame.f_code.co_name == "<module>":
            return frame
        frame = frame.f_back
    return None


def _started_by_the_interpreter(frame: FrameType) -> bool:
    """Whether ``python script.py`` or ``python -m module`` runs this module-level code.

    A host that runs the script itself, as Streamlit runs a dashboard page under the name
    ``__main__`` on every rerun, has its own frames below the script's: such a script is not
    refused (its workers re-import it as before; a host only asks for fits on user action).
    """
    import runpy

    runpy_files = {runpy.__file__, "<frozen runpy>"}  # ``python -m`` runs through runpy
    frame = frame.f_back
    while frame is not None:
        if frame.f_code.co_filename not in runpy_files:
            return False
        frame = frame.f_back
    return True


def _is_main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` (either operand order)."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    operands = [test.left, test.comparators[0]]
    names = [o for o in operands if isinstance(o, ast.Name) and o.id == "__name__"]
    constants = [o for o in operands if isinstance(o, ast.Constant) and o.value == "__main__"]
    return len(names) == 1 and len(constants) == 1

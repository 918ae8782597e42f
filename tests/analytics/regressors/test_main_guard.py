"""A script asking for fit workers outside ``if __name__ == "__main__":`` gets a clear error.

The scripts run in their own interpreter, as a user's would: the check looks at the main
script's own frames and source.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

PREAMBLE = """\
from analytics.regressors.fit_pool import FitTask, run_tasks


def squares():
    return run_tasks([FitTask(pow, (base, 2)) for base in range(4)], workers=2)
"""


def _run(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    script = tmp_path / "user_script.py"
    script.write_text(PREAMBLE + textwrap.dedent(body))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, str(script)], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_an_unguarded_top_level_call_names_the_script_line_and_fix(tmp_path):
    done = _run(tmp_path, "\nprint(squares())\n")
    assert done.returncode == 1
    assert "BrokenProcessPool" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: The script ")
    assert f"{tmp_path / 'user_script.py'} asks for 2 worker processes" in last
    assert "(line 7)" in last  # the print(squares()) line
    assert 'under `if __name__ == "__main__":`' in last and "n_jobs=1" in last


def test_the_same_call_under_the_guard_runs_on_workers(tmp_path):
    done = _run(tmp_path, '\nif "__main__" == __name__:\n    print(squares())\n')
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[0, 1, 4, 9]"

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
# Each run takes seconds; the limit only turns a hang into a failure, and is generous
# because the whole suite on two busy cores once made fresh interpreters take minutes.
TIMEOUT = 600

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
        timeout=TIMEOUT,
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


HOST = """\
import sys
import types
from pathlib import Path


def run_page(path):  # as Streamlit runs a page: a fresh module named __main__, then exec
    page = types.ModuleType("__main__")
    page.__file__ = str(path)
    sys.modules["__main__"] = page
    exec(compile(Path(path).read_text(), str(path), "exec"), page.__dict__)


if __name__ == "__main__":
    run_page(sys.argv[1])
"""


def test_a_page_that_a_host_program_runs_as_main_is_not_refused(tmp_path):
    # The page asks for workers from its top level, but only in the host (a Streamlit page
    # asks on a button press): a worker re-importing it (as __mp_main__) does not ask again.
    page = tmp_path / "page.py"
    page.write_text(PREAMBLE + textwrap.dedent("""
        if __name__ != "__mp_main__":
            print(squares())
    """))  # fmt: skip
    host = tmp_path / "host.py"
    host.write_text(HOST)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, str(host), str(page)], env=env, cwd=tmp_path, capture_output=True,
        text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[0, 1, 4, 9]"


def test_an_unguarded_module_run_with_python_m_is_refused_too(tmp_path):
    (tmp_path / "user_module.py").write_text(PREAMBLE + "\nprint(squares())\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(tmp_path)]))
    done = subprocess.run(
        [sys.executable, "-m", "user_module"], env=env, cwd=tmp_path, capture_output=True,
        text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("RuntimeError: The script ")

"""The report registry: duplicates refused, unknown names listed, bad input refused cleanly."""

from __future__ import annotations

import pytest

from app.reports import create_report, list_reports, register_report
from app.reports.registry import _REPORTS


def test_duplicate_kind_is_refused():
    kind = list_reports()[0]
    with pytest.raises(ValueError, match=f"report for study kind '{kind}' is already registered"):
        register_report(kind)(lambda db, *, out, study=None: None)
    assert _REPORTS[kind].__module__.startswith("app.reports.")  # the original stays


def test_unknown_kind_lists_the_valid_ones(tmp_path):
    with pytest.raises(KeyError, match="valid reports: .*priors"):
        create_report("no-such-kind", tmp_path / "w.duckdb", out=tmp_path)


@pytest.mark.parametrize("kind", list_reports())
def test_every_report_refuses_a_warehouse_without_its_study(kind, empty_db, tmp_path):
    with pytest.raises(LookupError, match=kind):
        create_report(kind, empty_db, out=tmp_path / "docs")
    written = list((tmp_path / "docs").rglob("*.*"))
    assert written == []  # nothing half-written


@pytest.mark.parametrize("kind", list_reports())
def test_every_report_names_a_missing_study(kind, priors_db, tmp_path):
    with pytest.raises(LookupError, match="no-such-study"):
        create_report(kind, priors_db.path, out=tmp_path, study="no-such-study")

"""The priors report's regressor table (paper §4.3): R² per cell type, ours beside the paper's.

The paper trained Bayesian Ridge, a random forest and AdaBoost on the 200 networks of each cell
type and reported one R² each, from one 90/10 split of min-max-scaled rows (20 test rows). This
table shows, per cell type and regressor:

* ``CV R²``: mean ± std over repeated 5-fold cross-validation (3 repeats, scaling inside the
  folds) — the honest estimate, what ``sparsescope regress`` reports as ``cv_r2_mean``;
* ``paper protocol``: our R² under the paper's own protocol (rows in stored order, scaling on
  all rows, one split with ``random_state=7``), which is a single small test split: with 20 test
  rows it moves by ±0.1 and more between seeds of anything, so it is shown, not trusted;
* ``paper``: the paper's number (XGBoost is ours only; the paper did not fit it).

The numbers come from :func:`analytics.regressors.evaluate_regressors` with the default
regressors and seed 0, on every structural feature (metric-like columns left out, as the CLI
does).
"""

from __future__ import annotations

import polars as pl

from analytics.regressors import evaluate_regressors
from app.reports.paper_values import PAPER_PRIORS_R2

__all__ = ["regressor_markdown", "regressor_scores"]

_TARGET, _BY = "test_acc", "cell"
_CELL_ORDER = ("tanh", "relu", "lstm", "gru")
_NAMES = {
    "bayesian_ridge": "Bayesian Ridge",
    "random_forest": "random forest",
    "adaboost": "AdaBoost",
    "xgboost": "XGBoost",
}


def regressor_scores(frame: pl.DataFrame, *, features: list[str], n_jobs: int = -1) -> pl.DataFrame:
    """Scores per cell type and default regressor, with the paper's R² (NaN where it has none).

    Columns: ``cell, regressor, n, cv_r2_mean, cv_r2_std, paper_r2, paper_reported, note``.
    """
    scores = evaluate_regressors(
        frame, target=_TARGET, features=features, by=_BY, n_jobs=n_jobs
    ).scores
    reported = pl.DataFrame(
        [
            {"group": cell, "regressor": name, "paper_reported": r2}
            for cell, by_name in PAPER_PRIORS_R2.items()
            for name, r2 in by_name.items()
        ]
    )
    return (
        scores.select("group", "regressor", "n", "cv_r2_mean", "cv_r2_std", "paper_r2", "note")
        .join(reported, on=["group", "regressor"], how="left")
        .with_columns(pl.col("paper_reported").fill_null(float("nan")))
        .rename({"group": _BY})
        .select(
            _BY, "regressor", "n", "cv_r2_mean", "cv_r2_std", "paper_r2", "paper_reported", "note"
        )  # fmt: skip
    )


def regressor_markdown(scores: pl.DataFrame, *, study: str) -> str:
    """The scores as Markdown: one row per cell type and regressor, ours beside the paper's."""
    present = scores[_BY].unique().to_list()
    cells = [c for c in _CELL_ORDER if c in present] + sorted(
        c for c in present if c not in _CELL_ORDER
    )
    lines = [
        f"R² of structural performance regressors predicting test accuracy, study `{study}` "
        "(CV: repeated 5-fold × 3, scaling inside the folds, mean ± std over the 15 folds; paper "
        "protocol: one 90/10 split, min-max scaling on all rows, `random_state=7`).",
        "",
        "| cell | regressor | n | CV R² | paper protocol (ours) | paper |",
        "|---|---|---|---|---|---|",
    ]
    notes = []
    for cell in cells:
        for row in scores.filter(pl.col(_BY) == cell).iter_rows(named=True):
            cv = f"{_number(row['cv_r2_mean'])} ± {_number(row['cv_r2_std'])}"
            lines.append(
                f"| {cell} | {_NAMES.get(row['regressor'], row['regressor'])} | {row['n']} | "
                f"{cv} | {_number(row['paper_r2'])} | {_number(row['paper_reported'])} |"
            )
            if row["note"]:
                notes.append(f"{cell}: {row['note']}")
    if notes:
        lines += ["", *(f"- {note}" for note in dict.fromkeys(notes))]
    return "\n".join(lines) + "\n"


def _number(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.3f}"

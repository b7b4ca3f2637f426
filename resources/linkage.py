"""The record-linkage resource: which trained model the `entities` asset uses, its thresholds, and
where Splink runs."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from sapnhap.linkage.backends import check_backend
from sapnhap.linkage.model import DEFAULT_THRESHOLDS, Thresholds


class LinkageModel(ConfigurableResource):
    """The linkage model and the match-probability thresholds applied to it.

    model_path: the project's own trained model (`$SAPNHAP_HOME/models/linkage_model.json`); a
    retraining (the `entities` asset's `retrain` config) writes it. shipped_path: the model shipped
    with the code, used while there is no own model ("" for none: the first run then trains one on
    its unit's records). review_threshold / auto_merge_threshold (0..1): pairs from `auto_merge` up
    merge without review, pairs from `review` up to it wait for an archivist, pairs below are two
    people (defaults `sapnhap.linkage.model.DEFAULT_THRESHOLDS`, chosen from measured precision).
    backend: where Splink runs, `duckdb` (default) or `spark` (`SAPNHAP_LINKAGE_BACKEND`; the Spark
    session and its master, `SAPNHAP_SPARK_MASTER`, in `sapnhap.linkage.backends`).
    """

    model_path: str
    shipped_path: str = ""
    review_threshold: float = DEFAULT_THRESHOLDS.review
    auto_merge_threshold: float = DEFAULT_THRESHOLDS.auto_merge
    backend: str = "duckdb"

    def path_for(self, retrain: bool = False) -> Path:
        """The model file a run uses: the own model when it exists or when retraining (it is written
        there), else the shipped one when there is one, else the own path (trained on first use)."""
        own = Path(self.model_path)
        if retrain or own.exists():
            return own
        if self.shipped_path and Path(self.shipped_path).exists():
            return Path(self.shipped_path)
        return own

    def thresholds(self) -> Thresholds:
        """The thresholds, checked.

        Raises:
            ValueError: unless 0 < review_threshold <= auto_merge_threshold <= 1.
        """
        if not 0.0 < self.review_threshold <= self.auto_merge_threshold <= 1.0:
            raise ValueError(
                "linkage thresholds must satisfy 0 < review_threshold <= auto_merge_threshold <= 1, got "
                f"{self.review_threshold} and {self.auto_merge_threshold}"
            )
        return Thresholds(review=self.review_threshold, auto_merge=self.auto_merge_threshold)

    def linkage_backend(self) -> str:
        """The backend, checked.

        Raises:
            ValueError: unless it is one of `sapnhap.linkage.backends.BACKENDS`.
        """
        return check_backend(self.backend)

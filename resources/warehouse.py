"""Per-partition Parquet files for the intermediate tables, safe for parallel partition runs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
from dagster import ConfigurableIOManager, InputContext, OutputContext


class ParquetIOManager(ConfigurableIOManager):
    """Stores each asset partition's DataFrame as `<base_dir>/<asset>/<partition>.parquet`.

    One file per partition, written to a temporary name then renamed, so runs of different former
    units never write the same file.
    """

    base_dir: str

    def _path(self, context: InputContext | OutputContext) -> Path:
        key = "__".join(context.asset_key.path)
        partition = context.asset_partition_key if context.has_asset_partitions else "all"
        return Path(self.base_dir) / key / f"{partition}.parquet"

    def handle_output(self, context: OutputContext, obj: pd.DataFrame) -> None:
        """Write the DataFrame atomically; other output types are refused."""
        if obj is None:
            return
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(f"ParquetIOManager stores pandas DataFrames, got {type(obj).__name__}")
        path = self._path(context)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        obj.to_parquet(tmp, index=False)
        os.replace(tmp, path)
        context.add_output_metadata({"path": str(path)})

    def load_input(self, context: InputContext) -> pd.DataFrame:
        """Read the upstream partition's DataFrame.

        Raises:
            FileNotFoundError: naming the asset and partition when it has not been materialized.
        """
        path = self._path(context)
        if not path.exists():
            raise FileNotFoundError(
                f"{path} not found: materialize {context.asset_key.to_user_string()} first"
            )
        return pd.read_parquet(path)

"""Every path the kit uses, in one place."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "PROJECT_ROOT", "NOTEBOOKS_DIR", "PARAMS_DIR", "TEMPLATES_DIR", "DATA_RAW_DIR",
    "OUTPUTS_DIR", "KERNEL_NAME", "NOTEBOOK_ORDER", "run_dir", "interim_dir",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
PARAMS_DIR = PROJECT_ROOT / "params"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
DATA_RAW_DIR = PROJECT_ROOT / "data" / "raw"
# INSIGHT_KIT_OUTPUTS moves the outputs root (the notebook tests use it to keep outputs/ clean).
OUTPUTS_DIR = Path(os.environ.get("INSIGHT_KIT_OUTPUTS") or PROJECT_ROOT / "outputs")

# The Jupyter kernel `make` registers inside .venv; papermill always runs this one,
# whatever kernel a notebook's metadata names.
KERNEL_NAME = "customer-insight-kit"

NOTEBOOK_ORDER = (
    "01_cleaning",
    "02_profiling",
    "03_segmentation",
    "04_cross_analysis",
    "05_strategy",
)


def run_dir(month: str, out_dir: str | Path | None = None) -> Path:
    """The output folder of one monthly run: ``outputs/<YYYY-MM>/`` unless overridden."""
    return Path(out_dir) if out_dir else OUTPUTS_DIR / month


def interim_dir(run_folder: str | Path) -> Path:
    """Where a run keeps the parquet tables that pass from one notebook to the next."""
    return Path(run_folder) / "interim"

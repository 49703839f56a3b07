"""客户洞察工具 — customer insight kit.

Pure functions, one module per pipeline step; the notebooks in ``notebooks/`` narrate and
call them. See README.md.
"""

__version__ = "0.1.0"

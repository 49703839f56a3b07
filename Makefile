# 客户洞察工具 — `make help` lists the targets.
# Only Python 3.11 and pip are needed: every target sets up .venv itself.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MONTH ?= 2026-10
KERNEL := customer-insight-kit

.DEFAULT_GOAL := help
.PHONY: help setup run test test-fast synth templates lab bench clean-outputs

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS=":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11 ($(PYTHON) 未找到); 可用 make PYTHON=/path/to/python3.11"; exit 2; }
	@echo ">> 创建虚拟环境 $(VENV) 并安装依赖（首次约 1–2 分钟）"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (客户洞察工具)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv, install pinned dependencies, register the Jupyter kernel

run: setup ## Run the monthly batch on the shipped sample (MONTH=2026-10)
	$(PY) -m analysis run --month $(MONTH)

test: setup ## Run every test (unit, end-to-end, notebooks under nbval)
	$(PY) -m pytest

test-fast: setup ## Run the tests that do not execute notebooks
	$(PY) -m pytest -m "not slow"

synth: setup ## Regenerate the shipped sample in data/raw/ (deterministic)
	$(PY) -m analysis synth --out data/raw

templates: setup ## Rebuild the Excel templates in templates/ from their definitions
	$(PY) -m analysis templates

lab: setup ## Open the notebooks in JupyterLab
	$(VENV)/bin/jupyter lab notebooks/

bench: setup ## Run the benchmarks (prints time and peak memory)
	@for b in benchmarks/bench_*.py; do echo ">> $$b"; $(PY) $$b; done

clean-outputs: ## Delete outputs/ (never touches data/raw/)
	rm -rf outputs/*/

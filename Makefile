# 客户洞察工具 — `make help` lists the targets.
# Only Python 3.11 and pip are needed: every target sets up .venv itself.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MONTH ?= 2026-10
KERNEL := customer-insight-kit

.DEFAULT_GOAL := help
.PHONY: help setup run test test-fast synth templates lab bench bench-all clean-outputs

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

# The report's browser test (tests/outputs/test_browser.py) drives Debian's chromium; as root it
# is installed here, otherwise the way to install it is printed (the test then skips, except in CI).
BROWSER_PACKAGES := chromium fonts-noto-cjk
.PHONY: browser
browser: ## Install headless Chromium and CJK fonts for the report's browser test (Debian)
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo ">> 安装报告浏览器测试所需的 chromium 与中文字体：apt-get install $(BROWSER_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null \
	    || { echo "!! chromium 安装失败；请手动运行：apt-get update && apt-get install -y $(BROWSER_PACKAGES)"; exit 2; }; \
	else \
	  echo "!! 未找到 chromium：报告的浏览器测试将跳过（CI 中则失败）。"; \
	  echo "   安装方法（Debian/Ubuntu）：sudo apt-get update && sudo apt-get install -y $(BROWSER_PACKAGES)"; \
	fi

run: setup ## Run the monthly batch on the shipped sample (MONTH=2026-10)
	$(PY) -m analysis run --month $(MONTH)

test: setup browser ## Run every test (unit, end-to-end, browser, notebooks under nbval)
	$(PY) -m pytest

test-fast: setup ## Run the tests that do not execute notebooks
	$(PY) -m pytest -m "not slow"

synth: setup ## Regenerate the shipped sample in data/raw/ (deterministic)
	$(PY) -m analysis synth --out data/raw

templates: setup ## Rebuild the Excel templates in templates/ from their definitions
	$(PY) -m analysis templates

lab: setup ## Open the notebooks in JupyterLab
	$(VENV)/bin/jupyter lab notebooks/

bench: setup ## Time the whole batch at 1M orders (per notebook, peak memory; SCALE=10m|100k|sample)
	$(PY) benchmarks/bench_batch.py --scale $(or $(SCALE),1m)

bench-all: setup ## Run the component benchmarks, then the whole batch at 1M orders
	@for b in benchmarks/bench_*.py; do [ $$b = benchmarks/bench_batch.py ] && continue; echo ">> $$b"; $(PY) $$b; done
	$(PY) benchmarks/bench_batch.py --scale 1m

clean-outputs: ## Delete outputs/ (never touches data/raw/)
	rm -rf outputs/*/

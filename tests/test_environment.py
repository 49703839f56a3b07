"""environment.yml must not drift from pyproject.toml, the one dependency list."""

import tomllib

import yaml

from analysis.config import PROJECT_ROOT


def test_environment_yml_installs_from_pyproject_only():
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    conda_pkgs = [d for d in deps if isinstance(d, str)]
    pip_lists = [d["pip"] for d in deps if isinstance(d, dict)]
    # conda supplies only Python and pip; every package comes from pyproject via `-e .`
    assert sorted(conda_pkgs) == ["pip", "python=3.11"]
    assert pip_lists == [["-e .[dev]"]]


def test_python_version_agrees():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["requires-python"] == ">=3.11,<3.12"


def test_every_dependency_is_pinned():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = [r for group in project.get("optional-dependencies", {}).values() for r in group]
    for requirement in project["dependencies"] + optional:
        assert "==" in requirement, f"{requirement} is not pinned"
    names = {r.split("==")[0].lower() for r in project["dependencies"]}
    # the design card's packages
    assert {"jupyterlab", "pandas", "seaborn", "scikit-learn", "papermill", "nbconvert",
            "openpyxl", "nbval"} <= names

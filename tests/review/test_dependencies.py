"""Imports of modules this host lacks are blocked, with the pip line that would add them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib.machinery import ModuleSpec

import pytest

from bot.review import Finding, dependencies, review


@pytest.fixture(autouse=True)
def _fresh_distributions() -> Iterator[None]:
    # The cache outlives a test; a faked scan must not leak into the next one.
    dependencies._distributions.cache_clear()
    yield
    dependencies._distributions.cache_clear()


def _hide(monkeypatch: pytest.MonkeyPatch, *names: str, metadata: bool = False) -> None:
    """Makes `names` look uninstalled without touching the environment; with `metadata`,
    their distributions stay recorded, as after a half-removed install."""
    real = dependencies.find_spec

    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        return None if name in names else real(name, package)

    monkeypatch.setattr(dependencies, "find_spec", find_spec)
    if not metadata:
        monkeypatch.setattr(dependencies, "packages_distributions", dict)


def _missing(code: str) -> list[Finding]:
    return [f for f in review(code).findings if f.rule == "missing-package"]


def test_missing_package_is_blocked_with_the_pip_line() -> None:
    result = review("import pandas as pd\nimport notarealpackage_xyz\n")
    assert result.status == "blocked"
    assert [(f.line, f.rule, f.status) for f in result.findings] == [
        (2, "missing-package", "blocked"),
        (2, "unlisted-import", "needs_approval"),
    ]
    assert result.findings[0].reason == (
        "notarealpackage_xyz is not installed on this host; an operator can add it with: "
        "pip install notarealpackage_xyz"
    )


def test_from_import_names_the_top_level_package() -> None:
    result = review("x = 1\nfrom notreal.sub import x\n")
    assert result.status == "blocked"
    (finding,) = _missing("x = 1\nfrom notreal.sub import x\n")
    assert finding.line == 2
    assert finding.reason.startswith("notreal is not installed on this host;")
    assert finding.reason.endswith(": pip install notreal")


def test_each_import_of_a_missing_package_is_reported_where_it_is() -> None:
    code = "import notreal_a, notreal_b\nimport numpy\nimport notreal_a.sub\n"
    assert [(f.line, f.reason.split()[0]) for f in _missing(code)] == [
        (1, "notreal_a"),
        (1, "notreal_b"),
        (3, "notreal_a"),
    ]


@pytest.mark.parametrize(
    "code",
    [
        "import importlib\nimportlib.import_module('notreal.sub')\n",
        "from importlib import import_module as load\nload('notreal')\n",
        "import importlib\nNAME = 'notreal'\nimportlib.import_module(NAME)\n",
    ],
)
def test_import_module_with_a_known_name_is_checked(code: str) -> None:
    (finding,) = _missing(code)
    assert finding.reason.endswith(": pip install notreal")


@pytest.mark.parametrize(
    ("top", "code", "dist"),
    [
        ("sklearn", "from sklearn.cluster import KMeans", "scikit-learn"),
        ("PIL", "from PIL import Image", "Pillow"),
        ("cv2", "import cv2", "opencv-python-headless"),
        ("yaml", "import yaml", "PyYAML"),
        ("bs4", "from bs4 import BeautifulSoup", "beautifulsoup4"),
        ("skimage", "import skimage.io", "scikit-image"),
        ("dateutil", "from dateutil import parser", "python-dateutil"),
        ("Crypto", "from Crypto.Cipher import AES", "pycryptodome"),
    ],
)
def test_well_known_import_names_give_their_distribution(
    monkeypatch: pytest.MonkeyPatch, top: str, code: str, dist: str
) -> None:
    _hide(monkeypatch, top)
    result = review(code)
    assert result.status == "blocked"
    (finding,) = _missing(code)
    assert finding.reason == (
        f"{top} is not installed on this host; an operator can add it with: pip install {dist}"
    )


def test_recorded_but_unimportable_package_gets_a_reinstall_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # scikit-learn's metadata is really installed; only its module is hidden.
    _hide(monkeypatch, "sklearn", metadata=True)
    (finding,) = _missing("import sklearn")
    assert finding.reason.endswith("pip install --force-reinstall scikit-learn")
    assert "scikit-learn is recorded as installed" in finding.reason


def test_installed_distributions_are_scanned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    scans: list[int] = []

    def scan() -> Mapping[str, list[str]]:
        scans.append(1)
        return {}

    monkeypatch.setattr(dependencies, "packages_distributions", scan)
    for _ in range(3):
        review("import notreal_a\nimport notreal_b\n")
    assert len(scans) == 1


@pytest.mark.parametrize(
    "code",
    [
        "import pandas as pd",
        "import numpy as np",
        "from scipy import stats",
        "import scipy.stats",
        "from sklearn.cluster import KMeans",
        "from sklearn.linear_model import LinearRegression",
        "import statsmodels.api as sm",
        "import statsmodels.formula.api as smf",
        "from statsmodels.tsa.holtwinters import ExponentialSmoothing",
        "from statsmodels.tsa.seasonal import seasonal_decompose",
        "import seaborn as sns",
        "from PIL import Image",
        "import PIL.Image",
        "import duckdb",
        "import pyarrow.parquet as pq",
        "import openpyxl",
        "import matplotlib.pyplot as plt",
        "from sandbox import runtime as tl",
    ],
)
def test_installed_analysis_libraries_pass(code: str) -> None:
    result = review(code)
    assert result.findings == [], result.findings
    assert result.status == "ok"


@pytest.mark.parametrize(
    "code", ["import json", "import sqlite3", "import xml.etree.ElementTree", "import tkinter"]
)
def test_standard_library_is_always_present(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    # Even where a stdlib module's file is absent (tkinter on a slim image), it is never
    # reported as something pip could add.
    _hide(monkeypatch, "json", "sqlite3", "xml", "tkinter")
    assert _missing(code) == []


@pytest.mark.parametrize(
    "code",
    [
        "from . import helpers",
        "from .notreal_local import f",
        "from ..notreal_pkg.mod import g",
        "import importlib\nimportlib.import_module('.notreal_sub', 'pkg')",
    ],
)
def test_relative_imports_are_not_packages(code: str) -> None:
    assert _missing(code) == []


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("import dill", "blocked-import"),
        ("import requests", "blocked-import"),
        ("from notreal_net import x\nimport socket", "missing-package"),
        ("import _notreal_private", "blocked-import"),
        ("import importlib\nimportlib.import_module('subprocess')", "blocked-import"),
    ],
)
def test_blocked_modules_get_no_second_finding(code: str, rule: str) -> None:
    result = review(code)
    assert result.status == "blocked"
    blocked = {f.reason.split("'")[1] for f in result.findings if f.rule == "blocked-import"}
    missing = {f.reason.split()[0] for f in result.findings if f.rule == "missing-package"}
    assert not blocked & missing, result.findings
    assert any(f.rule == rule for f in result.findings)


def test_text_that_is_not_a_module_name_is_left_to_the_other_rules() -> None:
    assert _missing("import importlib\nimportlib.import_module('not a module')") == []

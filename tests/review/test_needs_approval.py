"""Code a person should look at before it runs, and why."""

from __future__ import annotations

import pytest

from bot.review import review

NEEDS_APPROVAL = {
    "unlisted_library": ("import rich", "unlisted-import"),
    "unlisted_from": ("from click import echo", "unlisted-import"),
    "relative_import": ("from . import helpers", "unlisted-import"),
    "absolute_read": ("import pandas as pd\npd.read_csv('/data/other.csv')", "file-outside"),
    "absolute_open": ("open('/tmp/x.txt', 'w')", "file-outside-workdir"),
    "absolute_savefig": ("import matplotlib.pyplot as plt\nplt.savefig('/srv/a.png')", "file-"),
    "computed_path": ("name = input()\nopen(name)", "computed-file-name"),
    "fstring_path": ("df.to_csv(f'{name}.csv')", "computed-file-name"),
    "path_from_loop": ("for n in names:\n    open(n)", "computed-file-name"),
    "os_environ": ("import os\nos.environ['X']", "system-use"),
    "os_getenv": ("from os import getenv\ngetenv('X')", "system-use"),
    "os_listdir_absolute": ("import os\nos.listdir('/srv')", "file-outside-workdir"),
    "shutil_which": ("import shutil\nshutil.which('ls')", "system-use"),
    "shutil_copy_absolute": ("import shutil\nshutil.copy('a.csv', '/srv/a.csv')", "file-"),
    "sys_path": ("import sys\nsys.path.append('x')", "system-use"),
    "tempfile_elsewhere": ("import tempfile\ntempfile.mkdtemp(dir='/srv')", "file-outside"),
    "glob_absolute": ("import glob\nglob.glob('/srv/*.csv')", "file-outside-workdir"),
    "odd_dunder": ("x = obj.__slots__", "special-attribute"),
    "duckdb_install": ("con.execute('INSTALL httpfs')", "sql-extension"),
    "duckdb_absolute": ("con.sql(\"SELECT * FROM '/srv/x.csv'\")", "file-outside-workdir"),
}


@pytest.mark.parametrize(("code", "rule"), NEEDS_APPROVAL.values(), ids=NEEDS_APPROVAL.keys())
def test_needs_approval(code: str, rule: str) -> None:
    result = review(code)
    assert result.status == "needs_approval", result.findings
    assert any(f.rule.startswith(rule) for f in result.findings), result.findings


def test_status_is_the_worst_finding() -> None:
    result = review("import rich\nimport socket\n")
    assert result.status == "blocked"
    assert [f.rule for f in result.findings] == ["unlisted-import", "blocked-import"]


def test_json_shape() -> None:
    result = review("import rich\n")
    assert result.to_json() == {
        "status": "needs_approval",
        "findings": [{"line": 1, "rule": "unlisted-import", "reason": result.findings[0].reason}],
    }

"""Code the policy must block: process, network, native code, and the known bypass shapes.

Named codejail-style, for what reviewed code cannot do.
"""

from __future__ import annotations

import pytest

from bot.review import review

BYPASSES = {
    "dunder_import": "__import__('os').system('id')",
    "builtins_getattr_built_name": "f = getattr(__builtins__, 'ev' + 'al')\nf('1')",
    "getattr_literal_eval": "getattr(__builtins__, 'eval')('1')",
    "subclasses_walk": "x = ().__class__.__bases__[0].__subclasses__()",
    "pandas_reaches_os": "import pandas as pd\npd.io.common.os.system('x')",
    "numpy_reaches_os": "import numpy as np\nnp.os.listdir('.')",
    "exec_built_string": "exec(bytes.fromhex('7072696e74').decode())",
    "eval_literal": "eval('1 + 1')",
    "compile_string": "code = compile('x=1', 'f', 'exec')",
    "eval_aliased": "run = eval\nrun('1')",
    "pickle_loads": "import pickle\npickle.loads(b)",
    "marshal": "import marshal",
    "dill": "import dill",
    "ctypes": "import ctypes",
    "cffi": "from cffi import FFI",
    "generator_frames": "g = (i for i in [1])\nx = g.gi_frame.f_back.f_globals",
    "traceback_frame": "try:\n    1/0\nexcept Exception as e:\n    e.__traceback__.tb_frame",
    "importlib_built_name": "import importlib\nimportlib.import_module('o' + 's')",
    "from_os_import_system": "from os import system as s\ns('id')",
    "subprocess_alias": "import subprocess as sp\nsp.run(['id'])",
    "sys_modules": "import sys\nsys.modules['os'].system('id')",
    "sys_getframe": "import sys\nsys._getframe(1)",
    "open_etc_passwd": "open('/etc/passwd').read()",
    "open_parent": "open('../secret')",
    "open_proc_environ": "open('/proc/self/environ')",
    "open_home_key": "open('~/.ssh/id_rsa')",
    "read_csv_dev": "import pandas as pd\npd.read_csv('/dev/stdin')",
    "path_home": "from pathlib import Path\nPath.home() / '.ssh'",
    "expanduser": "import os\nos.path.expanduser('~')",
    "lambda_globals": "g = (lambda: None).__globals__",
    "function_code": "def f():\n    pass\nf.__code__",
    "class_dict": "class A:\n    pass\nA.__dict__",
    "getattribute": "object.__getattribute__(1, 'real')",
    "mro": "int.__mro__",
    "setattr_computed": "setattr(obj, input(), 1)",
    "getattr_dunder_literal": "getattr(obj, '__class__')",
    "getattr_harmless_dunder_literal": "getattr(obj, '__init__')",
    "delattr_computed": "delattr(obj, n)",
    "attrgetter_dunder": "import operator\noperator.attrgetter('__globals__')",
    "globals_call": "globals()['x'] = 1",
    "vars_call": "vars()",
    "locals_call": "locals()",
    "breakpoint": "breakpoint()",
    "os_system": "import os\nos.system('id')",
    "os_popen": "import os\nos.popen('id')",
    "os_exec": "import os\nos.execv('/bin/sh', ['sh'])",
    "os_spawn": "import os\nos.spawnl(os.P_WAIT, '/bin/sh')",
    "os_fork": "import os\nos.fork()",
    "os_kill": "import os\nos.kill(1, 9)",
    "os_handed_around": "import os\nx = os\nx.system('id')",
    "star_import_os": "from os import *\nsystem('id')",
    "socket": "import socket",
    "ssl": "import ssl",
    "http_client": "import http.client",
    "urllib_request": "from urllib.request import urlopen",
    "requests": "import requests",
    "ftplib": "import ftplib",
    "smtplib": "import smtplib",
    "asyncio_subprocess": "import asyncio\nasyncio.create_subprocess_exec('id')",
    "asyncio_network": "import asyncio\nasyncio.open_connection('h', 80)",
    "mmap": "import mmap",
    "multiprocessing": "import multiprocessing",
    "signal": "import signal",
    "pty": "import pty",
    "resource": "import resource",
    "shelve": "import shelve",
    "read_pickle": "import pandas as pd\npd.read_pickle('x.pkl')",
    "numpy_allow_pickle": "import numpy as np\nnp.load('x.npy', allow_pickle=True)",
    "read_csv_url": "import pandas as pd\npd.read_csv('https://example.com/x.csv')",
    "private_module": "import _posixsubprocess",
    "builtins_module": "import builtins",
    "chain_subprocess": "x = obj.subprocess.run",
    "chain_sys": "m = np.core.sys.modules",
    "duckdb_reads_etc": "import duckdb\nduckdb.sql(\"SELECT * FROM read_csv('/etc/passwd')\")",
    "duckdb_reads_parent": "con.execute(\"SELECT * FROM '../other/data.parquet'\")",
    "duckdb_httpfs": "con.execute(\"SELECT * FROM 'https://x.example/a.csv'\")",
}


@pytest.mark.parametrize("code", BYPASSES.values(), ids=BYPASSES.keys())
def test_cannot_get_past_the_policy(code: str) -> None:
    result = review(code)
    assert result.status == "blocked", result.findings
    assert all(f.reason and f.rule and f.line >= 1 for f in result.findings)


def test_cannot_run_code_that_does_not_parse() -> None:
    result = review("x = 1\ndef broken(:\n    pass\n")
    assert result.status == "blocked"
    assert [(f.line, f.rule) for f in result.findings] == [(2, "syntax")]


def test_cannot_hide_the_line_of_a_blocked_call() -> None:
    result = review("import pandas as pd\n\nx = 1\nimport socket\n")
    assert [(f.line, f.rule) for f in result.findings] == [(4, "blocked-import")]

"""The lists behind the rules, in one place so the decisions can be read and argued.

Blocked means the code is refused outright; needs approval means a person must look.
Everything else is ordinary analysis code and passes without a finding.
"""

from __future__ import annotations

# Top-level modules that start processes, reach the network, load native code, rebuild
# objects from bytes (pickle and friends run code while loading) or import by name.
# Importing any of them is blocked: an analysis has no honest use for them.
BLOCKED_MODULES = frozenset({
    "subprocess", "socket", "ssl", "http", "urllib", "urllib3", "requests", "httpx",
    "aiohttp", "websocket", "websockets", "paramiko", "ftplib", "smtplib", "poplib",
    "imaplib", "telnetlib", "nntplib", "xmlrpc", "socketserver", "webbrowser",
    "ctypes", "cffi", "mmap", "multiprocessing", "signal", "pty", "resource", "fcntl",
    "importlib", "pkgutil", "zipimport", "runpy", "imp", "builtins", "code", "codeop",
    "gc", "inspect", "pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle",
    "copyreg", "posix", "nt", "sysconfig",
})  # fmt: skip

# Imports that pass without a finding: the data-science stack and the standard library
# pieces analysis code reaches for. Anything else needs approval, so an operator sees
# new dependencies before they run.
ALLOWED_MODULES = frozenset({
    "pandas", "numpy", "scipy", "sklearn", "statsmodels", "matplotlib", "seaborn", "PIL",
    "duckdb", "pyarrow", "openpyxl", "math", "cmath", "statistics", "datetime", "json",
    "re", "collections", "itertools", "functools", "copy", "io", "csv", "decimal",
    "fractions", "random", "string", "textwrap", "typing", "dataclasses", "operator",
    "calendar", "time", "warnings", "heapq", "bisect", "zoneinfo", "uuid", "hashlib",
    "base64", "pathlib", "enum", "numbers", "pprint", "unicodedata", "__future__",
})  # fmt: skip

# Modules whose import is fine but whose members are judged one by one (see below).
JUDGED_MODULES = frozenset({"os", "sys", "shutil", "glob", "tempfile"})

# The only piece of the sandbox package generated code may use.
SANDBOX_RUNTIME = "sandbox.runtime"

# Members of the judged modules that are blocked: processes, signals, the module table
# and frames (the classic ways around every other check).
BLOCKED_MEMBER_PREFIXES = (
    "os.system", "os.popen", "os.fork", "os.kill", "os.exec", "os.spawn", "os.posix_spawn",
    "os.plock", "os.setuid", "os.setgid", "os.seteuid", "os.setegid", "os.setresuid",
    "os.setreuid", "os.chroot", "os.unshare", "os.setns", "os.pidfd", "os.ptrace",
    "sys.modules", "sys._getframe", "sys._current_frames", "sys.settrace", "sys.setprofile",
    "sys.meta_path", "sys.path_hooks", "sys.path_importer_cache", "sys.addaudithook",
    "sys.breakpointhook", "sys.__",
)  # fmt: skip

# Members that pass without a finding: pure path-string helpers, the interpreter's
# version, standard streams. They read or touch no file on their own.
OK_MEMBERS = frozenset({
    "os.path.join", "os.path.basename", "os.path.dirname", "os.path.splitext",
    "os.path.split", "os.path.sep", "os.sep", "os.linesep", "os.curdir", "os.extsep",
    "os.getcwd", "os.cpu_count", "os.name", "sys.version", "sys.version_info",
    "sys.platform", "sys.maxsize", "sys.float_info", "sys.byteorder", "sys.stdout",
    "sys.stderr", "sys.getsizeof", "sys.exit", "sys.getrecursionlimit",
})  # fmt: skip

# Calls that name files. Each maps to the positional indexes and keywords holding a
# path; the files rule judges those arguments (relative literal: ok). Members of the
# judged modules listed here pass the members rule and leave the path to this table:
# listing, copying or removing the job's own files in its work dir is ordinary.
PATH_CALLS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "open": ((0,), ("file",)),
    "io.open": ((0,), ("file",)),
    "pathlib.Path": ((0, 1, 2, 3), ()),
    "pathlib.PurePath": ((0, 1, 2, 3), ()),
    "os.listdir": ((0,), ("path",)),
    "os.scandir": ((0,), ("path",)),
    "os.walk": ((0,), ("top",)),
    "os.makedirs": ((0,), ("name",)),
    "os.mkdir": ((0,), ("path",)),
    "os.remove": ((0,), ("path",)),
    "os.unlink": ((0,), ("path",)),
    "os.rmdir": ((0,), ("path",)),
    "os.rename": ((0, 1), ("src", "dst")),
    "os.replace": ((0, 1), ("src", "dst")),
    "os.stat": ((0,), ("path",)),
    "os.path.exists": ((0,), ("path",)),
    "os.path.isfile": ((0,), ("path",)),
    "os.path.isdir": ((0,), ("s",)),
    "os.path.getsize": ((0,), ("filename",)),
    "os.path.getmtime": ((0,), ("filename",)),
    "shutil.copy": ((0, 1), ("src", "dst")),
    "shutil.copy2": ((0, 1), ("src", "dst")),
    "shutil.copyfile": ((0, 1), ("src", "dst")),
    "shutil.copytree": ((0, 1), ("src", "dst")),
    "shutil.move": ((0, 1), ("src", "dst")),
    "shutil.rmtree": ((0,), ("path",)),
    "glob.glob": ((0,), ("pathname", "root_dir")),
    "glob.iglob": ((0,), ("pathname", "root_dir")),
    # tempfile makes new files under TMPDIR, which the sandbox points at the work dir;
    # only an explicit dir= can aim it elsewhere.
    "tempfile.mkstemp": ((5,), ("dir",)),
    "tempfile.mkdtemp": ((2,), ("dir",)),
    "tempfile.NamedTemporaryFile": ((6,), ("dir",)),
    "tempfile.TemporaryDirectory": ((2,), ("dir",)),
    "tempfile.TemporaryFile": ((6,), ("dir",)),
    "numpy.load": ((0,), ("file",)),
    "numpy.loadtxt": ((0,), ("fname",)),
    "numpy.genfromtxt": ((0,), ("fname",)),
    "numpy.fromfile": ((0,), ("file",)),
    "numpy.save": ((0,), ("file",)),
    "numpy.savez": ((0,), ("file",)),
    "numpy.savez_compressed": ((0,), ("file",)),
    "numpy.savetxt": ((0,), ("fname",)),
    "pandas.ExcelFile": ((0,), ("path_or_buffer",)),
    "pandas.ExcelWriter": ((0,), ("path",)),
    "matplotlib.pyplot.imread": ((0,), ("fname",)),
    "matplotlib.pyplot.savefig": ((0,), ("fname",)),
    "PIL.Image.open": ((0,), ("fp",)),
    "openpyxl.load_workbook": ((0,), ("filename",)),
    "duckdb.connect": ((0,), ("database",)),
    "duckdb.read_csv": ((0,), ("path_or_buffer",)),
    "duckdb.read_parquet": ((0,), ("file_glob",)),
    "duckdb.read_json": ((0,), ("path_or_buffer",)),
}

# pandas readers take the path first; the SQL and clipboard readers take none.
PANDAS_READER_PREFIX = "pandas.read_"
PANDAS_NON_FILE_READERS = frozenset({
    "pandas.read_sql", "pandas.read_sql_query", "pandas.read_sql_table", "pandas.read_gbq",
    "pandas.read_clipboard",
})  # fmt: skip
PANDAS_READER_KEYWORDS = ("filepath_or_buffer", "path", "io", "path_or_buf", "path_or_buffer")

# Methods that write a file when given a path, whatever object they are called on
# (DataFrame.to_csv, Figure.savefig...). Without a path most return text instead.
PATH_METHODS: dict[str, tuple[str, ...]] = {
    "savefig": ("fname",),
    "to_csv": ("path_or_buf",),
    "to_excel": ("excel_writer",),
    "to_parquet": ("path",),
    "to_json": ("path_or_buf",),
    "to_feather": ("path",),
    "to_pickle": ("path",),
    "to_hdf": ("path_or_buf",),
    "to_html": ("buf",),
    "to_latex": ("buf",),
    "to_markdown": ("buf",),
    "to_xml": ("path_or_buffer",),
    "to_stata": ("path",),
    "to_orc": ("path",),
    "write_parquet": ("file_name",),
    "write_csv": ("file_name",),
}

# In-memory buffers a path argument may be instead of a file name.
BUFFER_FACTORIES = frozenset({"io.StringIO", "io.BytesIO", "sys.stdout", "sys.stderr"})

# Calls that turn bytes into live objects, running code chosen by whoever wrote the bytes.
PICKLE_LOADERS = frozenset({
    "pandas.read_pickle", "joblib.load", "numpy.lib.format.read_array",
    "sklearn.externals.joblib.load",
})  # fmt: skip

# Builtins that run or compile code, reach the import machinery or hand out namespaces.
DYNAMIC_BUILTINS: dict[str, str] = {
    "exec": "runs text as Python code",
    "eval": "runs text as Python code",
    "compile": "turns text into runnable Python code",
    "__import__": "imports a module by a name built while running",
    "globals": "hands out the program's whole namespace",
    "locals": "hands out a namespace, a way around the other checks",
    "vars": "hands out an object's namespace, a way around the other checks",
    "breakpoint": "opens an interactive debugger",
}

# Builtins that look attributes up by a name given as text.
NAMED_ATTRIBUTE_BUILTINS = frozenset({"getattr", "setattr", "delattr"})
NAMED_ATTRIBUTE_HELPERS = frozenset({"operator.attrgetter", "operator.methodcaller"})

# Attributes that walk from any object to the interpreter's internals: classes and their
# subclasses, function globals, code objects, frames. The classic sandbox escapes.
BLOCKED_ATTRIBUTES = frozenset({
    "__subclasses__", "__globals__", "__builtins__", "__code__", "__mro__", "__bases__",
    "__base__", "__class__", "__dict__", "__getattribute__", "__closure__", "__func__",
    "__self__", "__loader__", "__spec__", "__import__", "__reduce__", "__reduce_ex__",
    "__setattr__", "__delattr__", "__getattr__", "__init_subclass__", "__defaults__",
    "__kwdefaults__", "__traceback__", "__objclass__", "__wrapped__",
    "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "ag_frame", "ag_code",
    "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "tb_frame", "tb_next",
    "co_code", "co_consts",
})  # fmt: skip

# Dunders analysis code reads without harm; any other dunder attribute needs approval.
HARMLESS_DUNDERS = frozenset({
    "__name__", "__qualname__", "__doc__", "__version__", "__module__", "__len__",
    "__file__", "__annotations__", "__init__", "__str__", "__repr__", "__eq__", "__hash__",
    "__iter__", "__next__", "__enter__", "__exit__", "__call__", "__getitem__",
})  # fmt: skip

# Names that reach a process, network or interpreter module when they end an attribute
# chain (`pd.io.common.os`, `np.sys`): the module was never imported, so only its name
# gives it away.
CHAIN_MODULE_NAMES = frozenset({
    "os", "sys", "subprocess", "socket", "builtins", "importlib", "ctypes", "posix", "nt",
    "shutil", "pickle", "marshal", "signal", "multiprocessing", "pty", "_os", "_sys",
})  # fmt: skip

# Methods that start processes or open connections, on whatever object holds them
# (asyncio's loops, for one); their names are distinctive enough to block anywhere.
BLOCKED_METHODS = frozenset({
    "create_subprocess_exec", "create_subprocess_shell", "subprocess_exec",
    "subprocess_shell", "open_connection", "open_unix_connection", "start_server",
    "start_unix_server", "create_connection", "create_server", "create_datagram_endpoint",
    "create_unix_connection", "create_unix_server", "sock_connect",
})  # fmt: skip

"""RFM segmentation of a large transactions file: ThreadLab end to end under a 1 GB sandbox
cap, against the seed article's pandas approach (no cap) and a bare DuckDB query.

For each size (Parquet at every --rows, CSV at every --csv-rows) one file is generated
(benchmarks/rfm_data.py: seeded, chunked, ~1M users with skewed activity, reused when an
earlier --keep run left it in --work), then, on that file and in this order:

- ThreadLab: `threadlab ask FILE "RFM segmentation" --json` with
  THREADLAB_SANDBOX_MEMORY_MB=1024, the rules planner (no LLM) and a fresh data dir and
  database: a cold run, ingest included. Other THREADLAB_* variables pass through.
- bare DuckDB: one SQL statement in a fresh `python -c` (DuckDB's default settings):
  per-user aggregates, NTILE(bins) for R, F and M, the 8-segment labels, counts per
  segment. It follows the plan ThreadLab made (columns, reference date, bins), so its
  counts must equal ThreadLab's segment table; the run fails if they differ. Monetary is
  fsum (Kahan), as pandas' groupby sum, so neither summation order nor thread count moves
  a total by an ulp. The same query once more with exact DECIMAL(18, 2) totals (not
  timed) shows whether float totals split users whose spend is equal to the cent; and
  once with frequency as count(order_id) (timed), equal here because every order id
  occurs once: the query ThreadLab runs when ingest proved order_id unique, which it
  does when the ids rise down the file (see --shuffled-orders for when they do not).
- pandas (the seed article): read_parquet / read_csv(parse_dates=["date"]), groupby-agg,
  qcut of ranks; once in a plain subprocess with no cap, and once in ThreadLab's sandbox
  (`threadlab sandbox run --memory 1024`) to see whether it survives a 1 GB cap.

Every measured command runs under its own small wrapper process, which times it and
reports its peak memory two ways: the largest process's max RSS (getrusage of the
wrapper's children) and the peak of the summed PSS of the whole process tree, sampled
every 0.2 s (the bot and its sandbox job run at the same time; PSS does not count pages
the sandbox's forked processes share twice). "peak MB" is the larger of the two. The
sandbox's own peak (its memory cgroup) is shown where the command's JSON reports it.

Targets (the issue's, for 50M rows; judged at every size): ThreadLab completes under the
1 GB cap, its peak is at most 1/10 of pandas' uncapped peak, and its wall time is at most
1.5x the bare DuckDB query's.

    .venv/bin/python benchmarks/rfm.py [--rows 10000000 50000000] [--csv-rows 10000000]
        [--seed 7] [--work DIR] [--keep] [--skip-pandas] [--shuffled-orders] [--timeout 1800]
    .venv/bin/python benchmarks/rfm.py --rows 200000 --csv-rows 200000   # a quick run

Exits 1 when a segment count check fails or could not be made (ThreadLab failed).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from rfm_data import Spec, generate, users_for

from bot.codegen import helpers

CAP_MB = 1024
QUESTION = "RFM segmentation"
BIN = Path(sys.executable).parent

# The wrapper each measured command runs under: argv = result file, then the command.
MEASURE = r"""
import json, os, resource, subprocess, sys, threading, time

def tree(root):
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found

known = {}  # pid -> (resident pages, PSS bytes): smaps_rollup costs ~1.5 ms, statm ~0

def pss(pid):
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            resident = int(f.read().split()[1])
        if pid in known and known[pid][0] == resident:
            return known[pid][1]
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    known[pid] = (resident, int(line.split()[1]) * 1024)
                    return known[pid][1]
    except (OSError, IndexError, ValueError):
        pass
    return 0

out, cmd = sys.argv[1], sys.argv[2:]
peak = {"tree_pss": 0, "processes": 0}
done = threading.Event()
started = time.perf_counter()
proc = subprocess.Popen(cmd)

def sample():
    while True:
        pids = tree(proc.pid)
        peak["tree_pss"] = max(peak["tree_pss"], sum(pss(p) for p in pids))
        peak["processes"] = max(peak["processes"], len(pids))
        if done.wait(0.2):
            return

sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
rc = proc.wait()
wall = time.perf_counter() - started
done.set()
sampler.join()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "w") as f:
    json.dump({"rc": rc, "wall_s": wall, "max_rss": usage.ru_maxrss * 1024, **peak,
               "sampler_cpu_s": sum(os.times()[:2])}, f)
"""

# The seed article's approach; {read} and {path} are filled in per file.
PANDAS_SCRIPT = '''"""RFM as the seed article does it: all in pandas, groupby-agg, qcut of ranks."""
import pandas as pd

df = {read}
reference = df["date"].max() + pd.Timedelta(days=1)
rfm = df.groupby("user_id").agg(
    last=("date", "max"), frequency=("order_id", "nunique"), monetary=("amount", "sum")
)
rfm["recency"] = (reference - rfm["last"]).dt.days
rfm["R"] = pd.qcut(rfm["recency"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1])
rfm["F"] = pd.qcut(rfm["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
rfm["M"] = pd.qcut(rfm["monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
rfm["RFM"] = rfm["R"].astype(str) + rfm["F"].astype(str) + rfm["M"].astype(str)
print(f"{{len(rfm)}} users; commonest scores {{rfm['RFM'].value_counts().head(3).to_dict()}}")
'''

# DuckDB's progress bar would print to stdout, before the JSON, on a query over 2 s.
DUCKDB_SCRIPT = (
    "import json, sys, duckdb; con = duckdb.connect(); "
    "con.execute('SET enable_progress_bar = false'); "
    "print(json.dumps(con.sql(sys.argv[1]).fetchall()))"
)


@dataclass
class Measured:
    rc: int
    wall_s: float
    max_rss: int  # bytes, the largest single process
    tree_pss: int  # bytes, the sampled peak of the whole tree
    processes: int
    stdout: str
    log: Path  # the command's stderr

    @property
    def peak(self) -> int:
        return max(self.max_rss, self.tree_pss)


@dataclass
class Rfm:
    """What the DuckDB query needs to define RFM exactly as ThreadLab's plan did."""

    user: str
    date: str
    amount: str
    order: str | None
    reference: str  # ISO date
    bins: int
    language: str
    from_plan: bool


def measure(cmd: list[str], name: str, run_dir: Path, env: dict[str, str]) -> Measured:
    run_dir.mkdir(parents=True, exist_ok=True)
    result, log = run_dir / f"{name}.measure.json", run_dir / f"{name}.stderr"
    with log.open("wb") as stderr:
        proc = subprocess.run(
            [sys.executable, "-c", MEASURE, str(result), *cmd],
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            cwd=run_dir,  # no .env of the repo is read: only what env says counts
            check=False,
        )
    m = json.loads(result.read_text())
    return Measured(
        m["rc"], m["wall_s"], m["max_rss"], m["tree_pss"], m["processes"], proc.stdout.decode(), log
    )


def counts_of(m: Measured) -> dict[str, int] | None:
    return {str(s): int(n) for s, n in json.loads(m.stdout)} if m.rc == 0 else None


def threadlab_env(run_dir: Path, timeout: float) -> dict[str, str]:
    return {
        **os.environ,
        "THREADLAB_DATA_DIR": str(run_dir / "data"),
        "THREADLAB_DB_PATH": str(run_dir / "threadlab.db"),
        "THREADLAB_PLANNER": "rules",
        "THREADLAB_SANDBOX_MEMORY_MB": str(CAP_MB),
        "THREADLAB_SANDBOX_TIMEOUT_S": str(timeout),
        "THREADLAB_SANDBOX_CPU_S": str(int(timeout * (os.cpu_count() or 1))),
    }


def last_json(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                parsed: dict[str, Any] = json.loads(line)
                return parsed
    return None


def segment_counts(outcome: dict[str, Any]) -> dict[str, int] | None:
    """Users per segment from the `*_segments` table of `threadlab ask --json`."""
    for table in outcome.get("tables", []):
        if not str(table.get("name", "")).endswith("_segments"):
            continue
        columns = table["columns"]
        rows = table["rows"]
        if table.get("total_rows", len(rows)) > len(rows) and table.get("csv"):
            with open(table["csv"], encoding="utf-8") as f:
                rows = [[r[c] for c in columns] for r in csv.DictReader(f)]
        seg, users = columns.index("segment"), columns.index("users")
        return {str(r[seg]): int(r[users]) for r in rows}
    return None


def sandbox_peak(outcome: dict[str, Any]) -> int | None:
    """The sandbox job's peak memory, where the JSON reports it (`ask --json` does not yet)."""
    for holder in (outcome.get("sandbox") or {}, outcome):
        if isinstance(holder, dict) and holder.get("peak_memory_bytes") is not None:
            return int(holder["peak_memory_bytes"])
    return None


def rfm_from(outcome: dict[str, Any] | None, path: Path, fmt: str) -> Rfm:
    """The RFM definition of ThreadLab's plan; without one, what the rules planner picks
    for these columns (order_id as the order column, the day after the latest date)."""
    plan = (outcome or {}).get("plan") or {}
    for step in plan.get("steps", []):
        if step.get("kind") == "rfm":
            return Rfm(
                step["user_column"],
                step["date_column"],
                step["amount_column"],
                step.get("order_column"),
                step["reference_date"],
                int(step["bins"]),
                plan.get("language", "en"),
                True,
            )
    query = f"SELECT CAST(max(date) AS DATE) + 1 FROM {source(path, fmt)}"
    latest = duckdb.connect().execute(query).fetchone()
    assert latest is not None
    return Rfm("user_id", "date", "amount", "order_id", str(latest[0]), 5, "en", False)


def source(path: Path, fmt: str) -> str:
    literal = "'" + str(path).replace("'", "''") + "'"
    return f"read_parquet({literal})" if fmt == "parquet" else f"read_csv({literal})"


def segment_labels(language: str) -> dict[tuple[bool, bool, bool], str]:
    namespace: dict[str, Any] = {}
    exec(helpers.RFM_SEGMENT, namespace)  # the labels generated code carries, verbatim
    labels: dict[tuple[bool, bool, bool], str] = namespace["RFM_SEGMENTS"][language]
    return labels


def duckdb_sql(
    path: Path, fmt: str, rfm: Rfm, exact: bool = False, count_orders: bool = False
) -> str:
    """ThreadLab's RFM (bot/codegen/steps.py render_rfm) as one DuckDB statement; `exact`
    sums money as DECIMAL, so that totals equal to the cent tie; `count_orders` counts
    order ids instead of distinct ones (the same where each occurs once)."""

    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    user = q(rfm.user)
    frequency = f"count(DISTINCT {q(rfm.order)})" if rfm.order else "count(*)"
    if rfm.order and count_orders:
        frequency = f"count({q(rfm.order)})"
    amount = q(rfm.amount)
    monetary = f"sum(CAST({amount} AS DECIMAL(18, 2)))" if exact else f"fsum({amount})"
    middle = rfm.bins / 2
    cases = " ".join(
        f"WHEN {int(r) * 4 + int(f) * 2 + int(m)} THEN '{label.replace(chr(39), chr(39) * 2)}'"
        for (r, f, m), label in segment_labels(rfm.language).items()
    )
    return f"""
WITH per_user AS (
    SELECT {user} AS user_id,
           date_diff('day', CAST(max({q(rfm.date)}) AS DATE), DATE '{rfm.reference}')
               AS recency_days,
           {frequency} AS frequency,
           {monetary} AS monetary
    FROM {source(path, fmt)}
    WHERE {user} IS NOT NULL
    GROUP BY {user}
), scored AS (
    SELECT NTILE({rfm.bins}) OVER (ORDER BY recency_days DESC, user_id) AS r,
           NTILE({rfm.bins}) OVER (ORDER BY frequency, user_id) AS f,
           NTILE({rfm.bins}) OVER (ORDER BY monetary, user_id) AS m
    FROM per_user
)
SELECT CASE (r > {middle})::INT * 4 + (f > {middle})::INT * 2 + (m > {middle})::INT
       {cases} END AS segment,
       count(*) AS users
FROM scored
GROUP BY segment
ORDER BY users DESC, segment
"""


@dataclass
class Case:
    rows: int
    fmt: str
    path: Path
    users: int


@dataclass
class Results:
    threadlab: Measured
    outcome: dict[str, Any]  # the JSON of `threadlab ask`; empty when there was none
    rfm: Rfm
    duckdb: Measured
    exact_counts: dict[str, int] | None  # DECIMAL totals, not timed
    counted: Measured | None  # bare DuckDB with count(order_id); None without orders
    frequency_sql: str  # how ThreadLab's generated code counted orders
    pandas: Measured | None = None
    capped: Measured | None = None
    capped_json: dict[str, Any] | None = None

    @property
    def threadlab_status(self) -> str:
        return str(self.outcome.get("status", f"no JSON (exit {self.threadlab.rc})"))

    @property
    def threadlab_counts(self) -> dict[str, int] | None:
        return segment_counts(self.outcome) if self.threadlab_status == "ok" else None

    @property
    def capped_status(self) -> str:
        return str((self.capped_json or {}).get("status", "no JSON"))


def frequency_in(data_dir: Path) -> str:
    """How the analysis ThreadLab generated counted orders, read from its code."""
    code = "\n".join(p.read_text() for p in data_dir.glob("code/runs/*/analysis.py"))
    if "SELECT DISTINCT" in code:
        return "distinct (user, order) pairs counted apart"
    if "count(DISTINCT" in code:
        return "count(DISTINCT order)"
    if "ingest found each value once" in code:
        return "count(order): ingest proved the order ids unique"
    if "nunique" in code:
        return "pandas nunique (a table under the DuckDB threshold)"
    return "not found in the generated code"


def measure_case(case: Case, args: argparse.Namespace, run_dir: Path) -> Results:
    tl_dir = run_dir / "threadlab"
    ask = [str(BIN / "threadlab"), "ask", str(case.path), QUESTION, "--json"]
    ask += ["--out", str(tl_dir / "out")]
    tl = measure(ask, "threadlab", tl_dir, threadlab_env(tl_dir, args.timeout))
    outcome = last_json(tl.stdout) or {}
    frequency_sql = frequency_in(tl_dir / "data")
    if not args.keep:  # its Parquet cache is as large as the input
        shutil.rmtree(tl_dir / "data", ignore_errors=True)

    rfm = rfm_from(outcome, case.path, case.fmt)
    sql = duckdb_sql(case.path, case.fmt, rfm)
    (run_dir / "duckdb.sql").write_text(sql)
    db = measure([sys.executable, "-c", DUCKDB_SCRIPT, sql], "duckdb", run_dir, {**os.environ})
    exact_sql = duckdb_sql(case.path, case.fmt, rfm, exact=True)
    exact = measure(
        [sys.executable, "-c", DUCKDB_SCRIPT, exact_sql], "exact", run_dir, {**os.environ}
    )
    counted = None
    if rfm.order:
        counted_sql = duckdb_sql(case.path, case.fmt, rfm, count_orders=True)
        counted = measure(
            [sys.executable, "-c", DUCKDB_SCRIPT, counted_sql], "counted", run_dir, {**os.environ}
        )
    results = Results(tl, outcome, rfm, db, counts_of(exact), counted, frequency_sql)
    if args.skip_pandas:
        return results

    if case.fmt == "parquet":
        read = "pd.read_parquet({path!r})"
    else:
        read = 'pd.read_csv({path!r}, parse_dates=["date"])'
    script = run_dir / "pandas_rfm.py"
    script.write_text(PANDAS_SCRIPT.format(read=read.format(path=str(case.path))))
    results.pandas = measure([sys.executable, str(script)], "pandas", run_dir, {**os.environ})
    # In the sandbox the input sits in the work dir (the cwd) under its own name.
    boxed = run_dir / "pandas_rfm_sandbox.py"
    boxed.write_text(PANDAS_SCRIPT.format(read=read.format(path=case.path.name)))
    box_dir = run_dir / "sandbox"
    box = [str(BIN / "threadlab"), "sandbox", "run", str(boxed), "--input", str(case.path)]
    box += ["--memory", str(CAP_MB), "--timeout", str(args.timeout), "--json"]
    results.capped = measure(box, "pandas_capped", box_dir, threadlab_env(box_dir, args.timeout))
    results.capped_json = last_json(results.capped.stdout)
    return results


def report(case: Case, r: Results) -> bool:
    """Prints one table; False when the segment counts differ or could not be compared."""
    size_mb = case.path.stat().st_size / 1e6
    print(f"\n== {case.rows:,} rows · {case.fmt} · {size_mb:,.0f} MB · {case.users:,} users ==")
    print(
        "ThreadLab: a cold run (fresh data dir and database, ingest included), rules "
        f"planner, sandbox capped at {CAP_MB} MB"
    )
    print(
        f"{'':31} {'wall s':>8} {'peak MB':>8} {'max RSS MB':>11} {'tree PSS MB':>12} "
        f"{'sandbox MB':>11}  status"
    )

    def line(label: str, m: Measured | None, status: str, box: int | None = None) -> None:
        if m is None:
            print(f"{label:31} {'skipped':>8}")
            return
        boxed = f"{box / 2**20:,.0f}" if box is not None else "n/a"
        print(
            f"{label:31} {m.wall_s:8.2f} {m.peak / 2**20:8,.0f} {m.max_rss / 2**20:11,.0f} "
            f"{m.tree_pss / 2**20:12,.0f} {boxed:>11}  {status}"
        )

    tl, db, pandas = r.threadlab, r.duckdb, r.pandas
    line("ThreadLab ask (1 GB cap)", tl, r.threadlab_status, sandbox_peak(r.outcome))
    line("pandas, article (no cap)", pandas, "ok" if pandas and pandas.rc == 0 else "failed")
    line("bare DuckDB query", db, "ok" if db.rc == 0 else "failed")
    if r.counted is not None:
        line("bare DuckDB, count(order_id)", r.counted, "ok" if r.counted.rc == 0 else "failed")
    capped_peak = (r.capped_json or {}).get("peak_memory_bytes")
    line("pandas, article (1 GB sandbox)", r.capped, r.capped_status, capped_peak)
    if r.threadlab_status != "ok":
        print(f"ThreadLab did not finish: {r.outcome.get('message') or f'see {tl.log}'}")
    for label, m in (("pandas", pandas), ("DuckDB", db)):
        if m is not None and m.rc != 0:
            print(f"{label} failed (exit {m.rc}): see {m.log}")

    memory_ratio = tl.peak / pandas.peak if pandas is not None else None
    wall_ratio = tl.wall_s / db.wall_s if db.rc == 0 else None
    if memory_ratio is not None and r.capped is not None:
        verdict = {"out_of_memory": "killed for memory", "ok": "survived"}.get(
            r.capped_status, f"{r.capped_status}: {(r.capped_json or {}).get('message', '')}"
        )
        print(f"pandas under the 1 GB cap: {verdict} (after {r.capped.wall_s:.1f} s)")
        print(f"ThreadLab peak / pandas peak: {memory_ratio:.3f}")
    if wall_ratio is not None:
        print(f"ThreadLab wall / DuckDB wall: {wall_ratio:.2f}x")
    print(f"ThreadLab counted orders as: {r.frequency_sql}")
    if r.counted is not None and r.counted.rc == 0:
        print(
            f"ThreadLab wall / DuckDB wall with count(order_id): "
            f"{tl.wall_s / r.counted.wall_s:.2f}x (the fixed costs: start, ingest, sandbox)"
        )

    matched = check_counts(r)
    print("targets (the issue's, for 50M rows):")
    targets = [("ThreadLab completes under the 1 GB cap", r.threadlab_status == "ok")]
    if memory_ratio is not None:
        targets.append(("ThreadLab peak <= 1/10 of pandas' peak", memory_ratio <= 0.1))
    if wall_ratio is not None:
        targets.append(("ThreadLab wall <= 1.5x bare DuckDB's", wall_ratio <= 1.5))
    for label, passed in targets:
        print(f"  {label}: {'pass' if passed else 'fail'}")
    return matched


def check_counts(r: Results) -> bool:
    rfm, ours, theirs = r.rfm, counts_of(r.duckdb), r.threadlab_counts
    frequency = f"distinct {rfm.order}" if rfm.order else "rows"
    print(
        f"RFM as {'ThreadLab planned it' if rfm.from_plan else 'assumed (no plan)'}: users "
        f"{rfm.user}, frequency {frequency}, monetary sum of {rfm.amount}, recency to "
        f"{rfm.reference}, {rfm.bins} bins"
    )
    if ours is None or theirs is None:
        missing = "DuckDB" if ours is None else "ThreadLab"
        print(f"segment counts match: n/a (no counts from {missing})")
        if ours is None:
            return False
    else:
        print(f"segment counts match: {'yes' if ours == theirs else 'no'}")
    for segment, n in sorted(ours.items(), key=lambda kv: (-kv[1], kv[0])):
        mark = ""
        if theirs is not None and theirs.get(segment) != n:
            mark = f"  (ThreadLab: {theirs.get(segment)})"
        print(f"  {segment:26} {n:>10,}{mark}")
    if r.exact_counts is not None and r.exact_counts != ours:
        moved = sum(abs(r.exact_counts.get(k, 0) - n) for k, n in ours.items()) // 2
        print(
            f"with exact DECIMAL totals {moved:,} users (net) land in other segments: float "
            "totals of equal spends can differ in the last bit (5.41 + 2.57 + 47.98 = "
            "55.959999999999994) and so break a tie at a tile boundary by amount, not user"
        )
    elif r.exact_counts is not None:
        print("with exact DECIMAL totals: the same counts")
    return theirs is not None and ours == theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[10_000_000, 50_000_000])
    parser.add_argument("--csv-rows", type=int, nargs="*", default=[10_000_000])
    parser.add_argument("--users", type=int, help="default: 1M, or rows // 10 when fewer")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "threadlab-rfm-bench",
        help="where files and run dirs go (default: %(default)s)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep files (reused by the next run) and run dirs"
    )
    parser.add_argument("--skip-pandas", action="store_true", help="no pandas runs")
    parser.add_argument(
        "--shuffled-orders", action="store_true", help="order ids out of order (rfm_data.py)"
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="sandbox wall-time limit, s (CPU: x cores)"
    )
    args = parser.parse_args()

    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(
        f"RFM benchmark: seed {args.seed}, {os.cpu_count()} cores, {memory_gb:.0f} GiB RAM, "
        f"work dir {work}{' (kept)' if args.keep else ''}"
    )
    made: list[Path] = []
    ok = True
    try:
        for rows, fmt in [(r, "parquet") for r in args.rows] + [(r, "csv") for r in args.csv_rows]:
            spec = Spec(rows, args.users or users_for(rows), args.seed, args.shuffled_orders)
            data = generate(spec, fmt, work)
            made.append(data.path)
            if data.reused:
                print(f"\nreusing {data.path}")
            else:
                print(
                    f"\ngenerated {data.path.name} in {data.seconds:.1f} s: "
                    f"{data.active_users:,} of {spec.users:,} users active, "
                    f"{data.under_5_share:.1%} of amounts under 5"
                )
            run_dir = work / spec.file_name(fmt).replace(".", "_run_")
            shutil.rmtree(run_dir, ignore_errors=True)
            made.append(run_dir)
            case = Case(rows, fmt, data.path, spec.users)
            ok = report(case, measure_case(case, args, run_dir)) and ok
    finally:
        if not args.keep:
            for path in made:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                work.rmdir()  # only when nothing else is in it
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

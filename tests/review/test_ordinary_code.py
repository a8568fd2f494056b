"""Ordinary analysis code passes without a single finding."""

from __future__ import annotations

import pytest

from bot.review import review

ORDINARY = {
    "pandas_basics": """
import pandas as pd
df = pd.read_csv("sales.csv", parse_dates=["date"])
df = df[df["amount"] > 5].copy()
df["month"] = df["date"].dt.to_period("M").astype(str)
monthly = df.groupby("month", as_index=False)["amount"].sum()
monthly.to_csv("monthly.csv", index=False)
print(monthly.to_string())
print(df.to_json(orient="records")[:200])
""",
    "eval_query_apply": """
import pandas as pd
df = pd.read_parquet("data.parquet")
df["margin"] = df.eval("revenue - cost")
big = df.query("amount > 1000 and region == 'North'")
df["label"] = df["amount"].apply(lambda v: "high" if v > 100 else "low")
print(f"{len(big):,} big orders; mean {big['amount'].mean():.2f}")
""",
    "matplotlib_seaborn": """
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import seaborn as sns
fig, ax = plt.subplots(figsize=(8, 4))
sns.histplot(data=df, x="amount", ax=ax)
ax.set_title("Amounts")
fig.tight_layout()
fig.savefig("hist.png", dpi=120)
plt.savefig("charts/second.png")
plt.close(fig)
""",
    "numpy_scipy": """
import numpy as np
from scipy import stats
values = np.asarray(df["amount"], dtype=float)
z = stats.zscore(values)
t, p = stats.ttest_ind(values[:50], values[50:])
np.save("z.npy", z)
loaded = np.load("z.npy")
print(np.percentile(values, [25, 50, 75]))
""",
    "sklearn_statsmodels": """
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
import statsmodels.api as sm
import statsmodels.formula.api as smf
X = StandardScaler().fit_transform(df[["recency", "frequency", "monetary"]])
df["cluster"] = KMeans(n_clusters=4, n_init=10, random_state=0).fit_predict(X)
model = smf.ols("sales ~ price + C(region)", data=df).fit()
print(model.summary())
decomp = sm.tsa.seasonal_decompose(monthly["sales"], period=12)
""",
    "duckdb": """
import duckdb
con = duckdb.connect()
top = con.execute(
    "SELECT store, sum(amount) AS total FROM 'transactions.parquet' GROUP BY store "
    "ORDER BY total DESC LIMIT 5"
).df()
rel = duckdb.sql("SELECT * FROM df WHERE amount > 5")
rel.write_parquet("filtered.parquet")
duckdb.read_csv("input.csv")
""",
    "stdlib": """
import copy, io, json, math, re, statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from itertools import groupby, islice
from functools import reduce
buf = io.StringIO()
df.to_csv(buf, index=False)
snapshot = copy.deepcopy({"a": [1, 2]})
counts = Counter(re.findall(r"\\w+", "a b a"))
by_key = defaultdict(list)
mean = statistics.mean([1, 2, 3]) + math.sqrt(4)
payload = json.dumps({"when": datetime.now().isoformat(), "d": str(date.today())})
with open("summary.json", "w", encoding="utf-8") as fh:
    json.dump({"mean": mean}, fh)
with open("summary.json", encoding="utf-8") as fh:
    back = json.load(fh)
""",
    "user_functions_and_classes": """
from dataclasses import dataclass
from typing import Any

@dataclass
class Segment:
    name: str
    users: int

    def __str__(self) -> str:
        return f"{self.name}: {self.users}"


def summarise(frame, vars):
    return {v: frame[v].mean() for v in vars}


squares = [x * x for x in range(10) if x % 2]
lookup = {k: v for k, v in zip("abc", range(3))}
print(type(lookup).__name__, summarise.__doc__, Segment("a", 1))
""",
    "pathlib_relative": """
from pathlib import Path
OUT = Path("results")
OUT.mkdir(exist_ok=True)
(OUT / "notes.txt").write_text("done", encoding="utf-8")
text = Path("results/notes.txt").read_text(encoding="utf-8")
df.to_csv(OUT / "table.csv", index=False)
""",
    "os_path_and_listing": """
import glob
import os
import sys
files = sorted(glob.glob("*.csv"))
for name in os.listdir("."):
    print(os.path.join("out", name), os.path.splitext(name)[0])
os.makedirs("out", exist_ok=True)
print(sys.version_info, file=sys.stderr)
sys.stdout.write("ok\\n")
""",
    "excel_and_pil": """
import openpyxl
from PIL import Image
import pandas as pd
with pd.ExcelWriter("report.xlsx") as writer:
    df.to_excel(writer, sheet_name="data", index=False)
wb = openpyxl.load_workbook("report.xlsx")
img = Image.open("chart.png")
print(pd.__version__)
""",
    "sandbox_runtime": """
from sandbox import runtime as tl
import sandbox.runtime
with tl.step(1, "Load"):
    tl.table(df, "t", "Table")
    tl.image("chart.png", "Chart")
    tl.answer("done")
""",
    "constant_data_name": """
import pandas as pd
DATA = "transactions.parquet"
df = pd.read_parquet(DATA, columns=["amount"])
""",
}


@pytest.mark.parametrize("code", ORDINARY.values(), ids=ORDINARY.keys())
def test_ordinary_analysis_code_is_ok(code: str) -> None:
    result = review(code)
    assert result.findings == [], result.findings
    assert result.status == "ok"


def test_a_column_called_vars_is_not_the_builtin() -> None:
    assert review("def f(vars):\n    return [v for v in vars]\n").status == "ok"

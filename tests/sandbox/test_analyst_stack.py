"""The analysis libraries the bot promises work inside the real sandbox.

One job imports the whole stack (each import costs seconds), computes a little with each
library and prints the results; the test computes the same here and compares.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import seaborn as sns
import statsmodels.api as sm
from matplotlib.figure import Figure
from PIL import Image
from scipy import stats
from sklearn.cluster import KMeans

from bot.review import review
from sandbox.executor import Executor, Job
from sandbox.limits import Limits

GROUP_A = [5.1, 4.9, 5.6, 5.8, 6.0, 5.2, 5.4]
GROUP_B = [6.2, 6.4, 5.9, 6.8, 6.1, 6.6, 6.3]
POINTS = [[1.0, 1.0], [1.2, 0.8], [0.9, 1.1], [5.0, 5.0], [5.2, 4.9], [4.8, 5.1]]
X = list(range(10))
Y = [2.1, 5.2, 7.9, 11.1, 14.2, 16.8, 20.1, 23.0, 25.9, 29.2]

# Written the way generated code is: relative file names, no pyplot state, one JSON line.
ANALYSIS = textwrap.dedent(f"""
    import json

    import numpy as np
    import pandas as pd
    import seaborn as sns
    import statsmodels.api as sm
    from matplotlib.figure import Figure
    from PIL import Image
    from scipy import stats
    from sklearn.cluster import KMeans

    t = stats.ttest_ind({GROUP_A}, {GROUP_B})

    km = KMeans(n_clusters=2, n_init=1, random_state=0).fit(np.array({POINTS}))

    pd.DataFrame({{"x": {X}, "y": {Y}}}).to_csv("points.csv", index=False)
    points = pd.read_csv("points.csv")
    ols = sm.OLS(points["y"], sm.add_constant(points["x"])).fit()

    fig = Figure(figsize=(4, 3))
    ax = fig.subplots()
    sns.barplot(data=points, x="x", y="y", errorbar=None, ax=ax)
    fig.savefig("bars.png", dpi=100)
    with Image.open("bars.png") as img:
        size = list(img.size)

    print(json.dumps({{
        "t": [float(t.statistic), float(t.pvalue)],
        "labels": km.labels_.tolist(),
        "inertia": float(km.inertia_),
        "params": ols.params.tolist(),
        "rsquared": float(ols.rsquared),
        "csv_shape": list(points.shape),
        "png_size": size,
    }}))
""").lstrip()


def _expected(tmp: Path) -> dict[str, Any]:
    t = stats.ttest_ind(GROUP_A, GROUP_B)
    km = KMeans(n_clusters=2, n_init=1, random_state=0).fit(np.array(POINTS))
    ols = sm.OLS(np.array(Y), sm.add_constant(np.array(X, dtype=float))).fit()
    fig = Figure(figsize=(4, 3))
    sns.barplot(data=pd.DataFrame({"x": X, "y": Y}), x="x", y="y", errorbar=None, ax=fig.subplots())
    fig.savefig(tmp / "bars.png", dpi=100)
    with Image.open(tmp / "bars.png") as img:
        size = list(img.size)
    return {
        "t": [float(t.statistic), float(t.pvalue)],
        "labels": km.labels_.tolist(),
        "inertia": float(km.inertia_),
        "params": ols.params.tolist(),
        "rsquared": float(ols.rsquared),
        "csv_shape": [len(X), 2],
        "png_size": size,
    }


def test_analysis_code_passes_review() -> None:
    result = review(ANALYSIS)
    assert result.findings == [], result.findings
    assert result.status == "ok"


def test_analysis_stack_runs_in_the_sandbox(executor: Executor, tmp_path: Path) -> None:
    out = tmp_path / "artifacts"
    # The bot's own limits, not the tests' small ones: this is the job as users run it.
    result = executor.run(Job(code=ANALYSIS, artifacts_dir=out, limits=Limits(wall_time_s=120)))
    assert result.status == "ok", result.stderr
    got = json.loads(result.stdout.strip().splitlines()[-1])

    expected = _expected(tmp_path)
    # The sandbox runs BLAS on one thread, this process maybe on more: sums may differ
    # in the last bits, so floats compare closely rather than exactly.
    for key in ("t", "params"):
        assert got[key] == pytest.approx(expected[key], rel=1e-9), key
    assert got["inertia"] == pytest.approx(expected["inertia"], rel=1e-9)
    assert got["rsquared"] == pytest.approx(expected["rsquared"], rel=1e-12)
    assert (got["labels"], got["csv_shape"], got["png_size"]) == (
        expected["labels"],
        expected["csv_shape"],
        expected["png_size"],
    )
    assert got["png_size"] == [400, 300]

    # The chart and the scratch CSV came back as artifacts, the chart as a real PNG.
    kinds = {a.name: a.kind for a in result.artifacts}
    assert kinds == {"bars.png": "image", "points.csv": "table"}
    with Image.open(out / "bars.png") as img:
        assert img.format == "PNG" and list(img.size) == got["png_size"]

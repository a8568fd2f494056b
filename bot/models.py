"""The domain's data: datasets and their profiles, requests, and the typed `Plan`.

A plan is a list of steps over one working table `df` (loaded from the dataset's Parquet
cache). Steps that transform it (filter, derive, window) change `df`; analysis steps
(aggregate, resample, top_n, pivot, describe, missing, correlate, outliers, rfm) write a
named result table; `chart` draws a named result (or `df`); `answer` formats the facts
the analysis steps recorded into the reply. `python` carries free code for anything the
vocabulary cannot say.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ColumnKind = Literal["integer", "number", "text", "identifier", "datetime", "boolean"]
Language = Literal["en", "zh"]


class ColumnProfile(BaseModel):
    name: str
    kind: ColumnKind
    dtype: str  # the pandas dtype in the Parquet cache
    nulls: int
    distinct: int | None = None
    # True: each present value occurs once; False: some repeat; None: not known (a large
    # table proves it only for a column whose values strictly rise or fall down the file).
    unique: bool | None = None
    min: Any = None
    max: Any = None
    examples: list[Any] = Field(default_factory=list)


class DatasetProfile(BaseModel):
    rows: int
    columns: list[ColumnProfile]

    def column(self, name: str) -> ColumnProfile | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


class MaskedColumn(BaseModel):
    """A column whose personal data was tokenised at ingest (or, for free text, the
    PII found inside its values)."""

    column: str
    pii_type: str | None  # phone, email, id_card...; None for a free-text column
    free_text: bool = False
    values_masked: int  # values (or spans, for free text) replaced by tokens
    distinct_values: int  # distinct values (or rows with spans, for free text)
    derived: list[str] = Field(default_factory=list)  # safe columns added from it


class Dataset(BaseModel):
    """An ingested file: the original, its Parquet cache and its profile."""

    id: str  # content hash of the source file, short
    name: str  # the file's name as uploaded
    source_path: str
    cache_path: str  # the Parquet cache, the only thing the sandbox reads
    size_bytes: int
    format: Literal["csv", "excel", "parquet", "jsonl"]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    profile: DatasetProfile
    masked: list[MaskedColumn] = Field(default_factory=list)
    # What reading it could not keep as written, in words (a large file's values that did
    # not fit the type its sample showed, for one): shown with the dataset.
    notes: list[str] = Field(default_factory=list)


class Turn(BaseModel):
    """An earlier exchange in the same thread, as a planner may see it (masked)."""

    model_config = ConfigDict(frozen=True)
    question: str
    summary: str  # the plan's one line
    result: str  # the answer or the error, shortened


class Request(BaseModel):
    """One question about one file, as a transport hands it to the pipeline."""

    model_config = ConfigDict(frozen=True)
    data: Path
    question: str
    sheet: str | None = None  # the Excel sheet to read (default: the first with data)
    out_dir: Path | None = None  # where charts, tables and the code go (default: data dir)
    approved: bool = False  # run code the policy holds for approval (blocked never runs)
    # The conversation this request belongs to (a Slack thread, `ask --thread`): the
    # planner sees its earlier turns.
    thread: str | None = None
    code: str | None = None  # the user's own program: runs instead of a plan
    user: str | None = None  # who asked (a Slack user id), for the record and approvals
    replay_of: str | None = None  # a stored run whose code runs again, on `data`


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = ""  # shown in the checklist; codegen derives one when empty


class LoadStep(_Step):
    kind: Literal["load"] = "load"
    columns: list[str] | None = None  # None: all columns


class FilterStep(_Step):
    kind: Literal["filter"] = "filter"
    column: str
    op: Literal["==", "!=", ">", ">=", "<", "<=", "in", "not in", "contains", "notnull"]
    value: Any = None


class WindowStep(_Step):
    """Keeps the last N periods of a date column, counted back from its latest value."""

    kind: Literal["window"] = "window"
    column: str
    last: int = Field(ge=1)
    unit: Literal["day", "week", "month", "year"] = "month"


class TableStep(_Step):
    """Reports the working table itself (after filters) as a result table."""

    kind: Literal["table"] = "table"
    output: str
    columns: list[str] | None = None  # None: all columns
    sort_by: str | None = None
    ascending: bool = False


class DeriveStep(_Step):
    """A new column from a pandas `DataFrame.eval` expression over existing columns."""

    kind: Literal["derive"] = "derive"
    name: str
    expression: str


AggFunc = Literal["sum", "mean", "median", "min", "max", "count", "nunique"]


class Metric(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str
    func: AggFunc
    name: str  # the result column's name


class AggregateStep(_Step):
    kind: Literal["aggregate"] = "aggregate"
    output: str
    by: list[str]
    metrics: list[Metric] = Field(min_length=1)
    sort_by: str | None = None  # a metric name; sorted descending


Freq = Literal["day", "week", "month", "quarter", "year"]


class ResampleStep(_Step):
    """Totals (or another aggregate) of a value per calendar period."""

    kind: Literal["resample"] = "resample"
    output: str
    date_column: str
    freq: Freq
    value_column: str | None = None  # None: count rows
    func: AggFunc = "sum"
    # records <output>_peak_period, <output>_peak_value, <output>_low_period, ...
    record_facts: bool = True


class TopNStep(_Step):
    kind: Literal["top_n"] = "top_n"
    output: str
    column: str  # rank by this column
    n: int = Field(default=10, ge=1, le=10_000)
    ascending: bool = False
    group_by: str | None = None  # None: rank rows; else rank groups by sum(column)


class PivotStep(_Step):
    kind: Literal["pivot"] = "pivot"
    output: str
    index: str
    columns: str
    values: str
    func: AggFunc = "sum"


class DescribeStep(_Step):
    """Overview: shape, types and summary statistics."""

    kind: Literal["describe"] = "describe"
    output: str = "summary"
    columns: list[str] | None = None


class MissingStep(_Step):
    """Row count and missing values per column."""

    kind: Literal["missing"] = "missing"
    output: str = "missing"


class CorrelateStep(_Step):
    kind: Literal["correlate"] = "correlate"
    output: str = "correlation"
    columns: list[str] = Field(min_length=2)
    method: Literal["pearson", "spearman"] = "pearson"


class OutliersStep(_Step):
    kind: Literal["outliers"] = "outliers"
    output: str = "outliers"
    column: str
    k: float = 1.5  # Tukey's fences: below Q1 - k*IQR or above Q3 + k*IQR


class RFMStep(_Step):
    """Recency/frequency/monetary scores by NTILE over users, and segments from them."""

    kind: Literal["rfm"] = "rfm"
    output: str = "rfm"
    user_column: str
    date_column: str
    amount_column: str
    order_column: str | None = None  # None: each row is one order
    reference_date: dt.date  # recency = days from the last purchase to this date
    bins: int = Field(default=5, ge=2, le=10)


class ChartStep(_Step):
    kind: Literal["chart"] = "chart"
    chart: Literal["line", "bar", "hist", "scatter", "heatmap"]
    source: str  # a result name, or "df" for the working table
    x: str | None = None
    y: str | None = None
    label: str = ""  # axis label of y (or x for a histogram)
    mark_peak: bool = False
    bins: int = 30
    file: str  # PNG name in the work dir


class AnswerStep(_Step):
    """The reply text: `template` is formatted with the facts recorded by earlier steps."""

    kind: Literal["answer"] = "answer"
    template: str


class PythonStep(_Step):
    """Code for what the vocabulary cannot express; it sees `df`, `results` and
    `facts`, and goes through the code policy like any code."""

    kind: Literal["python"] = "python"
    code: str
    facts: list[str] = Field(default_factory=list)  # names the code sets in `facts`


Step = Annotated[
    LoadStep
    | FilterStep
    | WindowStep
    | DeriveStep
    | TableStep
    | AggregateStep
    | ResampleStep
    | TopNStep
    | PivotStep
    | DescribeStep
    | MissingStep
    | CorrelateStep
    | OutliersStep
    | RFMStep
    | ChartStep
    | AnswerStep
    | PythonStep,
    Field(discriminator="kind"),
]


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str
    language: Language
    dataset: str  # the file name the plan reads (its Parquet cache inside the sandbox)
    summary: str  # one line: what the plan does
    steps: list[Step] = Field(min_length=1)
    understood: bool = True  # False: the planner could not map the request
    notes: list[str] = Field(default_factory=list)  # what the planner assumed

    def checklist(self) -> list[str]:
        return [s.title or s.kind for s in self.steps]

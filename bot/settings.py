"""One `Settings` object, read from the environment and `.env` when asked for, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from sandbox.limits import Limits

MIB = 1024 * 1024


class Settings(BaseSettings):
    """Every knob of ThreadLab. Environment names carry the `THREADLAB_` prefix."""

    model_config = SettingsConfigDict(
        env_prefix="THREADLAB_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(
        default=Path("~/.threadlab/data"),
        description="Where uploaded files, their Parquet caches and run outputs are kept.",
    )
    db_path: Path = Field(
        default=Path("~/.threadlab/threadlab.db"),
        description="The SQLite database of datasets and runs.",
    )
    planner: Literal["auto", "rules", "llm"] = Field(
        default="auto",
        description="Which planner plans requests: `auto` uses the LLM when one is configured.",
    )
    llm_model: str = Field(default="", description="Model name sent to the LLM endpoint.")
    openai_base_url: str = Field(
        default="",
        validation_alias=AliasChoices("THREADLAB_OPENAI_BASE_URL", "OPENAI_BASE_URL"),
        description="Base URL of an OpenAI-compatible endpoint (OpenAI, vLLM, Ollama).",
    )
    openai_api_key: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("THREADLAB_OPENAI_API_KEY", "OPENAI_API_KEY"),
        description="API key for the LLM endpoint.",
    )
    llm_temperature: float = Field(
        default=0.0, ge=0, le=2, description="Sampling temperature; 0 keeps plans repeatable."
    )
    llm_timeout_s: float = Field(
        default=60, gt=0, description="Seconds to wait for one LLM reply before giving up on it."
    )
    llm_max_tokens: int = Field(
        default=2000, ge=1, description="Most tokens the LLM may write in one reply."
    )
    llm_retries: int = Field(
        default=2,
        ge=0,
        description="Retries after the first try when the LLM answers 429/5xx or cannot be "
        "reached, with exponential backoff (honouring Retry-After).",
    )
    llm_circuit_failures: int = Field(
        default=3,
        ge=1,
        description="Failed LLM calls in a row after which the LLM is not asked for a while "
        "(the rules planner answers instead).",
    )
    llm_circuit_reset_s: float = Field(
        default=60,
        gt=0,
        description="Seconds the LLM is left alone after that, before one trial call.",
    )

    llm_repair_attempts: int = Field(
        default=2, ge=0, le=5, description="Times a failed run's code goes back to the LLM."
    )
    llm_prompt_tokens: int = Field(
        default=6000, ge=1000, description="Token budget of a planning prompt."
    )

    slack_bot_token: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("THREADLAB_SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN"),
        description="The bot token (xoxb-) of the Slack app.",
    )
    slack_app_token: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("THREADLAB_SLACK_APP_TOKEN", "SLACK_APP_TOKEN"),
        description="The app-level token (xapp-, connections:write) for Socket Mode.",
    )
    slack_signing_secret: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("THREADLAB_SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET"),
        description="Verifies Slack's requests in HTTP mode.",
    )
    slack_api_url: str = Field(
        default="",
        validation_alias=AliasChoices("THREADLAB_SLACK_API_URL", "SLACK_API_URL"),
        description="Send every Slack call (Socket Mode connection and file downloads "
        "included) to this base URL instead of https://slack.com/api/.",
    )
    slack_mode: Literal["socket", "http"] = Field(
        default="socket", description="Socket Mode (no public URL) or HTTP events."
    )
    slack_http_port: int = Field(default=3000, ge=1, le=65535, description="Port in HTTP mode.")
    approvers: str = Field(
        default="",
        description="Comma-separated Slack user ids (U…) or user-group ids (S…) who may "
        "approve code the policy holds.",
    )
    approvers_include_requester: bool = Field(
        default=False, description="The person who asked may approve their own request."
    )
    allowed_channels: str = Field(
        default="", description="Comma-separated channel ids the bot answers in (empty: all)."
    )
    allowed_users: str = Field(
        default="", description="Comma-separated user ids the bot answers (empty: all)."
    )

    code_repo: Path | None = Field(
        default=None,
        description="The git repository every run's plan and code is committed to "
        "(default: <data dir>/code).",
    )
    drain_timeout_s: float = Field(
        default=300,
        ge=0,
        description="On SIGTERM, how long `serve` waits for requests in flight to finish.",
    )
    retention_days: float = Field(
        default=30,
        gt=0,
        description="Uploaded files, caches and run outputs untouched this long are deleted.",
    )

    max_upload_mb: int = Field(
        default=16384,
        ge=1,
        description="Files larger than this are refused at ingest (Slack itself caps "
        "uploads at 1 GB; larger files come through `threadlab ask`).",
    )
    stream_ingest_mb: int = Field(
        default=64,
        ge=1,
        description="CSV and Parquet files larger than this are converted to the Parquet "
        "cache in batches, with column types and personal-data columns decided from a "
        "sample, so the file is never in memory whole.",
    )
    ingest_memory_mb: int = Field(
        default=1024,
        ge=64,
        description="Memory DuckDB may use in the bot while profiling a large file at ingest.",
    )
    duckdb_min_rows: int = Field(
        default=1_000_000,
        ge=0,
        description="Tables with at least this many rows are analysed by DuckDB SQL over the "
        "Parquet cache (pandas gets only the aggregated results); smaller ones by pandas. "
        "0: always DuckDB.",
    )
    preview_rows: int = Field(
        default=10, ge=1, le=1000, description="Rows of a result table shown in a reply."
    )

    metrics_port: int = Field(
        default=9464,
        ge=0,
        le=65535,
        description="Port of the Prometheus endpoint (/metrics, /healthz, /readyz) of "
        "`threadlab serve`; 0 turns it off.",
    )
    metrics_host: str = Field(
        default="127.0.0.1",
        description="Address the metrics endpoint listens on (0.0.0.0 for a scraper on "
        "another host or container).",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text, or one JSON object per line."
    )
    log_level: str = Field(
        default="INFO",
        pattern=r"(?i)^(debug|info|warning|error|critical)$",
        description="Least severe log level written (`threadlab ask` logs warnings and "
        "worse unless this is set).",
    )

    pii_tokenise: bool = Field(
        default=True,
        description="Replace personal data (phones, IDs, emails, names...) by keyed "
        "tokens at ingest, so analyses and the LLM never see it.",
    )
    pii_restore: Literal["thread", "never"] = Field(
        default="thread",
        description="Show real values in place of tokens in replies to the thread the "
        "file came from (`thread`), or never.",
    )

    sandbox_timeout_s: float = Field(default=300, gt=0, description="Wall-time limit of a run.")
    sandbox_cpu_s: int = Field(default=600, gt=0, description="CPU-time limit (all threads).")
    sandbox_memory_mb: int = Field(default=4096, ge=64, description="Memory limit of a run.")
    sandbox_max_processes: int = Field(
        default=64,
        # Measured: at 4 a Parquet read waits forever for pyarrow threads that could not
        # start (until the time limit); at 8 DuckDB cannot start its own.
        ge=16,
        description="Processes and threads a run may have (at least 16: pyarrow and DuckDB "
        "start threads of their own).",
    )
    sandbox_file_size_mb: int = Field(
        default=1024, ge=1, description="Largest file a run may write."
    )
    sandbox_open_files: int = Field(default=256, ge=16, description="Open file descriptors.")
    sandbox_output_kb: int = Field(
        default=1024, ge=1, description="stdout+stderr a run may print before it is stopped."
    )
    sandbox_max_artifacts: int = Field(default=20, ge=0, description="Artifacts kept per run.")
    sandbox_artifact_mb: int = Field(default=20, ge=1, description="Largest artifact kept.")
    sandbox_workers: int = Field(
        default=2, ge=1, description="Runs executed at the same time; more wait in a queue."
    )
    sandbox_workdir_mb: int = Field(
        default=1024, ge=1, description="Space a run may write in its work dir (a tmpfs)."
    )
    sandbox_workdir_files: int = Field(
        default=16384, ge=64, description="Files and dirs a run may create in its work dir."
    )
    sandbox_spill_mb: int = Field(
        default=8192,
        ge=1,
        description="Disk a run may fill with spilled data (DuckDB's temp files) when its "
        "work dir is a tmpfs; the run is stopped beyond it.",
    )
    sandbox_uid: int = Field(
        default=65534, ge=1, description="Unprivileged uid (and gid) runs execute as."
    )
    sandbox_allow_unisolated: bool = Field(
        default=False,
        description="Run generated code even on a host with neither a mount namespace "
        "nor Landlock to hide the bot's files from it. Leave off unless you must.",
    )

    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser()

    def resolved_code_repo(self) -> Path:
        return (self.code_repo or self.resolved_data_dir() / "code").expanduser()

    def resolved_db_path(self) -> Path:
        return self.db_path.expanduser()

    def sandbox_limits(self) -> Limits:
        """The sandbox's limits as the sandbox package understands them."""
        return Limits(
            wall_time_s=self.sandbox_timeout_s,
            cpu_time_s=self.sandbox_cpu_s,
            memory_bytes=self.sandbox_memory_mb * MIB,
            max_processes=self.sandbox_max_processes,
            file_size_bytes=self.sandbox_file_size_mb * MIB,
            open_files=self.sandbox_open_files,
            output_bytes=self.sandbox_output_kb * 1024,
            max_artifacts=self.sandbox_max_artifacts,
            artifact_bytes=self.sandbox_artifact_mb * MIB,
            workdir_bytes=self.sandbox_workdir_mb * MIB,
            workdir_files=self.sandbox_workdir_files,
            spill_bytes=self.sandbox_spill_mb * MIB,
        )

    def id_list(self, name: str) -> list[str]:
        """A comma-separated id setting as a list (approvers, allowed_*)."""
        value = getattr(self, name)
        return [part.strip() for part in str(value).split(",") if part.strip()]

    def llm_configured(self) -> bool:
        return bool(self.openai_base_url or self.openai_api_key.get_secret_value())

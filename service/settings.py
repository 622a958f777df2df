"""One settings object for every layer; read from the environment (prefix EXPORT_SCREEN_) or a .env file.

Nothing here connects or reads rule files: the settings only say where things are.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import AliasChoices, BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATABASE_FILE = "export-screen.db"


def default_data_dir() -> Path:
    """Where data lives unless EXPORT_SCREEN_DATA_DIR says otherwise: `var/` of the source checkout the
    service runs from (whatever the current directory, so every command of one checkout shares one
    database and one set of lists), or, for an installed package, the user's data directory."""
    if (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "service").is_dir():
        return PROJECT_ROOT / "var"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "export-screen"


class ListSource(BaseModel):
    """An official list that `export-screen lists update` downloads: its name, format and file URL(s)."""

    name: str = Field(description="Snapshot name, e.g. ofac-sdn.")
    format: str = Field(description="Reader format: ofac, csl, un, dpl, opensanctions, tw-shtc or yaml.")
    urls: list[str] = Field(min_length=1, description="File URLs; OFAC needs sdn.csv, alt.csv, add.csv (+ comments).")


OFFICIAL_LISTS = [
    ListSource(name="ofac-sdn", format="ofac", urls=[
        f"https://www.treasury.gov/ofac/downloads/{file}"
        for file in ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")
    ]),
    ListSource(name="un-sc", format="un", urls=["https://scsanctions.un.org/resources/xml/en/consolidated.xml"]),
    ListSource(name="us-csl", format="csl", urls=[
        "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv"
    ]),
    # Taiwan's SHTC Entity List; the download URL may change with each new version (docs/lists.md).
    ListSource(name="tw-shtc", format="tw-shtc", urls=[
        "https://publicinfo.trade.gov.tw/icp/Download.action?file=ZgPKOWuRLCD%2B8S4%2FZhAeuw%3D%3D"
    ]),
]


# How `serve` keeps its workers to cores (service/api/pinning.py).
PinWorkers = Literal["auto", "on", "off"]
# How many worker processes `serve` starts: a number, or auto (service/api/pinning.py, worker_count).
Workers = Annotated[int, Field(ge=1)] | Literal["auto"]


class Settings(BaseSettings):
    """Where the rules, lists and database are, and the limits the service enforces."""

    model_config = SettingsConfigDict(env_prefix="EXPORT_SCREEN_", env_file=".env", extra="ignore")

    rules_dir: Path = Field(default=PROJECT_ROOT / "rules", description="Directory of rule files (*.yaml).")
    lists_dir: Path = Field(
        default=PROJECT_ROOT / "rules" / "lists", description="Curated denied-party lists in the project's YAML format."
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where list snapshots, batch files and the default SQLite file live (made absolute); default: "
        "var/ of the source checkout, else $XDG_DATA_HOME/export-screen.",
    )
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("DATABASE_URL", "EXPORT_SCREEN_DATABASE_URL"),
        description="SQLAlchemy URL; default: the SQLite file export-screen.db in the data directory; "
        "postgresql+psycopg://... in production.",
    )
    list_sources: list[ListSource] = Field(
        default_factory=lambda: [source.model_copy() for source in OFFICIAL_LISTS],
        description="Lists that `lists update` downloads (JSON in the environment).",
    )
    list_max_shrink: float = Field(
        default=0.2, ge=0, le=1, description="Refuse an update whose entry count shrank by more than this share."
    )
    list_min_entries: dict[str, int] = Field(
        default_factory=lambda: {"tw-shtc": 9000},
        description="Fewest entries a list may have (JSON); a smaller one is a failed download and is refused.",
    )
    list_download_timeout: float = Field(default=60.0, gt=0, description="Seconds per list download request.")
    list_download_retries: int = Field(default=3, ge=0, description="Retries per file after a failed download.")
    list_max_age_days: dict[str, float] = Field(
        default_factory=lambda: {"ofac-sdn": 7.0, "un-sc": 7.0, "us-csl": 7.0, "tw-shtc": 30.0},
        description="Expected update interval per list (days); an older snapshot makes verdicts review (JSON).",
    )
    list_default_max_age_days: float = Field(
        default=14.0, gt=0, description="Expected update interval (days) of a stored list not named above."
    )
    list_update_interval_hours: float = Field(
        default=0.0, ge=0,
        description="Run `lists update` inside the service this often (hours; one worker at a time); 0 = off.",
    )
    list_update_jitter_minutes: float = Field(
        default=10.0, ge=0,
        description="Each worker waits a random share of this many minutes past the due time, so replicas spread.",
    )
    required_lists: list[str] = Field(
        default_factory=list, description="Snapshot names that must be present, or nothing is screened."
    )
    export_date_past_days: int = Field(
        default=30, ge=0,
        description="An export date more than this many days before today is a review (unless retrospective).",
    )
    review_threshold: float = Field(default=70.0, ge=0, le=100, description="Party match score for review.")
    block_threshold: float = Field(default=90.0, ge=0, le=100, description="Party match score for block.")
    party_cache_size: int = Field(
        default=20_000, ge=0, description="Party names (with country) whose hits the screener keeps (LRU)."
    )
    workers: Workers = Field(
        default="auto",
        description="Worker processes of `serve` (its --workers): auto is one per core the process may run on, "
                    "at most 8; a number starts that many.",
    )
    pin_workers: PinWorkers = Field(
        default="auto",
        description="Keep each `serve --workers N` worker process on a core of its own: auto when the process "
                    "may run on exactly N cores (a dedicated machine or cpuset), on always, off never.",
    )
    max_request_bytes: int = Field(default=2_000_000, description="Largest accepted request body.")
    max_batch_size: int = Field(default=1000, description="Most declarations in one batch request.")
    max_upload_bytes: int = Field(
        default=2_000_000_000, description="Largest CSV file accepted by POST /v1/batches (streamed to disk)."
    )
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto", description="Log lines as JSON, as text, or auto: text on a terminal, JSON otherwise.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Least severe level logged.")
    tracing_enabled: bool = Field(
        default=False,
        description="OpenTelemetry tracing of every request (needs the tracing extra; OTEL_* variables).",
    )
    metrics_enabled: bool = Field(default=True, description="Serve Prometheus metrics at /metrics (no key needed).")
    rate_limit_per_minute: int = Field(
        default=0, ge=0,
        description="Requests a minute each API key may send, per API process (0: no limit); more are 429.",
    )
    body_grace_seconds: float = Field(
        default=10.0, gt=0, description="Seconds a request body may take before the minimum upload rate applies.",
    )
    body_min_bytes_per_second: int = Field(
        default=10_000, ge=1,
        description="After the grace, a body must have arrived at least this fast on average, or 408.",
    )
    migrate_on_start: bool = Field(
        default=True, description="Run the database migrations when the API starts (off if a deploy step does it)."
    )
    reload_poll_seconds: float = Field(
        default=2.0, gt=0,
        description="How often each API worker checks for a rules reload done by another worker, and for "
        "list snapshots stored since its lists were loaded.",
    )
    webhook_timeout: float = Field(default=10.0, gt=0, description="Seconds a webhook receiver has to answer.")
    webhook_max_attempts: int = Field(
        default=10, ge=1, description="Attempts per webhook delivery before it is marked failed."
    )
    webhook_backoff_seconds: float = Field(
        default=30.0, ge=0, description="Wait before the first retry of a webhook delivery; doubled after each failure."
    )
    webhook_private_receivers: bool = Field(
        default=False,
        description="Allow webhook receivers on private, loopback and link-local addresses (inside your network).",
    )
    webhook_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="If set, the only hosts webhooks go to: names, or '.example.com' for a domain (JSON list).",
    )
    batch_retention_hours: float = Field(
        default=720.0, ge=0,
        description="Delete a finished batch job's upload and result this long after it ended; 0 = keep them.",
    )
    idempotency_retention_hours: float = Field(
        default=168.0, ge=0,
        description="Keep stored Idempotency-Key answers at least this long, then purge them; 0 = keep forever.",
    )
    clearance_expiry_days: int = Field(
        default=365, ge=1, description="A reviewer's party clearance lapses this many days after the decision.",
    )
    dask_scheduler: str | None = Field(
        default=None,
        description="A Dask scheduler (tcp://HOST:8786): batch jobs and bulk re-screening run on its workers "
        "(needs the cluster extra); unset: local worker processes.",
    )
    dask_timeout_seconds: float = Field(
        default=30.0, gt=0,
        description="Seconds to reach the Dask scheduler and to wait for a worker when none is connected; "
        "then the run fails and nothing is published.",
    )
    webhook_poll_seconds: float = Field(
        default=1.0, ge=0, description="How often each API worker looks for webhook deliveries to send; 0 = never."
    )
    background: bool = Field(
        default=True,
        description="Run background work (batch jobs, re-screening, webhook deliveries, janitors, scheduled list "
                    "updates) in API processes; false: they only serve, and `export-screen worker` does it.",
    )
    batch_lease_seconds: float = Field(
        default=30.0, gt=0,
        description="How long a process holds a batch job without renewing its lease; after that another "
                    "process takes the job over (renewed every sixth of it).",
    )
    batch_poll_seconds: float = Field(
        default=2.0, gt=0, description="How often each process with background work looks for batch jobs to run.",
    )
    review_session_hours: float = Field(
        default=8.0, gt=0, le=168,
        description="How long a sign-in to the reviewers' pages (/review) lasts before the key must be given again.",
    )

    @model_validator(mode="after")
    def _anchor_data(self) -> Self:
        """A relative data directory is made absolute once, here, so a later change of directory cannot
        point one process at another database; the default database sits in it."""
        self.data_dir = self.data_dir.expanduser().absolute()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / DATABASE_FILE}"
        return self


def data_location(settings: Settings) -> str:
    """Where this configuration keeps its data, in one line for people (passwords hidden)."""
    from sqlalchemy.engine import make_url

    database = make_url(settings.database_url).render_as_string(hide_password=True)
    return f"data in {settings.data_dir}; database {database}"


def get_settings() -> Settings:
    """Settings from the environment (a function, so nothing is read at import time)."""
    return Settings()

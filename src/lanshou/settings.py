"""Typed settings read from the environment (prefix ``LANSHOU_``) and an optional ``.env`` file.

A bad setting stops start-up: :func:`load_settings` raises :class:`SettingsError`, which the CLI
turns into a message naming the setting and exit code 2.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lanshou.errors import SettingsError

VAR_DIR = Path("var")


class Settings(BaseSettings):
    """Everything an operator can set; secrets have no default outside development."""

    model_config = SettingsConfigDict(
        env_prefix="LANSHOU_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["dev", "test", "prod"] = "prod"
    database_url: str = Field(default="", description="SQLAlchemy URL; SQLite file under var/")
    secret_key: str = ""
    var_dir: Path = VAR_DIR
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    mode: Literal["platform", "seller"] = "platform"
    rules_dir: Path | None = None
    calendar_file: Path | None = None
    worker_interval_seconds: float = Field(default=60.0, gt=0)
    # Tracking inbox records a drainer claims per transaction: smaller batches commit more
    # often (a killed worker loses less, verdicts come sooner), larger ones judge faster.
    inbox_batch: int = Field(default=2000, ge=1, le=50_000)
    session_hours: int = Field(default=12, ge=1)
    # Login throttling: after n recent failures the next attempt waits 2**n seconds, up to the
    # cap; per account the cap is low (a stranger cannot lock a user out), per account at one
    # client address and per client address it is high. The address as a whole is throttled
    # only past its allowance of free failures (staff of a shop behind one NAT address).
    # Failures older than the window are forgotten.
    login_account_backoff_cap_seconds: int = Field(default=30, ge=1)
    login_address_backoff_cap_seconds: int = Field(default=900, ge=1)
    login_address_free_failures: int = Field(default=30, ge=0)
    login_failure_window_minutes: int = Field(default=60, ge=1)
    # Addresses alert channels may reach although they are not public (an internal SMTP relay,
    # a local test server): CIDRs or host names, comma-separated. Empty: public addresses only.
    egress_allow: str = ""
    # How many app servers and workers (processes on any machines) run against this database.
    # Above 1, nothing may default to one machine's disk: start-up refuses a missing
    # LANSHOU_SECRET_KEY (a generated one lives in one var_dir), SQLite and the local evidence
    # store. See docs/architecture.md, "Beyond one machine".
    instances: int = Field(default=1, ge=1)
    # Where evidence files live. "database" (default): chunked rows in the database, so every
    # app server and worker reads what any of them stored; files still in evidence_dir from
    # before are read from there until `lanshou evidence import-files` moves them in.
    # "local": files under evidence_dir only, for a single machine.
    evidence_store: Literal["database", "local"] = "database"
    evidence_dir: Path | None = None  # default var/evidence
    # The largest evidence file one upload may carry, and all of one case's evidence together
    # (bytes; LANSHOU_EVIDENCE_MAX_FILE_BYTES, LANSHOU_EVIDENCE_MAX_CASE_BYTES).
    evidence_max_file_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    evidence_max_case_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    # The audit chain's exported head (record count + last hash, MAC'd) lives outside the
    # database, so cutting the newest records shows; default var/audit_head.
    audit_head_file: Path | None = None
    # Secret keys used before the current one: records they signed still verify after a
    # rotation (a JSON list, e.g. LANSHOU_AUDIT_RETIRED_KEYS='["old-secret…"]').
    audit_retired_keys: list[str] = Field(default_factory=list)

    @field_validator("egress_allow")
    @classmethod
    def _check_egress_allow(cls, value: str) -> str:
        if not value.replace(",", "").strip():
            return value  # no entry to check: commands without egress skip importing httpx
        from lanshou.adapters.notify.egress import parse_allow_list

        parse_allow_list(value)  # ValueError names the bad entry
        return value

    @model_validator(mode="after")
    def _require_secret_outside_dev(self) -> Settings:
        if not self.secret_key and self.env == "prod":
            raise ValueError(
                "LANSHOU_SECRET_KEY is required unless LANSHOU_ENV=dev "
                "(generate one with: python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        if self.secret_key and len(self.secret_key) < 16:
            raise ValueError("LANSHOU_SECRET_KEY must be at least 16 characters")
        if self.instances > 1:
            self._require_shared_state()
        return self

    def _require_shared_state(self) -> None:
        """With several servers, every per-machine default would split the deployment."""
        why = f"LANSHOU_INSTANCES={self.instances}"
        if not self.secret_key:
            raise ValueError(
                f"LANSHOU_SECRET_KEY is required with {why}: every server must sign sessions and "
                "the audit chain and open stored secrets with the same key, and a generated key "
                "stays in one machine's var directory"
            )
        if not self.database_url.startswith("postgresql"):
            raise ValueError(
                f"LANSHOU_DATABASE_URL must name a PostgreSQL database with {why}: SQLite is a "
                "file on one machine"
            )
        if self.evidence_store != "database":
            raise ValueError(
                f"LANSHOU_EVIDENCE_STORE=local cannot be used with {why}: a file uploaded "
                "through one server could not be read through another; use database"
            )

    @property
    def is_dev(self) -> bool:
        return self.env in ("dev", "test")

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.var_dir / 'lanshou.db').as_posix()}"

    def resolved_evidence_dir(self) -> Path:
        return self.evidence_dir or self.var_dir / "evidence"

    def resolved_audit_head_file(self) -> Path:
        return self.audit_head_file or self.var_dir / "audit_head"

    def resolved_secret_key(self) -> str:
        """The configured key, or in dev a generated key kept in ``var/`` across restarts."""
        if self.secret_key:
            return self.secret_key
        key_file = self.var_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one readable :class:`SettingsError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            name = f"LANSHOU_{field.upper()}" if field != "settings" else "settings"
            problems.append(f"{name}: {err['msg']}")
        raise SettingsError("; ".join(problems)) from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()

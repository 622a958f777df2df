"""The docker/ files cannot be built here (no Docker engine), so check what can be checked statically:
every path they copy exists, the command they run exists, and the compose file is consistent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from service.cli import app

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")


def test_copied_paths_exist() -> None:
    sources = [
        part
        for line in DOCKERFILE.splitlines()
        if line.startswith("COPY") and "--from" not in line
        for part in line.split()[1:-1]
    ]
    assert sources, "no COPY lines found"
    for source in sources:
        assert (ROOT / source).exists(), source


def test_command_is_a_real_cli_command() -> None:
    command = re.search(r'^CMD \[(.*)\]$', DOCKERFILE, re.MULTILINE)
    assert command is not None
    argv = [part.strip().strip('"') for part in command.group(1).split(",")]
    assert argv[:2] == ["export-screen", "serve"]
    result = CliRunner().invoke(app, [*argv[1:], "--help"])
    assert result.exit_code == 0, result.output
    for option in argv[2::2]:
        assert option in result.output


def test_settings_in_the_image_are_real_settings() -> None:
    from service.settings import Settings

    names = re.findall(r"(EXPORT_SCREEN_[A-Z_]+)=", DOCKERFILE)
    fields = {f"EXPORT_SCREEN_{name.upper()}" for name in Settings.model_fields}
    assert names and set(names) <= fields


def test_compose_file() -> None:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))
    api = compose["services"]["api"]
    assert (ROOT / "docker" / api["build"]["context"] / api["build"]["dockerfile"]).resolve() == (
        ROOT / "docker" / "Dockerfile"
    )
    assert api["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
    assert {"ofac-sdn", "un-sc", "tw-shtc"} <= set(json.loads(api["environment"]["EXPORT_SCREEN_REQUIRED_LISTS"]))
    # a crash or a database that was not up yet: the service comes back by itself
    assert api["restart"] == compose["services"]["db"]["restart"] == "unless-stopped"


def test_compose_migrates_once_before_the_api_starts() -> None:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))
    migrate, api = compose["services"]["migrate"], compose["services"]["api"]
    assert migrate["command"] == ["export-screen", "db", "upgrade"]
    assert migrate["environment"]["DATABASE_URL"] == api["environment"]["DATABASE_URL"]
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert api["environment"]["EXPORT_SCREEN_MIGRATE_ON_START"] == "false"
    assert CliRunner().invoke(app, [*migrate["command"][1:], "--help"]).exit_code == 0
    mounts = {volume.split(":")[1]: volume for volume in api["volumes"]}
    assert mounts["/data"].startswith("list-data") and (ROOT / "docker" / mounts["/app/rules"].split(":")[0]).is_dir()


def test_compose_worker_does_the_background_work_the_api_leaves() -> None:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))
    api, worker = compose["services"]["api"], compose["services"]["worker"]
    assert api["environment"]["EXPORT_SCREEN_BACKGROUND"] == "false"
    assert "EXPORT_SCREEN_BACKGROUND" not in worker["environment"]  # the default: it does the background work
    assert worker["command"][:2] == ["export-screen", "worker"]
    assert CliRunner().invoke(app, [*worker["command"][1:], "--help"]).exit_code == 0
    assert worker["environment"]["DATABASE_URL"] == api["environment"]["DATABASE_URL"]
    assert sorted(worker["volumes"]) == sorted(api["volumes"])  # the same data directory and rules
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    from service.settings import Settings

    names = {name for service in (api, worker) for name in service["environment"] if name.startswith("EXPORT_")}
    assert names <= {f"EXPORT_SCREEN_{field.upper()}" for field in Settings.model_fields}

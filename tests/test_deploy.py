"""The deployment files: docker-compose.yml validates with `docker compose config` (the Compose
plugin, or Debian's docker-compose, which `make test` installs where neither is; neither needs a
Docker engine for it), and always parses and describes what the service needs (PostgreSQL 16, the
API and a separate worker, health checks, settings the service knows) — checked with PyYAML, which
the test extra brings in (schemathesis depends on it)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from moderation.config import Config

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"


def compose_command() -> list[str] | None:
    """`docker compose` (the plugin) or `docker-compose`, whichever works here; else None."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=60)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def compose_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "METRICS_TOKEN")}
    return {**env, **extra}


def load() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_docker_compose_config_validates_when_compose_is_installed():
    command = compose_command()
    if command is not None:
        ok = subprocess.run([*command, "-f", str(COMPOSE), "config", "--quiet"], cwd=ROOT,
                            env=compose_env(SECRET_KEY="s" * 32, METRICS_TOKEN="m" * 32), capture_output=True, text=True,
                            timeout=120)
        assert ok.returncode == 0, ok.stderr
        rendered = subprocess.run([*command, "-f", str(COMPOSE), "config"], cwd=ROOT,
                                  env=compose_env(SECRET_KEY="s" * 32, METRICS_TOKEN="m" * 32), capture_output=True,
                                  text=True, timeout=120)
        assert rendered.returncode == 0, rendered.stderr
        services = yaml.safe_load(rendered.stdout)["services"]
        assert services["worker"]["environment"]["SECRET_KEY"] == "s" * 32
        # Without SECRET_KEY compose refuses to start anything, naming the variable.
        missing = subprocess.run([*command, "-f", str(COMPOSE), "config", "--quiet"], cwd=ROOT,
                                 env=compose_env(), capture_output=True, text=True, timeout=120)
        assert missing.returncode != 0 and "SECRET_KEY" in missing.stderr
        no_token = subprocess.run([*command, "-f", str(COMPOSE), "config", "--quiet"], cwd=ROOT,
                                  env=compose_env(SECRET_KEY="s" * 32), capture_output=True,
                                  text=True, timeout=120)
        assert no_token.returncode != 0 and "METRICS_TOKEN" in no_token.stderr
    # With or without Docker: the file is valid YAML of the compose shape, every anchor resolved.
    document = load()
    assert set(document) <= {"services", "volumes", "networks", "configs", "secrets", "name"}
    assert set(document["services"]) == {"db", "api", "worker"}
    for name, service in document["services"].items():
        assert "image" in service or "build" in service, name
        assert isinstance(service.get("environment", {}), dict), name


def test_postgres_16_with_a_health_check_and_a_volume():
    db = load()["services"]["db"]
    assert re.fullmatch(r"postgres:16(\.\d+)?(-\w+)?", db["image"])
    env = db["environment"]
    assert {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"} <= set(env)
    test = db["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL") and "pg_isready" in " ".join(test)
    assert f"-d {env['POSTGRES_DB']}" in " ".join(test)
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert db["volumes"][0].split(":")[0] in load()["volumes"]


def test_api_and_worker_run_the_right_commands_against_the_database():
    document = load()
    db_env = document["services"]["db"]["environment"]
    expected_url = (f"postgresql://{db_env['POSTGRES_USER']}:{db_env['POSTGRES_PASSWORD']}"
                    f"@db:5432/{db_env['POSTGRES_DB']}")
    for name, command in (("api", "serve"), ("worker", "worker")):
        service = document["services"][name]
        assert service["build"] == "."
        assert service["command"] == ["moderation", command]
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        env = service["environment"]
        assert env["DATABASE_URL"] == expected_url
        # Required, never defaulted: compose stops with a message when it is unset.
        assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", env["SECRET_KEY"])
        # /metrics is published with the API: it needs its bearer token (issue 14).
        assert re.fullmatch(r"\$\{METRICS_TOKEN:\?[^}]+\}", env["METRICS_TOKEN"])
        # Every setting is one the service reads (a typo would be silently ignored).
        known = {field.upper() for field in Config.model_fields}
        assert set(env) <= known, set(env) - known
        Config(**{k.lower(): v for k, v in env.items() if k not in ("SECRET_KEY", "METRICS_TOKEN")},
               secret_key="s" * 32)  # and each value is valid
    api, worker = document["services"]["api"], document["services"]["worker"]
    # The API serves on all interfaces of its container, without in-process workers; the workers
    # run in their own container and scale by replicas.
    assert api["environment"]["HOST"] == "0.0.0.0"
    assert api["environment"]["WORKERS"] == "0" and int(worker["environment"]["WORKERS"]) >= 1
    assert f"{api['environment']['PORT']}:{api['environment']['PORT']}" in api["ports"]
    assert "ports" not in worker
    assert worker["deploy"]["replicas"] >= 1


def test_api_health_check_asks_readyz_on_its_port():
    api = load()["services"]["api"]
    check = " ".join(api["healthcheck"]["test"])
    assert f"127.0.0.1:{api['environment']['PORT']}/readyz" in check
    assert api["healthcheck"]["retries"] >= 1
    import moderation.app  # noqa: F401  (registers every endpoint)
    from moderation.web.registry import ENDPOINTS

    assert any(ep.path == "/readyz" and ep.method == "GET" for ep in ENDPOINTS)


def test_dockerfile_installs_the_package_with_its_migrations():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1[1-9]", text, re.M)
    for part in ("pyproject.toml", "moderation", "sql"):
        assert re.search(rf"^COPY .*\b{part}\b", text, re.M), part
    assert re.search(r"^RUN pip install .*\.", text, re.M)
    assert 'CMD ["moderation", "serve"]' in text
    assert "EXPOSE 8080" in text
    # The files it copies exist, and the migrations are the ones the service applies.
    assert (ROOT / "sql").is_dir() and list((ROOT / "sql").glob("0001_*.sql"))

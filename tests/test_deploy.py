"""The deploy files (README, Deploy): Procfile, Dockerfile, compose.yaml, .env.example.

Where Docker Compose is on the machine, `docker compose config` validates compose.yaml;
everywhere, its structure is checked from the YAML itself. The Procfile's commands are the
README's and ./run's; `honcho start` really starts both (slow)."""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from devtools.devstack import WORKER_POOL, worker_command
from devtools.embedded import EmbeddedRedis, free_port
from devtools.processes import popen
from scripts.healthcheck import probe_host
from tests.helpers import BASE_DIR

WEB_COMMAND = "gunicorn meiduo_mall.wsgi:application"
# ./run's worker, as an operator types it: `celery -A celery_tasks.main worker ...`.
WORKER_COMMAND = shlex.join(["celery", *worker_command(*WORKER_POOL)[3:]])


def procfile() -> dict[str, str]:
    lines = (BASE_DIR / "Procfile").read_text().splitlines()
    entries = (line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {name.strip(): command.strip() for name, command in entries}


def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "compose.yaml").read_text())


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the final stage's lines, continuations joined."""
    text = (BASE_DIR / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def readme_deploy() -> str:
    readme = (BASE_DIR / "README.md").read_text()
    start = readme.index("\n## Deploy")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else None]


# --- Procfile ------------------------------------------------------------------------


def test_procfile_runs_the_readmes_web_and_worker():
    processes = procfile()

    assert processes == {"web": WEB_COMMAND, "worker": WORKER_COMMAND}
    assert WORKER_COMMAND == "celery -A celery_tasks.main worker -l info -P threads -c 16"
    deploy = readme_deploy()
    for command in processes.values():
        assert command in deploy
        assert command in (BASE_DIR / "README.md").read_text().split("\n## Deploy")[0]


def test_env_example_names_every_setting_honcho_needs_and_holds_no_secret():
    values = {}
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value

    needed = {"DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "REDIS_URL", "PORT"}
    roles = {"REDIS_CODES_URL", "REDIS_SESSION_URL", "REDIS_RATELIMIT_URL", "CELERY_BROKER_URL"}
    assert needed | roles <= set(values)
    secrets = {"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "YUNTONGXUN_AUTH_TOKEN"}
    assert all(values[name] == "" for name in secrets & set(values))
    ignored = (BASE_DIR / ".gitignore").read_text().splitlines()
    assert ".env" in ignored


# --- Dockerfile ----------------------------------------------------------------------


def test_the_image_is_slim_python_311_run_by_a_user_not_root():
    final = dockerfile_instructions()

    assert final[0] == ("FROM", "python:3.11-slim")
    users = [arguments for keyword, arguments in final if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    runs = " ".join(arguments for keyword, arguments in final if keyword == "RUN")
    assert "pip install" in runs and "collectstatic --noinput" in runs
    # The front-end packages come from npm, in a stage of their own (no Node.js here).
    text = (BASE_DIR / "Dockerfile").read_text()
    assert "npm ci" in text and "COPY --from=frontend" in text


def test_the_image_runs_gunicorn_and_probes_its_health():
    final = dict(dockerfile_instructions())

    assert shlex.join(yaml.safe_load(final["CMD"])) == procfile()["web"]
    assert re.search(r"scripts/healthcheck\.py.*/(healthz|readyz)", final["HEALTHCHECK"])


def test_dockerignore_keeps_secrets_and_local_environments_out():
    ignored = (BASE_DIR / ".dockerignore").read_text().splitlines()

    assert {".env", ".venv", "node_modules", ".git"} <= set(ignored)


# --- compose.yaml --------------------------------------------------------------------


def test_compose_has_web_worker_redis_db_and_a_one_shot_migrate():
    services = compose()["services"]

    assert {"web", "worker", "redis", "db", "migrate"} <= set(services)
    assert services["db"]["image"].startswith(("postgres", "mariadb"))
    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    assert shlex.join(services["worker"]["command"]) == procfile()["worker"]
    assert "command" not in services["web"]  # the image's CMD: gunicorn


def test_compose_web_and_worker_start_after_the_migrations_and_healthy_services():
    services = compose()["services"]

    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["db"]["condition"] == "service_healthy"
    assert "migrate" not in services["migrate"]["depends_on"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_compose_checks_each_services_health_web_on_readyz():
    services = compose()["services"]

    for name in ("web", "worker", "redis", "db"):
        assert services[name]["healthcheck"]["test"], name
    assert "/readyz" in services["web"]["healthcheck"]["test"]
    # Longer than gunicorn's graceful_timeout (25 s): requests in flight finish.
    assert services["web"]["stop_grace_period"] == "30s"


def test_compose_file_is_valid_for_docker_compose():
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed: compose.yaml checked by its structure only")
    version = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, check=False
    )
    if version.returncode != 0:
        pytest.skip(
            "docker has no compose plugin here (`docker compose version` failed): "
            "compose.yaml checked by its structure only"
        )
    env = {**os.environ, "DJANGO_SECRET_KEY": "x" * 50, "POSTGRES_PASSWORD": "ci"}
    result = subprocess.run(
        [docker, "compose", "-f", "compose.yaml", "config", "--quiet"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- the probe -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ("shop.example.com,127.0.0.1", "shop.example.com"),
        (".example.com", "example.com"),
        ("*", "127.0.0.1"),
        ("", "127.0.0.1"),
    ],
)
def test_the_probe_asks_with_a_host_django_serves(allowed, host):
    assert probe_host(allowed) == host


# --- honcho start --------------------------------------------------------------------


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return response.status
    except OSError:
        return 0


@pytest.mark.slow
def test_honcho_start_runs_the_web_and_the_worker(tmp_path: Path):
    redis = EmbeddedRedis()
    port = free_port()
    settings = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": uuid.uuid4().hex * 2,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_COOKIES": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "REDIS_URL": redis.start(),
        "PORT": str(port),
    }
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in settings.items()))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for name in ("CELERY_BROKER_URL", "REDIS_CODES_URL", "REDIS_SESSION_URL"):
        env.pop(name, None)
    honcho = [sys.executable, "-m", "honcho", "-e", str(env_file)]
    lines: list[str] = []
    process = None
    try:
        # The README's order: migrations and static files once, then the Procfile.
        for command in ("migrate --noinput", "collectstatic --noinput"):
            subprocess.run(
                [*honcho, "run", "python", "manage.py", *command.split()],
                cwd=BASE_DIR,
                env=env,
                check=True,
                capture_output=True,
            )
        process = popen(
            [*honcho, "start"],
            own_group=True,
            cwd=BASE_DIR,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
        deadline = time.monotonic() + 60
        base = f"http://127.0.0.1:{port}"
        while not (get(base + "/healthz") == 200 and any(" ready." in x for x in lines)):
            assert process.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.2)
        # The container's probe, against the site honcho started.
        probe = subprocess.run(
            [sys.executable, "scripts/healthcheck.py", "/readyz"],
            cwd=BASE_DIR,
            env={**env, **settings},
            capture_output=True,
            text=True,
            check=False,
        )
        assert probe.returncode == 0, probe.stderr

        process.send_signal(signal.SIGTERM)
        process.wait(timeout=40)
        output = "".join(lines)
        assert re.search(r"web\.1 +\| .*GET .*healthz", output), output
        assert re.search(r"worker\.1 +\| .*celery@\S+ ready\.", output), output
        assert "Handling signal: term" in output  # gunicorn's graceful stop
        assert "Warm shutdown" in output  # the worker's
        assert get(base + "/healthz") == 0  # nothing left listening
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        redis.stop()

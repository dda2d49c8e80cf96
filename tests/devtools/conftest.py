"""Fixtures for tests that start ./run's and ./test's programs as real processes."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devtools.embedded import free_port
from tests.devtools.processes import Launched


@pytest.fixture
def launch() -> Iterator[Callable[..., Launched]]:
    started: list[Launched] = []

    def launch(*args, **kwargs) -> Launched:
        started.append(Launched(*args, **kwargs))
        return started[-1]

    yield launch
    for launched in started:
        launched.kill()


@pytest.fixture
def own_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a newcomer's ./run: no Redis or broker of the machine's, a
    throwaway SQLite file and Redis folder, a free web port."""
    env = dict(os.environ)
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    env.update(
        PORT=str(free_port()),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DEVSTACK_REDIS_DIR=str(tmp_path / "redis"),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),  # ./run empties its own
        SMS_BACKEND="console",
        PYTHONUNBUFFERED="1",
    )
    return env

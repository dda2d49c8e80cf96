"""The probes a load balancer asks: /healthz (the process) and /readyz (its services).
Outages of each service: tests/test_outages.py."""

import pytest

from devtools.embedded import free_port


def test_healthz_answers_without_touching_any_service(client, settings, django_assert_num_queries):
    # Redis and the broker unreachable: the liveness probe still answers, with no query.
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {alias: {**c, "LOCATION": dead} for alias, c in settings.CACHES.items()}
    settings.CELERY_BROKER_URL = dead
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert "Set-Cookie" not in response.headers


@pytest.mark.django_db
def test_readyz_is_200_when_database_redis_and_broker_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"code": 0, "message": "OK"}

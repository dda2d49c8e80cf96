"""pytest plugin (pyproject's addopts: `-p tests.metrics_dir`): the tests count metrics
as production does with several processes. PROMETHEUS_MULTIPROC_DIR must be set before
anything imports prometheus-client (Django's set-up does), so it is set here, on load:
a directory of this run's, shared by the tests and the workers they start (which inherit
the environment), so /metrics in a test adds up the worker's counters too."""

import os
import shutil
import tempfile

_DIRECTORY = tempfile.mkdtemp(prefix="meiduo-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _DIRECTORY


def pytest_unconfigure(config: object) -> None:
    shutil.rmtree(_DIRECTORY, ignore_errors=True)

"""Test-wide settings.

TensorFlow's oneDNN kernels may round float32 matmuls differently from the
plain ones (docs/conventions.md §2.8); they are switched off here, before TensorFlow is
imported, so float32 tolerances measure the optimizers and not the kernels.
"""

import os

import pytest

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True)
def _not_an_xdist_worker_inside(monkeypatch):
    """``make test`` runs in pytest-xdist workers. pytest-benchmark switches itself off
    wherever ``PYTEST_XDIST_WORKER`` is set, and would do so inside the ``gdkit bench``
    runs that tests start (in this process or in a child): they are not workers."""
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)

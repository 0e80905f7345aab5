"""Fixtures for the lab tests (helpers live in labdriver.py)."""
import pytest

from labdriver import LabDriver


@pytest.fixture
def driver():
    return LabDriver

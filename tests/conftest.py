"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import SETTINGS_PREFIXES


@pytest.fixture
def no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No bot setting in the environment, and an empty working directory; returns it."""
    for key in list(os.environ):
        if key.startswith(SETTINGS_PREFIXES):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path

"""Fixtures shared by the bot's tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import SETTINGS_PREFIXES

#: A well-formed token that must never appear in any output.
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gh7abc.SuperSecretTokenPartDoNotLog_123"


@pytest.fixture
def no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No bot setting in the environment, and an empty working directory; returns it."""
    for key in list(os.environ):
        if key.startswith(SETTINGS_PREFIXES):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path

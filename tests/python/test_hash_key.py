"""The identifier hash key: created on first use (what `make demo` does), owner-only,
git-ignored, announced, and stable afterwards; an explicit PORTRAIT_HASH_KEY wins."""

from __future__ import annotations

import stat
import subprocess

import pytest

from portrait import paths
from portrait.paths import PROJECT_DIR


def test_the_key_file_is_created_once_owner_only_and_announced(tmp_path, monkeypatch, capsys) -> None:
    key_file = tmp_path / ".portrait_hash_key"
    monkeypatch.setattr(paths, "HASH_KEY_FILE", key_file)
    monkeypatch.delenv("PORTRAIT_HASH_KEY", raising=False)
    key = paths.ensure_hash_key()
    assert key_file.read_text().strip() == key and len(key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "created a new identifier hash key" in capsys.readouterr().err
    assert paths.ensure_hash_key() == key  # read back, not replaced
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("PORTRAIT_HASH_KEY", "from-the-environment-0123456789")
    assert paths.ensure_hash_key() == "from-the-environment-0123456789"


def test_the_key_file_is_never_committed() -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", ".portrait_hash_key"], cwd=PROJECT_DIR)
    assert ignored.returncode == 0


def test_without_a_key_file_and_create_false_the_error_says_what_to_do(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(paths, "HASH_KEY_FILE", tmp_path / "absent")
    monkeypatch.delenv("PORTRAIT_HASH_KEY", raising=False)
    with pytest.raises(SystemExit, match="make demo"):
        paths.ensure_hash_key(create=False)

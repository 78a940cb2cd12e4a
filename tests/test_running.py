"""What `make run` relies on: a secret key generated once into var/ and kept."""

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _secret_key(var_dir: Path) -> str:
    env = {**os.environ, "VAR_DIR": str(var_dir), "PYTHON": sys.executable}
    return subprocess.run(
        ["scripts/secret-key"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_secret_key_is_generated_once_readable_only_by_its_owner_and_kept(tmp_path):
    var_dir = tmp_path / "var"
    first = _secret_key(var_dir)
    assert len(first) >= 50
    assert len(set(first)) >= 5
    assert stat.S_IMODE((var_dir / "secret_key").stat().st_mode) == 0o600
    assert _secret_key(var_dir) == first
    assert _secret_key(tmp_path / "another") != first

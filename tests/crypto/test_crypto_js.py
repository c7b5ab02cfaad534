"""The browser code's own tests (`node --test tests/crypto/js/`), run from pytest.

They import the very files the browser is served from `frontend/static/js/crypto/`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.services import absent

ROOT = Path(__file__).resolve().parents[2]


def test_the_browser_code_passes_its_node_tests() -> None:
    node = shutil.which("node")
    if node is None:
        absent("Node.js", "install Debian's nodejs package to run the browser code's tests")
    result = subprocess.run(
        [str(node), "--test", "tests/crypto/js/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    summary = "\n".join(line for line in result.stdout.splitlines() if line.startswith("# "))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "# fail 0" in summary
    assert "# pass 0" not in summary

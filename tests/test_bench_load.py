"""bench/load.py runs end to end: a tiny dataset, the site and the floor under gunicorn, the Python load generator
(so the test needs no wrk). It is a behaviour test of the script, not a timing assertion: every page appears in
every table, was served (non-zero req/s) and never failed (zero errors).
"""

from __future__ import annotations

import subprocess
import sys

from tests.live_server import PROJECT_ROOT

PAGES = ["home", "category", "package", "grid", "search", "api-v4-package", "api-v4-list"]


def table(output: str, title: str) -> dict[str, list[str]]:
    """The rows of the table under the line starting with ``title``: page name to its columns."""
    lines = output.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(title)) + 2  # title, then the header
    rows = {}
    for line in lines[start:]:
        if not line.strip() or line.split()[0] not in PAGES:
            break
        rows[line.split()[0]] = line.split()
    return rows


def test_quick_run_serves_every_page_without_errors(tmp_path):
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--quick", "--generator", "python", "--packages", "40", "--grids", "3",
         "--warm-duration", "0.5", "--duration", "1", "--connections", "7", "--cold-requests", "2"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout
    warm, cold = table(output, "WARM"), table(output, "COLD")
    mixed = table(output, "ALL PAGES AT ONCE")
    for rows in (warm, cold):
        assert sorted(rows) == sorted(PAGES), output
        for page, columns in rows.items():
            assert float(columns[1]) > 0, (page, output)  # req/s
    for page, columns in warm.items():
        assert columns[8] == "0", (page, output)  # errors
        assert columns[4].endswith("x"), (page, output)  # p99/p50
        assert int(columns[5].replace(",", "")) > 0, (page, output)  # bytes
    for page, columns in cold.items():
        assert columns[7] == "0", (page, output)  # errors (no bytes column in the cold table)
    assert sorted(mixed) == sorted(PAGES), output
    for page, columns in mixed.items():
        assert int(columns[1]) > 0 and float(columns[2]) > 0 and columns[5] == "0", (page, output)
    assert "errors: 0;" in output
    assert "floor" in output.lower()

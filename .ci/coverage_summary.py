"""Print the test run's coverage: the total, and the app's modules that no test ran at all.

    python .ci/coverage_summary.py   (after a `pytest --cov` run wrote .coverage)

``coverage report`` lists each module below 100 %; this names the untested ones on their own
so they are not lost in that table. It never fails the build: there is no threshold.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "coverage.json"
        subprocess.run(
            [sys.executable, "-m", "coverage", "json", "-q", "-o", str(report)], check=True
        )
        data = json.loads(report.read_text())
    untested = sorted(
        path
        for path, measured in data["files"].items()
        if measured["summary"]["num_statements"] and not measured["summary"]["covered_lines"]
    )
    total = data["totals"]["percent_covered"]
    print(f"coverage: {total:.1f}% of the app's lines and branches (gcaptrack/, programs/)")
    print(f"untested modules ({len(untested)}): {', '.join(untested) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

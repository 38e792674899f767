"""Run every benchmark: ``python -m benchmarks [name ...]`` (``make bench``).

Each one writes ``benchmarks/results/<name>.json`` and ``.png``. Names: entitlements, stt,
tts, recordings, sfu (whichever are present).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    available = sorted(p.name for p in HERE.iterdir() if (p / "__main__.py").exists())
    wanted = sys.argv[1:] or available
    failed = []
    for name in wanted:
        if name not in available:
            print(f"unknown benchmark {name!r}; have {', '.join(available)}", file=sys.stderr)
            return 2
        print(f"== {name}", flush=True)
        if subprocess.call([sys.executable, "-m", f"benchmarks.{name}"]) != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

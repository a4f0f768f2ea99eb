"""Cold start of the command line: `stripe-revenue --help` and `dlt pipeline stripe run --help`, beside dlt's own.

Each command runs `--runs` times as a fresh process, the commands alternating; wall time from spawn
to exit. `dlt pipeline stripe info --help` (a dlt command, no code of ours but the plugin's import)
is the floor the plugin's `run --help` can reach.

    python -m bench.cold_start --runs 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = {
    "stripe-revenue --help": [str(BIN / "stripe-revenue"), "--help"],
    "dlt pipeline stripe run --help": [str(BIN / "dlt"), "pipeline", "stripe", "run", "--help"],
    "dlt pipeline stripe info --help (dlt's own)": [str(BIN / "dlt"), "pipeline", "stripe", "info", "--help"],
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false", "CI": "1"}
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=env)
            times[name].append(time.perf_counter() - started)
    print(f"{args.runs} fresh processes each, alternating\n")
    print("| command | seconds (min / median / max) |")
    print("|---|---|")
    for name, values in times.items():
        spread = " / ".join(f"{v:.2f}" for v in (min(values), statistics.median(values), max(values)))
        print(f"| `{name}` | {spread} |")


if __name__ == "__main__":
    main()

"""Cold start: how long a fresh interpreter takes to import wxkit, against its bare dependencies.

Each measure is a whole process (``python -c "<statement>"``), started many
times; the figures are medians. The contenders alternate within a round and
the order rotates between rounds, so that machine noise hits all of them
alike.

* ``from wxkit import WxApplication``: the inbound core.
* bare dependencies: the same process importing only the non-wxkit modules
  that ``from wxkit import WxApplication`` leaves in ``sys.modules`` (the
  stdlib, ``attrs``, ``xmltodict``, ``Crypto`` ...), found by a probe process
  at start. Their ratio is wxkit's own cost on top of what it imports.
* ``import wxkit.client`` and ``import wxkit.pay.v3``: the outbound and pay
  entry points; ``from wxkit.pay.v3 import PayClient`` is what a payment
  program imports (the package itself loads its names on first use).
  wechatpayv3's ``import wechatpayv3`` is beside them when it is installed, as
  a reference (it is not a wxkit dependency).
* ``python -c pass``: the interpreter alone, for scale.

* ``from wxkit import WxApplication`` then a safe-mode application built:
  pycryptodome loads with the first ``MessageCrypto``, not at import (a
  plain-mode bot never loads it), so this line shows what a safe-mode bot
  pays by the time it is ready.

The processes run with bytecode caches (written once, under a private
``PYTHONPYCACHEPREFIX``), as an installed package does. Each process's wall
time and its CPU time (user + system of that very process, from ``os.wait4``)
are printed; on a machine busy with other work, CPU time is the steadier of
the two. The ratio is given two ways: of the medians, and the median of the
per-round ratios (each round runs both contenders back to back, so load that
drifts during the run cancels). The load average is printed before and after.
``--instructions`` counts each process's instructions under valgrind
instead (one run each; steady however busy the machine is).

    python benchmarks/coldstart.py [--runs 30] [--instructions]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The child processes' environment: bytecode caches on, written under a private prefix (an installed
#: package has its ``.pyc`` files; compiling wxkit's source on every start is not what users see).
ENV = {k: v for k, v in os.environ.items() if k not in {"PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX"}}

_PROBE = """
import sys, json
before = set(sys.modules)
from wxkit import WxApplication
print(json.dumps([m for m in sys.modules if m not in before and m != "wxkit" and not m.startswith("wxkit.")]))
"""


#: A safe-mode bot ready to serve: the import, then the application (its ``MessageCrypto`` loads pycryptodome).
_SAFE_MODE_APP = (
    "from wxkit import WxApplication\n"
    "WxApplication(token='t', app_id='wx0000000000000000', aes_key='abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')\n"
)


def bare_dependencies() -> list[str]:
    """The non-wxkit modules ``from wxkit import WxApplication`` imports, in import order."""
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, cwd=ROOT, env=ENV)
    modules: list[str] = json.loads(out.stdout)
    return modules


def bare_statement(modules: list[str]) -> str:
    """A statement importing ``modules`` (each one that imports on its own) and nothing of wxkit."""
    return (
        "import importlib\n"
        f"for m in {modules!r}:\n"
        "    try:\n"
        "        importlib.import_module(m)\n"
        "    except ImportError:\n"
        "        pass\n"
    )


def run_once(statement: str) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one fresh interpreter running ``statement``."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", statement], cwd=ROOT, env=ENV)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own CPU time, nothing else's
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{statement!r} failed with exit code {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def load_average() -> str:
    """The 1-minute load average, as ``os.getloadavg`` gives it (``?`` where there is none)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def instructions(statement: str) -> int:
    """Instructions one fresh interpreter runs for ``statement``, counted by valgrind (callgrind)."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", statement],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**ENV, "PYTHONHASHSEED": "0"},
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"valgrind gave no count: {done.stderr[-500:]}")
    return int(found[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="processes per measure (default 30)")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions under valgrind instead (one run each)"
    )
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind")
    cache = tempfile.mkdtemp(prefix="wxkit-coldstart-")
    ENV["PYTHONPYCACHEPREFIX"] = cache
    try:
        measure(args.runs, count=args.instructions)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def measure(runs: int, *, count: bool = False) -> None:
    """Run every contender ``runs`` times, alternating, and print the medians (or count instructions)."""
    deps = bare_dependencies()
    third_party = sorted({m.split(".")[0] for m in deps if m.split(".")[0] in {"attr", "attrs", "xmltodict", "Crypto"}})
    contenders: dict[str, str] = {
        "python -c pass": "pass",
        "bare dependencies": bare_statement(deps),
        "from wxkit import WxApplication": "from wxkit import WxApplication",
        "... and a safe-mode app built": _SAFE_MODE_APP,
        "import wxkit.client": "import wxkit.client",
        "import wxkit.pay.v3": "import wxkit.pay.v3",
        "from wxkit.pay.v3 import PayClient": "from wxkit.pay.v3 import PayClient",
    }
    if importlib.util.find_spec("wechatpayv3") is not None:
        contenders["import wechatpayv3 (reference)"] = "import wechatpayv3"
    for _ in range(2):  # write the bytecode caches, then warm the file cache
        for statement in contenders.values():
            run_once(statement)
    if count:
        print_instructions(contenders, deps, third_party)
        return

    walls: dict[str, list[float]] = {name: [] for name in contenders}
    cpus: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    wxapp, bare = "from wxkit import WxApplication", "bare dependencies"
    load_before = load_average()
    for round_no in range(runs):
        shift = round_no % len(names)
        order = names[shift:] + names[:shift]
        # the pair measured back to back in every round (bare first in one round, wxkit in the next)
        pair = [bare, wxapp] if round_no % 2 else [wxapp, bare]
        order = [name for name in order if name not in pair] + pair
        for name in order:
            wall, cpu = run_once(contenders[name])
            walls[name].append(wall)
            cpus[name].append(cpu)
    wall_median = {name: statistics.median(values) for name, values in walls.items()}
    cpu_median = {name: statistics.median(values) for name, values in cpus.items()}
    paired_wall = statistics.median(w / b for w, b in zip(walls[wxapp], walls[bare], strict=True))
    paired_cpu = statistics.median(w / b for w, b in zip(cpus[wxapp], cpus[bare], strict=True))

    print(
        f"python {sys.version.split()[0]}, {runs} fresh processes per measure (medians);"
        f" bare dependencies = {len(deps)} modules ({', '.join(third_party) or 'none'} + stdlib);"
        f" load average {load_before} before, {load_average()} after"
    )
    width = max(map(len, names))
    print(f"  {'':<{width}}       wall        CPU")
    for name in names:
        print(f"  {name:<{width}}  {wall_median[name] * 1000:7.1f} ms {cpu_median[name] * 1000:7.1f} ms")
    print(
        f"ratio WxApplication/bare dependencies: {wall_median[wxapp] / wall_median[bare]:.2f}x wall,"
        f" {cpu_median[wxapp] / cpu_median[bare]:.2f}x CPU  (target <= 1.3x)"
    )
    print(f"  median of the per-round ratios:     {paired_wall:.2f}x wall, {paired_cpu:.2f}x CPU")


def print_instructions(contenders: dict[str, str], deps: list[str], third_party: list[str]) -> None:
    """Print each contender's instruction count: steady on a busy machine, where times are not."""
    counts = {name: instructions(statement) for name, statement in contenders.items()}
    print(
        f"python {sys.version.split()[0]}, instructions of one fresh process per measure (valgrind);"
        f" bare dependencies = {len(deps)} modules ({', '.join(third_party)} + stdlib)"
    )
    width = max(map(len, counts))
    for name, n in counts.items():
        print(f"  {name:<{width}}  {n / 1e6:8.1f} M")
    ratio = counts["from wxkit import WxApplication"] / counts["bare dependencies"]
    print(f"ratio WxApplication/bare dependencies: {ratio:.2f}x instructions  (target <= 1.3x)")


if __name__ == "__main__":
    main()

"""The time-zone sweep: the suite under machine zones far from China's, with the emulator near China's midnight.

WeChat's calendar (bill dates, quota months, ...) is China time (UTC+8). Code that takes a calendar day from the
machine's zone passes when the two agree and fails for hours every day when they do not. This runs the suite
in subprocesses where they never agree:

* ``TZ`` is UTC+14 and the emulator's China clock reads 23:50 (the machine is already on the next day);
* ``TZ`` is UTC-11 and the emulator's China clock reads 00:00:30 (the machine is still on the day before).

POSIX ``TZ`` strings need no tz database. The sweep runs the modules whose tests reach calendar code (bills,
orders, refunds, transfers, certificates, pay dates, quotas, shipping, analysis dates); a whole-suite run under
each combination (``TZ=WXK-14 WXKIT_TEST_CHINA_CLOCK=23:50:00 pytest``) passed when the sweep was introduced, and
keeping all of it here would triple the suite's time. (Example apps that build their own ``PayClient`` sign with the
machine's clock, which the shifted emulator clock refuses as expired: they are not swept.)

How the list was chosen: a result can depend on the zone only through a calendar or local-time conversion
(``datetime``'s ``now`` / ``fromtimestamp`` / ``astimezone`` / ``strftime`` / ``date`` ..., ``time.localtime`` /
``mktime`` / ``strftime`` / ``gmtime``, ``email.utils``, ``calendar``, ``_strptime``). Running the previously swept
modules under both combinations with a ``sys.setprofile`` / ``threading.setprofile`` hook that records such calls
made from wxkit or test code, in any thread, showed that no test of ``tests/testing``, ``tests/client/test_user.py``
or ``tests/miniprogram/test_login.py`` makes one (their clocks are durations: token and session lifetimes), so they
left the sweep; every module below has tests that do. Add a module here when its tests start to reach calendar code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SWEPT = [
    "tests/pay/test_dates.py",
    "tests/pay/test_pay_v2_client.py",
    "tests/pay/test_pay_v2_mtls.py",
    "tests/pay/test_v3_bills.py",
    "tests/pay/test_v3_orders.py",
    "tests/pay/test_v3_refunds.py",
    "tests/pay/test_v3_transfers.py",
    "tests/pay/test_v3_certificates.py",
    "tests/pay/test_pay_e2e.py",
    "tests/client/test_misc.py",
    "tests/miniprogram/test_analysis_risk.py",
    "tests/miniprogram/test_shipping.py",
]


@pytest.mark.skipif(bool(os.environ.get("WXKIT_TEST_CHINA_CLOCK")), reason="already inside the sweep")
@pytest.mark.parametrize(
    ("tz", "china_clock"),
    [("WXK-14", "23:50:00"), ("WXK+11", "00:00:30")],
    ids=["utc+14-before-china-midnight", "utc-11-after-china-midnight"],
)
def test_the_suite_passes_far_from_china_time(tz: str, china_clock: str) -> None:
    env = {**os.environ, "TZ": tz, "WXKIT_TEST_CHINA_CLOCK": china_clock}
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_XDIST_WORKER_COUNT", None)
    args = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:xdist", "-p", "no:cacheprovider", *SWEPT]
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]

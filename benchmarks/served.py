"""Served inbound: the safe-mode echo round trip over HTTP, wxkit's adapters vs. bare endpoints.

Two pairs, each on the same server with the same load generator:

* ASGI under uvicorn: ``make_asgi_app(bot)`` (the bot says its handlers do
  not block, ``handlers_block = False``, so they run on the event loop) vs. a
  bare Starlette ``async def`` endpoint doing the floor's work
  (``benchmarks/inbound.py``'s ``floor_round_trip``) on the loop;
* WSGI under waitress: ``make_wsgi_app(bot)`` vs. a bare WSGI function doing
  the floor's work;
* the same WSGI pair under a minimal threaded HTTP/1.1 keep-alive server built
  on the standard library (``socketserver``; in this file). Waitress's main
  loop polls without pause while a worker holds a response, so its CPU per
  request swings with the neighbours' load far more than the push costs; this
  server does no work of its own between requests, so the WSGI pair's
  difference shows through. Same server for both contenders, as with waitress.

wxkit's checks stay on, the replay guard included (``MemoryStorage``): every
request is a distinct push, signed and encrypted like WeChat's, generated
before each run. The load generator is ``wrk`` (keep-alive connections; a Lua
script cycles through the pre-generated requests). Each server runs in its
own process, started once; rounds alternate which contender goes first, and a
ratio is the median of the per-round ratios. Each line also shows the server process's CPU
time per request (all its threads, from ``/proc``), and each pair the ratio by
that measure, the steadier one on a machine shared with other work.

uvicorn, waitress, starlette and wrk are not wxkit dependencies: install them
to run this (``pip install uvicorn waitress starlette``, ``apt-get install
wrk``); a pair whose server or framework is missing is skipped with a message.

    python benchmarks/served.py [--rounds 9] [--seconds 2] [--connections 8] [--only asgi|wsgi|wsgi-stdlib]
                                [--verbose]
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from inbound import AES_KEY, APP_ID, TOKEN, EchoBot, floor_round_trip

from wxkit.testing import WeChatPusher

_LUA = """
local reqs = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do
    local path, body = line:match("^([^\\t]*)\\t(.*)$")
    reqs[#reqs + 1] = wrk.format("POST", path, {["Content-Type"] = "text/xml"}, body)
  end
end
request = function()
  i = i + 1
  if i > #reqs then i = 1 end
  return reqs[i]
end
"""


class InlineBot(EchoBot):
    """The benchmark's echo bot, saying that its handler never blocks: it runs on the event loop."""

    handlers_block = False


# ---------------------------------------------------------------- the contenders (run in child processes)
def wx_asgi() -> Any:
    from wxkit.adapters.asgi import make_asgi_app

    return make_asgi_app(InlineBot())


def bare_starlette() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def endpoint(request: Request) -> Response:
        params = dict(request.query_params)
        return Response(floor_round_trip(params, await request.body()), media_type="application/xml")

    return Starlette(routes=[Route("/", endpoint, methods=["POST"])])


def wx_wsgi() -> Any:
    from wxkit.adapters.wsgi import make_wsgi_app

    return make_wsgi_app(EchoBot())


def bare_wsgi() -> Any:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        params = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        out = floor_round_trip(params, environ["wsgi.input"].read(length)).encode("utf-8")
        start_response("200 OK", [("Content-Type", "application/xml"), ("Content-Length", str(len(out)))])
        return [out]

    return app


APPS: dict[str, Callable[[], Any]] = {
    "wx_asgi": wx_asgi,
    "bare_starlette": bare_starlette,
    "wx_wsgi": wx_wsgi,
    "bare_wsgi": bare_wsgi,
}


def _serve(kind: str, name: str, port: int) -> None:
    app = APPS[name]()
    if kind == "asgi":
        import uvicorn

        uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False, lifespan="off")
    elif kind == "wsgi-stdlib":
        serve_stdlib_wsgi(app, port)
    else:
        import logging

        import waitress

        logging.getLogger("waitress").setLevel(logging.ERROR)  # "task queue depth" lines under load
        waitress.serve(app, host="127.0.0.1", port=port, _quiet=True)


def serve_stdlib_wsgi(app: Callable[..., Any], port: int) -> None:
    """Serve a WSGI ``app`` on a minimal threaded HTTP/1.1 keep-alive server (standard library only).

    One thread per connection reads requests one after the other, builds a
    PEP 3333 environ (the body in a ``BytesIO``), calls the application and
    writes its answer in one ``send`` with a ``Content-Length``. Enough for
    the benchmark's clients (``wrk``, ``http.client``), not a production server.
    """
    import io
    import socketserver

    class Handler(socketserver.StreamRequestHandler):
        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def handle(self) -> None:
            try:
                while self.handle_one():
                    pass
            except ConnectionError:  # wrk closes its connections mid-request at the end of a run
                pass

        def handle_one(self) -> bool:
            line = self.rfile.readline(65537)
            parts = line.decode("latin-1").split()
            if len(parts) != 3:
                return False
            method, target, version = parts
            headers: dict[str, str] = {}
            while True:
                field = self.rfile.readline(65537)
                if field in (b"\r\n", b"\n", b""):
                    break
                name, _, value = field.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            path, _, query = target.partition("?")
            environ: dict[str, Any] = {
                "REQUEST_METHOD": method,
                "SCRIPT_NAME": "",
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": headers.get("content-type", ""),
                "CONTENT_LENGTH": str(length) if "content-length" in headers else "",
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": str(port),
                "SERVER_PROTOCOL": version,
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": "http",
                "wsgi.input": io.BytesIO(self.rfile.read(length) if length else b""),
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": True,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
            }
            for name, value in headers.items():
                if name not in ("content-type", "content-length"):
                    environ["HTTP_" + name.upper().replace("-", "_")] = value
            started: list[Any] = []

            def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
                started[:] = [status, response_headers]

            result = app(environ, start_response)
            try:
                payload = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            status, response_headers = started
            head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in response_headers) + "\r\n"
            self.wfile.write(head.encode("latin-1") + payload)
            return headers.get("connection", "").lower() != "close"

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 128

    with Server(("127.0.0.1", port), Handler) as server:
        server.serve_forever()


# ---------------------------------------------------------------- harness
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


class Server:
    """One contender's server process."""

    def __init__(self, kind: str, name: str) -> None:
        self.name = name
        self.port = _free_port()
        ctx = multiprocessing.get_context("spawn")
        self.proc = ctx.Process(target=_serve, args=(kind, name, self.port), daemon=True)
        self.proc.start()
        _wait_for(self.port)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.join(5)


def _requests(pusher: WeChatPusher, count: int, tag: str) -> list[tuple[str, str]]:
    out = []
    for i in range(count):
        push = pusher.text(f"served {tag} {i}")
        out.append(("/?" + urlencode(push.params), push.body))
    return out


def _check(server: Server, pusher: WeChatPusher, path: str, body: str) -> None:
    """One request answered with the echo, decrypted: both contenders do the same work."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("POST", path, body.encode("utf-8"), {"Content-Type": "text/xml"})
        answer = conn.getresponse()
        text = answer.read().decode("utf-8")
    finally:
        conn.close()
    if answer.status != 200:
        raise RuntimeError(f"{server.name} answered {answer.status}: {text[:200]}")
    content = pusher.read_reply(200, text).content  # type: ignore[union-attr]
    if not content.startswith("served check"):
        raise RuntimeError(f"{server.name} answered {content!r}")


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has run so far, all its threads, ended ones included.

    From ``/proc/<pid>/stat`` (Linux), in clock ticks (10 ms): a run costs a server
    hundreds of ticks. A thread's own ``/proc/<pid>/task/<tid>/schedstat`` is finer, but
    it goes with the thread, and the stdlib server's threads end with their connections.
    """
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime: fields 14 and 15 of proc(5)


_TICKS = os.sysconf("SC_CLK_TCK")


def _wrk(port: int, script: str, data: str, seconds: int, connections: int) -> tuple[float, int, int]:
    """Run wrk against ``port``: (requests per second, requests, non-2xx answers)."""
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, seconds)}s",
        "-s",
        script,
        f"http://127.0.0.1:{port}/",
        "--",
        data,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return rate, total, int(bad.group(1)) if bad else 0


def race(kind: str, names: tuple[str, str], args: argparse.Namespace, tmp: Path, pusher: WeChatPusher) -> None:
    """Rounds of wxkit vs. its bare reference on one server kind; prints the rates and the ratio.

    Both servers start once and stay up (wxkit's replay guard fills as in production); each
    round runs wrk against one then the other, the order alternating, with pushes generated
    for that run only.
    """
    script = tmp / "cycle.lua"
    script.write_text(_LUA)
    connections = args.stdlib_connections if kind == "wsgi-stdlib" else args.connections
    per_run = int(args.seconds * args.max_rate)
    wx_name, ref_name = names
    rates: dict[str, list[float]] = {wx_name: [], ref_name: []}
    cpu: dict[str, list[float]] = {wx_name: [], ref_name: []}  # server CPU seconds per request
    ratios: list[float] = []
    bad_total = 0
    servers = {name: Server(kind, name) for name in names}
    try:
        for name, server in servers.items():
            check_path, check_body = _requests(pusher, 1, f"check {name}")[0]
            _check(server, pusher, check_path, check_body)
        for r in range(args.rounds):
            order = [wx_name, ref_name] if r % 2 == 0 else [ref_name, wx_name]
            got: dict[str, float] = {}
            # fresh pushes for each run (wxkit's replay guard sees every one for the first time), made for
            # both contenders before either runs: the pair then runs back to back, under the same load
            files = {name: tmp / f"{name}-{r}.tsv" for name in order}
            for name, data in files.items():
                reqs = _requests(pusher, per_run, f"{name} {r}")
                data.write_text("".join(f"{path}\t{body}\n" for path, body in reqs))
            for name in order:
                data = files[name]
                pid = servers[name].proc.pid
                assert pid is not None
                cpu0 = _cpu_seconds(pid)
                rate, total, bad = _wrk(servers[name].port, str(script), str(data), args.seconds, connections)
                cpu[name].append((_cpu_seconds(pid) - cpu0) / max(total, 1))
                data.unlink()
                if total > per_run:  # the script started over: wxkit would answer repeats as WeChat's retries
                    raise SystemExit(
                        f"{name} served {total} requests, more than the {per_run} generated: raise --max-rate"
                    )
                got[name] = rate
                rates[name].append(rate)
                bad_total += bad
            ratios.append(got[wx_name] / got[ref_name])
            if args.verbose:
                print(
                    f"    round {r}: "
                    + ", ".join(f"{name} {rate:.0f} req/s {cpu[name][-1] * 1e6:.0f} us" for name, rate in got.items())
                )
    finally:
        for server in servers.values():
            server.stop()
    cpu_ratios = [b / w for w, b in zip(cpu[wx_name], cpu[ref_name], strict=True)]
    for name in (ref_name, wx_name):
        print(
            f"  {name:16} {statistics.median(rates[name]):9.0f} req/s"
            f"   server CPU {statistics.median(cpu[name]) * 1e6:6.0f} us/request"
        )
    target = 1.0 if kind == "asgi" else 0.95
    print(f"  ratio wxkit/bare: {statistics.median(ratios):.3f}x  (target >= {target:.2f}x)")
    print(f"  ratio by server CPU per request: {statistics.median(cpu_ratios):.3f}x")
    if bad_total:
        print(f"  WARNING: {bad_total} answers were not 2xx")


def instructions_per_request(name: str, pusher: WeChatPusher, tmp: Path, count: int) -> float:
    """Instructions the stdlib server process runs per request serving ``name`` (valgrind's callgrind).

    The server starts under callgrind with instrumentation off, is warmed up, then
    counts ``count`` requests sent one after the other on one keep-alive connection.
    A count does not move with the machine's load, as times do.
    """
    port = _free_port()
    out = tmp / f"{name}.callgrind"
    here = str(Path(__file__).resolve().parent)
    code = f"import sys; sys.path.insert(0, {here!r}); import served; served._serve('wsgi-stdlib', {name!r}, {port})"
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-c",
        code,
    ]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port, timeout=300)
        reqs = _requests(pusher, count + 21, f"instructions {name}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

        def send(path: str, body: str) -> None:
            conn.request("POST", path, body.encode("utf-8"), {"Content-Type": "text/xml"})
            answer = conn.getresponse()
            answer.read()
            if answer.status != 200:
                raise RuntimeError(f"{name} answered {answer.status}")

        for path, body in reqs[:20]:  # warm-up, not instrumented
            send(path, body)
        subprocess.run(["callgrind_control", "-i", "on", str(server.pid)], check=True, capture_output=True)
        send(*reqs[20])  # the first instrumented request translates the code again: not counted
        subprocess.run(["callgrind_control", "-z", str(server.pid)], check=True, capture_output=True)
        for path, body in reqs[21:]:
            send(path, body)
        subprocess.run(["callgrind_control", "--dump=measured", str(server.pid)], check=True, capture_output=True)
        conn.close()
    finally:
        server.terminate()
        server.wait(60)
    totals = []
    for dump in tmp.glob(f"{name}.callgrind*"):
        text = dump.read_text(errors="replace")
        if "measured" in text:
            found = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
            if found:
                totals.append(int(found[1]))
        dump.unlink()
    if not totals:
        raise SystemExit(f"no callgrind dump for {name}")
    return max(totals) / count


def print_instructions(pusher: WeChatPusher, tmp: Path, count: int) -> None:
    """The WSGI pair on the stdlib server, by instructions per request (``--instructions``)."""
    print(f"WSGI under the stdlib keep-alive server, instructions per request (callgrind, {count} requests)")
    if shutil.which("valgrind") is None:
        print("  skipped: valgrind is not installed")
        return
    counts = {name: instructions_per_request(name, pusher, tmp, count) for name in ("bare_wsgi", "wx_wsgi")}
    for name, n in counts.items():
        print(f"  {name:16} {n / 1000:9.1f} k instructions/request")
    print(f"  ratio wxkit/bare (bare's count / wxkit's): {counts['bare_wsgi'] / counts['wx_wsgi']:.3f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--seconds", type=int, default=2, help="length of one wrk run")
    ap.add_argument("--connections", type=int, default=8, help="wrk keep-alive connections")
    ap.add_argument(
        "--stdlib-connections",
        type=int,
        default=1,
        help="wrk keep-alive connections for the stdlib server line (default 1: one server thread, no GIL handoffs)",
    )
    ap.add_argument(
        "--max-rate", type=float, default=16000.0, help="pushes generated per second of a run (more than served)"
    )
    ap.add_argument("--only", choices=["asgi", "wsgi", "wsgi-stdlib"], help="run one pair")
    ap.add_argument("--verbose", action="store_true", help="print every round's rates")
    ap.add_argument(
        "--instructions",
        type=int,
        metavar="N",
        default=0,
        help="instead: instructions per request of the WSGI pair on the stdlib server, over N requests (valgrind)",
    )
    args = ap.parse_args()
    if args.instructions:
        print(f"python {sys.version.split()[0]}")
        with tempfile.TemporaryDirectory() as tmp:
            print_instructions(WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY), Path(tmp), args.instructions)
        return

    print(
        f"python {sys.version.split()[0]}, {args.rounds} alternating rounds of {args.seconds:g} s, "
        f"wrk -c{args.connections} keep-alive (median); load average {os.getloadavg()[0]:.2f}"
    )
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk): every line is skipped")
        return
    pusher = WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY)
    with tempfile.TemporaryDirectory() as tmp:
        pairs = [
            (
                "asgi",
                ("wx_asgi", "bare_starlette"),
                ("uvicorn", "starlette"),
                "ASGI under uvicorn (wxkit inline on the loop vs. bare Starlette endpoint)",
            ),
            ("wsgi", ("wx_wsgi", "bare_wsgi"), ("waitress",), "WSGI under waitress (wxkit vs. bare WSGI app)"),
            (
                "wsgi-stdlib",
                ("wx_wsgi", "bare_wsgi"),
                (),
                f"WSGI under a stdlib threaded keep-alive server, wrk -c{args.stdlib_connections}"
                " (wxkit vs. bare WSGI app)",
            ),
        ]
        for kind, names, needs, title in pairs:
            if args.only and kind != args.only:
                continue
            missing = [m for m in needs if importlib.util.find_spec(m) is None]
            print(title)
            if missing:
                print(f"  skipped: {', '.join(missing)} not installed (pip install {' '.join(missing)})")
                continue
            race(kind, names, args, Path(tmp), pusher)
            print(f"  (load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()

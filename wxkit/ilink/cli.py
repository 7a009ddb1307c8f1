"""``wxkit ilink login``: log a bot in by QR code and write its credentials to a 0600 file.

The QR code's URL is printed (and drawn in the terminal when the optional
``qrcode`` package is installed: ``pip install wxkit[qrcode]``); each status change is printed; on
confirmation the credentials (:class:`~wxkit.ilink.ILinkCredentials` as JSON)
are written to ``--out`` with permissions 0600, and only the bot id and user id
are printed, never the token. Load them with :func:`load_credentials`.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

from ..errors import ConfigError, ParseError
from ..jsoncodec import load_json
from .login import ILinkLogin
from .protocol import DEFAULT_BASE_URL
from .types import ILinkCredentials, QRCode, QRStatus

__all__ = ["load_credentials", "login_command", "write_credentials"]


def write_credentials(path: str | os.PathLike[str], credentials: ILinkCredentials) -> None:
    """Write ``credentials`` as JSON to ``path``, readable by its owner only (0600, also when it existed)."""
    fd = os.open(os.fspath(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    if hasattr(os, "fchmod"):  # an existing file keeps its mode through os.open: narrow it first
        os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(credentials.to_dict(), out)


def load_credentials(path: str | os.PathLike[str]) -> ILinkCredentials:
    """The credentials :func:`write_credentials` wrote (:class:`~wxkit.errors.ConfigError` if unreadable)."""
    try:
        data = load_json(Path(path).read_text("utf-8"), what="the iLink credentials file")
    except (OSError, ValueError, ParseError) as exc:
        raise ConfigError(f"cannot read iLink credentials from {os.fspath(path)}: {type(exc).__name__}") from None
    credentials = ILinkCredentials.from_dict(data)
    if credentials is None:
        raise ConfigError(f"{os.fspath(path)} holds no iLink credentials: log in again")
    return credentials


logger = logging.getLogger("wxkit.ilink")


def _draw(url: str, echo: Callable[[str], None] = print) -> bool:
    """Draw the QR code through ``echo`` when the optional ``qrcode`` package (``wxkit[qrcode]``) is importable.

    Return whether it was drawn; without the package, or if it fails, the
    printed URL is all there is (a failure is logged, never raised).
    """
    try:
        qrcode = importlib.import_module("qrcode")
    except ImportError:
        return False
    drawing = io.StringIO()
    try:
        qr = qrcode.QRCode(border=1)
        qr.add_data(url)
        qr.print_ascii(out=drawing, invert=True)
    except Exception as exc:  # noqa: BLE001 - an optional nicety: the URL is printed anyway
        logger.warning("could not draw the QR code in the terminal: %s", type(exc).__name__)
        return False
    echo(drawing.getvalue().rstrip("\n"))
    return True


def login_command(
    out: str | os.PathLike[str],
    *,
    base_url: str = DEFAULT_BASE_URL,
    echo: Callable[[str], None] = print,
    max_refreshes: int = 3,
) -> ILinkCredentials:
    """Run the QR login, printing through ``echo``, and write the credentials to ``out``; return them."""
    seen: list[str] = []

    def show(code: QRCode) -> None:
        echo(f"scan this QR code with WeChat: {code.url}")
        _draw(code.url, echo)

    def status(answer: QRStatus) -> None:
        if not seen or seen[-1] != answer.status:
            seen.append(answer.status)
            echo(f"status: {answer.status}")

    login = ILinkLogin(base_url)
    try:
        credentials = login.wait(show, on_status=status, max_refreshes=max_refreshes)
    finally:
        login.close()
    write_credentials(out, credentials)
    echo(f"logged in: bot {credentials.bot_id} (owner {credentials.user_id}); credentials written to {out}")
    return credentials

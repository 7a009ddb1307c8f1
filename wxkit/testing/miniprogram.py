"""The emulator's mini-program (小程序) state: users, login codes, session keys, phone codes, verdicts ...

::

    with Emulator() as emu:
        app = emu.add_app("wx_mini", "secret")          # a mini program is an app like any other
        js_code = emu.miniprogram_login("wx_mini", "o_user_1")      # what wx.login() gives the front end
        client = MiniProgramClient("wx_mini", "secret", base_url=emu.url)
        session = client.auth.code2session(js_code)    # Session(openid="o_user_1", ...)

        code = emu.miniprogram_phone_code("wx_mini", "13800138000")  # what getPhoneNumber gives
        client.phone.get_phone_number(code).pure_phone_number        # "13800138000"

Every mini program's state is a :class:`MiniProgramState` kept in
``app.data["miniprogram"]`` (:func:`miniprogram_state`). The routes of
:mod:`wxkit.testing.routes.miniprogram_auth` and its siblings read and write
it; the helpers here (and the :class:`~wxkit.testing.Emulator` methods that
call them) play the user's side:

* :func:`login` - the user opens the mini program and ``wx.login()`` runs: a
  one-time ``js_code``, valid :data:`CODE_LIFETIME` seconds of emulator time
  (then 40029; 40163 once used). Each login gives the user a fresh
  ``session_key`` unless ``rotate_key=False`` (WeChat may or may not renew it);
* :func:`phone_code` - the user taps the ``getPhoneNumber`` button: a one-time
  code for that number (same lifetime and errcodes);
* :func:`enter_session` - the user opens the customer-service conversation
  (``user_enter_tempsession``) or writes to it: the 48-hour window opens;
* :func:`encrypt_user_data` - ``encryptedData`` / ``iv`` as WeChat hands them to
  the front end, sealed with the user's current ``session_key`` and watermarked;
* :func:`set_security_verdict` - what ``msg_sec_check`` and ``media_check_async``
  answer (``pass`` / ``review`` / ``risky``), per keyword or for everything.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from .emulator import AppState, Emulator

__all__ = [
    "CODE_LIFETIME",
    "MiniProgramState",
    "add_paid_order",
    "encrypt_user_data",
    "enter_session",
    "login",
    "miniprogram_state",
    "phone_code",
    "plugin_code",
    "register_payment",
    "register_refund",
    "set_pages",
    "set_security_verdict",
]

#: Seconds a ``js_code`` or a phone-number code can be exchanged after it is issued (WeChat: 5 minutes).
CODE_LIFETIME = 300


@attrs.define
class MiniProgramState:
    """One mini program's state inside the emulator (``app.data["miniprogram"]``).

    ``users`` maps openid -> ``{"openid", "unionid", "session_key"}``;
    ``codes`` maps a js_code -> ``{"openid", "expires_at", "used"}`` and
    ``phone_codes`` a phone code -> ``{"phone_info", "expires_at", "used"}``;
    ``wxacodes`` records every code image made (the request body and the
    endpoint); ``schemes``, ``url_links`` and ``short_links`` what
    ``links`` generated (queryable); ``verdicts`` maps a keyword (``""``:
    everything) -> ``(suggest, label)``; ``media_checks`` the
    ``media_check_async`` requests (trace_id -> request and verdict);
    ``orders`` the paid orders the shipping API knows (transaction_id -> order),
    ``msg_jump_path`` its message jump path; ``risk_ranks`` openid -> rank
    (0 unless set); ``pages`` the published pages (``None``: every page
    exists, see :func:`set_pages`); ``code_limit`` how many limited codes
    (``getwxacode`` + ``createwxaqrcode``) the app may make.
    """

    users: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    codes: dict[str, dict[str, Any]] = attrs.field(factory=dict, repr=False)
    phone_codes: dict[str, dict[str, Any]] = attrs.field(factory=dict, repr=False)
    wxacodes: list[dict[str, Any]] = attrs.field(factory=list)
    schemes: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    url_links: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    short_links: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    verdicts: dict[str, tuple[str, int]] = attrs.field(factory=dict)
    media_checks: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    orders: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    msg_jump_path: str = ""
    risk_ranks: dict[str, int] = attrs.field(factory=dict)
    pages: set[str] | None = None
    code_limit: int = 100_000
    plugin_codes: dict[str, str] = attrs.field(factory=dict, repr=False)


def miniprogram_state(app: AppState) -> MiniProgramState:
    """``app``'s mini-program state (made on first use)."""
    state = app.data.get("miniprogram")
    if not isinstance(state, MiniProgramState):
        state = MiniProgramState()
        app.data["miniprogram"] = state
    return state


def new_session_key() -> str:
    """A fresh session key: 16 random bytes, base64 (what WeChat's look like)."""
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii")


def user(app: AppState, openid: str, *, unionid: str | None = None) -> dict[str, Any]:
    """The mini-program user ``openid`` of ``app`` (registered with a session key on first use)."""
    users = miniprogram_state(app).users
    entry = users.get(openid)
    if entry is None:
        entry = {"openid": openid, "unionid": unionid, "session_key": new_session_key()}
        users[openid] = entry
    elif unionid is not None:
        entry["unionid"] = unionid
    return entry


def login(emu: Emulator, app: AppState, openid: str, *, unionid: str | None = None, rotate_key: bool = True) -> str:
    """The user ``openid`` runs ``wx.login()``: return a one-time ``js_code`` valid :data:`CODE_LIFETIME` seconds.

    A returning user gets a new ``session_key`` unless ``rotate_key=False``;
    ``unionid`` (kept once given) is answered by ``code2session``.
    """
    with emu.lock:
        entry = user(app, openid, unionid=unionid)
        if rotate_key and entry.get("logged_in"):
            entry["session_key"] = new_session_key()
        entry["logged_in"] = True
        entry["last_seen"] = emu.now()
        code = secrets.token_hex(16)
        miniprogram_state(app).codes[code] = {"openid": openid, "expires_at": emu.now() + CODE_LIFETIME, "used": False}
        return code


def phone_code(
    emu: Emulator, app: AppState, phone_number: str, *, country_code: str = "86", openid: str | None = None
) -> str:
    """The user taps ``getPhoneNumber`` and allows it: return a one-time code for ``phone_number``.

    ``phone_number`` is the number without the country code
    (``purePhoneNumber``); ``phoneNumber`` is answered with ``+<country
    code>`` in front outside mainland China (``country_code`` other than 86).
    """
    with emu.lock:
        full = phone_number if country_code == "86" else f"+{country_code} {phone_number}"
        info = {
            "phoneNumber": full,
            "purePhoneNumber": phone_number,
            "countryCode": country_code,
            "watermark": {"timestamp": int(emu.now()), "appid": app.appid},
        }
        code = secrets.token_hex(32)
        miniprogram_state(app).phone_codes[code] = {
            "phone_info": info,
            "openid": openid,
            "expires_at": emu.now() + CODE_LIFETIME,
            "used": False,
        }
        return code


def enter_session(emu: Emulator, app: AppState, openid: str) -> None:
    """The user opens (or writes to) the customer-service conversation: the 48-hour window opens.

    The user joins ``app.followers`` (the users the app may message) if new.
    """
    with emu.lock:
        user(app, openid)["last_seen"] = emu.now()
        if openid not in app.followers:
            app.add_follower(openid)
        app.touch(openid, emu.now())


def encrypt_user_data(emu: Emulator, app: AppState, openid: str, data: dict[str, Any]) -> tuple[str, str]:
    """``(encrypted_data, iv)`` of ``data`` as WeChat gives them to the front end (``wx.getUserInfo`` ...).

    The JSON gets ``watermark: {"appid", "timestamp"}`` (unless ``data``
    carries one) and is sealed with AES-128-CBC under the user's current
    ``session_key`` and a random iv, PKCS#7 padded.
    """
    from Crypto.Cipher import AES

    with emu.lock:
        key = base64.b64decode(user(app, openid)["session_key"])
        payload = dict(data)
        payload.setdefault("watermark", {"appid": app.appid, "timestamp": int(emu.now())})
    plain = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    pad = 16 - len(plain) % 16
    iv = secrets.token_bytes(16)
    sealed = AES.new(key, AES.MODE_CBC, iv).encrypt(plain + bytes([pad]) * pad)
    return base64.b64encode(sealed).decode("ascii"), base64.b64encode(iv).decode("ascii")


def add_paid_order(
    emu: Emulator,
    app: AppState,
    openid: str,
    *,
    transaction_id: str | None = None,
    mchid: str = "1900000109",
    out_trade_no: str | None = None,
    amount: int = 100,
    description: str = "emulated order",
) -> dict[str, Any]:
    """Record that ``openid`` paid an order of ``app`` (fen ``amount``); return the order.

    The shipping API (``/wxa/sec/order/*``) and ``getpaidunionid`` know the
    order from then on; its ``order_state`` is 1 (待发货, waiting for shipping).
    """
    with emu.lock:
        user(app, openid)
        number = emu.next_id()
        order: dict[str, Any] = {
            "transaction_id": transaction_id or f"4200{number:024d}",
            "merchant_id": mchid,
            "mchid": mchid,
            "sub_merchant_id": "",
            "out_trade_no": out_trade_no or f"order-{number}",
            "merchant_trade_no": out_trade_no or f"order-{number}",
            "description": description,
            "paid_amount": amount,
            "openid": openid,
            "trade_create_time": int(emu.now()),
            "pay_time": int(emu.now()),
            "order_state": 1,
            "in_complaint": False,
            "shipping": None,
        }
        miniprogram_state(app).orders[order["transaction_id"]] = order
        return order


def register_payment(
    emu: Emulator,
    appid: str,
    openid: str,
    *,
    transaction_id: str,
    mchid: str,
    out_trade_no: str,
    amount: int,
    description: str,
) -> None:
    """A payment the emulator's WeChat Pay completed: an app the emulator knows records it with :func:`add_paid_order`.

    Called by the v2 and v3 pay emulators when an order is paid, so the
    shipping API (``/wxa/sec/order/*``) knows the transaction as WeChat's
    would; orders of an appid the emulator does not serve are ignored.
    """
    app = emu.apps.get(appid)
    if app is None or not openid:
        return
    add_paid_order(
        emu,
        app,
        openid,
        transaction_id=transaction_id,
        mchid=mchid,
        out_trade_no=out_trade_no,
        amount=amount,
        description=description,
    )


def register_refund(emu: Emulator, transaction_id: str, refunded: int) -> None:
    """A refund the emulator's WeChat Pay completed: ``refunded`` fen in all of the transaction so far.

    Once the whole paid amount is refunded, the shipping API shows the order
    as refunded (``order_state`` 5, 已退款). Transactions no served app
    recorded are ignored.
    """
    with emu.lock:
        for app in emu.apps.values():
            state = app.data.get("miniprogram")
            order = state.orders.get(transaction_id) if isinstance(state, MiniProgramState) else None
            if order is not None and refunded >= order["paid_amount"]:
                order["order_state"] = 5


def set_pages(app: AppState, pages: list[str] | None) -> None:
    """The published pages of ``app`` (``pages/index/index`` ...); ``None``: every page exists (the default).

    Codes, schemes and links for another page answer 41030 / 40165.
    """
    miniprogram_state(app).pages = None if pages is None else set(pages)


def plugin_code(app: AppState, openid: str) -> str:
    """The code ``wx.pluginLogin`` gives a plugin for the user ``openid`` (one-time)."""
    code = secrets.token_hex(16)
    miniprogram_state(app).plugin_codes[code] = openid
    return code


#: The verdicts ``msg_sec_check`` knows, with the label it gives when none is set.
SUGGESTS = {"pass": 100, "review": 21000, "risky": 20001}


def set_security_verdict(app: AppState, suggest: str, *, label: int | None = None, keyword: str = "") -> None:
    """Make content checks answer ``suggest`` (``pass``, ``review`` or ``risky``) with ``label``.

    With ``keyword``, only content holding it (text, or a media URL) gets that
    verdict; without, everything does. The default verdict is ``pass`` / 100.
    """
    if suggest not in SUGGESTS:
        raise ValueError(f"suggest must be one of {sorted(SUGGESTS)}, not {suggest!r}")
    miniprogram_state(app).verdicts[keyword] = (suggest, SUGGESTS[suggest] if label is None else label)


def verdict(app: AppState, content: str) -> tuple[str, int, str]:
    """``(suggest, label, keyword)`` for ``content``: the first keyword verdict it holds, else the default."""
    verdicts = miniprogram_state(app).verdicts
    for keyword, (suggest, label) in verdicts.items():
        if keyword and keyword in content:
            return suggest, label, keyword
    suggest, label = verdicts.get("", ("pass", 100))
    return suggest, label, ""

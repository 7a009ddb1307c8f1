"""WeChat Pay v3 refunds (``pay.refunds``): apply, query, abnormal refund.

::

    refund = pay.refunds.create("R20250101001", 100, 300, out_trade_no="T20250101001", reason="缺货")
    refund["status"]                      # "PROCESSING" -> later SUCCESS / CLOSED / ABNORMAL
    pay.refunds.query("R20250101001")

Amounts are ``int`` fen, checked before anything is sent (a float, bool,
string or negative amount, or a refund above the order total, is an
:class:`~wxkit.errors.AmountError`). Applying again with the same
``out_refund_no`` refunds once (WeChat's rule), so :meth:`RefundsAPI.create`
is re-sent after a network failure like a query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...errors import AmountError, ConfigError
from ..amount import check_fen

if TYPE_CHECKING:
    from .client import PayClient

__all__ = ["ABNORMAL_REFUND_TYPES", "RefundsAPI", "encrypt_fields", "path_segment"]

#: ``type`` values of :meth:`RefundsAPI.abnormal_refund`.
ABNORMAL_REFUND_TYPES = ("USER_BANK_CARD", "MERCHANT_BANK_CARD")


def encrypt_fields(client: PayClient, fields: Mapping[str, str | None]) -> tuple[dict[str, str], str | None]:
    """Encrypt every non-``None`` sensitive field with one platform key: ``(ciphertexts, Wechatpay-Serial)``.

    All ciphertexts of one request must name the same key (one
    ``Wechatpay-Serial`` header); the serial is ``None`` when nothing was encrypted.
    """
    out: dict[str, str] = {}
    serials: set[str] = set()
    for name, plaintext in fields.items():
        if plaintext is None:
            continue
        if not isinstance(plaintext, str) or not plaintext:
            raise ValueError(f"{name} must be a non-empty string")
        out[name], serial = client.encrypt_sensitive(plaintext)
        serials.add(serial)
    if len(serials) > 1:  # the newest platform certificate changed between two encryptions
        raise ConfigError("the platform certificate changed while encrypting a request; send it again")
    return out, (serials.pop() if serials else None)


def path_segment(value: str, name: str) -> str:
    """``value`` checked to be one URL path segment (the client percent-encodes it when sending)."""
    if not isinstance(value, str) or value in ("", ".", "..") or "/" in value:
        raise ValueError(f"{name} must be a non-empty string without '/'")
    return value


class RefundsAPI:
    """WeChat Pay v3 domestic refunds (``/v3/refund/domestic/refunds``)."""

    def __init__(self, client: PayClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return "<RefundsAPI>"

    def create(
        self,
        out_refund_no: str,
        refund: int,
        total: int,
        *,
        transaction_id: str | None = None,
        out_trade_no: str | None = None,
        reason: str | None = None,
        notify_url: str | None = None,
        funds_account: str | None = None,
        currency: str = "CNY",
        goods_detail: Sequence[Mapping[str, Any]] | None = None,
        from_: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Apply for a refund: ``POST /v3/refund/domestic/refunds``.

        Give exactly one of ``transaction_id`` / ``out_trade_no``. ``refund``
        and ``total`` (the order's total) are fen, ``refund <= total``.
        ``from_`` splits the refund over accounts (``[{"account":
        "AVAILABLE", "amount": 50}, ...]``, amounts adding up to ``refund``).
        Returns the refund (``status`` ``PROCESSING`` until WeChat finishes).
        """
        if (transaction_id is None) == (out_trade_no is None):
            raise ValueError("give exactly one of transaction_id or out_trade_no")
        refund = check_fen(refund, "refund")
        total = check_fen(total, "total")
        if refund > total:
            raise AmountError(f"refund ({refund} fen) exceeds the order total ({total} fen)")
        amount: dict[str, Any] = {"refund": refund, "total": total, "currency": currency}
        if from_ is not None:
            parts: list[dict[str, Any]] = []
            for i, part in enumerate(from_):
                if not isinstance(part, Mapping):
                    raise ValueError(f"from_[{i}] must be a mapping with account and amount")
                parts.append(
                    {"account": part.get("account"), "amount": check_fen(part.get("amount"), f"from_[{i}].amount")}
                )
            if sum(p["amount"] for p in parts) != refund:
                raise AmountError("the from_ amounts must add up to the refund amount")
            amount["from"] = parts
        body: dict[str, Any] = {"out_refund_no": out_refund_no, "amount": amount}
        if transaction_id is not None:
            body["transaction_id"] = transaction_id
        else:
            body["out_trade_no"] = out_trade_no
        optional = {"reason": reason, "notify_url": notify_url, "funds_account": funds_account}
        body.update({k: v for k, v in optional.items() if v is not None})
        if goods_detail is not None:
            body["goods_detail"] = [self._goods(i, item) for i, item in enumerate(goods_detail)]
        # Same out_refund_no refunds once: a re-send after a network failure is safe.
        return self._client.request("POST", "/v3/refund/domestic/refunds", json_body=body, idempotent=True)

    @staticmethod
    def _goods(i: int, item: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(item, Mapping):
            raise ValueError(f"goods_detail[{i}] must be a mapping")
        goods = dict(item)
        for key in ("unit_price", "refund_amount"):
            if key in goods:
                goods[key] = check_fen(goods[key], f"goods_detail[{i}].{key}", allow_zero=True)
        return goods

    def query(self, out_refund_no: str) -> dict[str, Any]:
        """Query one refund: ``GET /v3/refund/domestic/refunds/{out_refund_no}``."""
        path = f"/v3/refund/domestic/refunds/{path_segment(out_refund_no, 'out_refund_no')}"
        return self._client.request("GET", path)

    def abnormal_refund(
        self,
        refund_id: str,
        out_refund_no: str,
        type: str,
        *,
        bank_type: str | None = None,
        bank_account: str | None = None,
        real_name: str | None = None,
    ) -> dict[str, Any]:
        """Handle an ``ABNORMAL`` refund: ``POST /v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund``.

        ``type`` is ``USER_BANK_CARD`` (refund to the user's bank card: give
        ``bank_type``, ``bank_account`` and ``real_name``) or
        ``MERCHANT_BANK_CARD`` (to the merchant's settlement account).
        ``bank_account`` and ``real_name`` are encrypted with the platform key
        and sent with ``Wechatpay-Serial``.
        """
        if type not in ABNORMAL_REFUND_TYPES:
            raise ValueError(f"type must be one of {ABNORMAL_REFUND_TYPES}")
        if type == "USER_BANK_CARD" and None in (bank_type, bank_account, real_name):
            raise ValueError("USER_BANK_CARD needs bank_type, bank_account and real_name")
        body: dict[str, Any] = {"out_refund_no": out_refund_no, "type": type}
        if bank_type is not None:
            body["bank_type"] = bank_type
        encrypted, serial = encrypt_fields(self._client, {"bank_account": bank_account, "real_name": real_name})
        body.update(encrypted)
        path = f"/v3/refund/domestic/refunds/{path_segment(refund_id, 'refund_id')}/apply-abnormal-refund"
        return self._client.request("POST", path, json_body=body, sensitive_serial=serial)

"""WeChat Pay v3 profit sharing (``pay.profitsharing``, 分账) for direct merchants.

::

    pay.profitsharing.add_receiver("MERCHANT_ID", "1900000110", "PARTNER", name="某某有限公司")
    order = pay.profitsharing.create_order(
        transaction_id, "P20250101001",
        [{"type": "MERCHANT_ID", "account": "1900000110", "amount": 30, "description": "分给合作方",
          "name": "某某有限公司"}],
        unfreeze_unsplit=True,
    )
    pay.profitsharing.query_order("P20250101001", transaction_id)["state"]   # PROCESSING -> FINISHED

The order must have been placed with ``settle_info.profit_sharing = true``.
Receiver names are encrypted with the platform key (``Wechatpay-Serial``);
amounts are ``int`` fen checked before sending. Requests keyed by the
merchant's number (``out_order_no``, ``out_return_no``) count once however
often they are sent, so they are re-sent after a network failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...errors import ConfigError
from ..amount import check_fen
from .refunds import encrypt_fields, path_segment

if TYPE_CHECKING:
    from .client import PayClient

__all__ = ["ProfitSharingAPI", "RECEIVER_TYPES", "RELATION_TYPES"]

#: Receiver ``type`` values for a direct merchant.
RECEIVER_TYPES = ("MERCHANT_ID", "PERSONAL_OPENID")
#: ``relation_type`` values of :meth:`ProfitSharingAPI.add_receiver` (``CUSTOM`` needs ``custom_relation``).
RELATION_TYPES = (
    "SERVICE_PROVIDER",
    "STORE",
    "STAFF",
    "STORE_OWNER",
    "PARTNER",
    "HEADQUARTER",
    "BRAND",
    "DISTRIBUTOR",
    "USER",
    "SUPPLIER",
    "CUSTOM",
)


class ProfitSharingAPI:
    """Profit sharing (``/v3/profitsharing/...``)."""

    def __init__(self, client: PayClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return "<ProfitSharingAPI>"

    def _appid(self, appid: str | None) -> str:
        app = appid or self._client.appid
        if not app:
            raise ConfigError("appid is required for profit sharing (pass appid= or set it on the PayClient)")
        return app

    def create_order(
        self,
        transaction_id: str,
        out_order_no: str,
        receivers: Sequence[Mapping[str, Any]],
        *,
        unfreeze_unsplit: bool,
        appid: str | None = None,
    ) -> dict[str, Any]:
        """Share an order's money: ``POST /v3/profitsharing/orders`` (请求分账).

        Each receiver is ``{"type", "account", "amount" (fen), "description"}``
        plus an optional plaintext ``"name"`` (encrypted here).
        ``unfreeze_unsplit=True`` releases what is left to the merchant, ending
        sharing for this order. Returns the order (``state`` ``PROCESSING`` /
        ``FINISHED``, per-receiver ``result``).
        """
        if not isinstance(unfreeze_unsplit, bool):
            raise ValueError("unfreeze_unsplit must be True or False")
        if isinstance(receivers, (str, bytes, Mapping)) or not receivers:
            raise ValueError("receivers must be a non-empty list of receiver mappings")
        items: list[dict[str, Any]] = []
        names: dict[str, str | None] = {}
        for i, receiver in enumerate(receivers):
            if not isinstance(receiver, Mapping):
                raise ValueError(f"receivers[{i}] must be a mapping")
            missing = {"type", "account", "amount", "description"} - set(receiver)
            if missing:
                raise ValueError(f"receivers[{i}] lacks {sorted(missing)}")
            item = {
                "type": receiver["type"],
                "account": receiver["account"],
                "amount": check_fen(receiver["amount"], f"receivers[{i}].amount"),
                "description": receiver["description"],
            }
            items.append(item)
            names[str(i)] = receiver.get("name")
        encrypted, serial = encrypt_fields(self._client, names)
        for index, ciphertext in encrypted.items():
            items[int(index)]["name"] = ciphertext
        body = {
            "appid": self._appid(appid),
            "transaction_id": transaction_id,
            "out_order_no": out_order_no,
            "receivers": items,
            "unfreeze_unsplit": unfreeze_unsplit,
        }
        return self._client.request(
            "POST", "/v3/profitsharing/orders", json_body=body, sensitive_serial=serial, idempotent=True
        )

    def query_order(self, out_order_no: str, transaction_id: str) -> dict[str, Any]:
        """Query a sharing order: ``GET /v3/profitsharing/orders/{out_order_no}?transaction_id=...``."""
        path = f"/v3/profitsharing/orders/{path_segment(out_order_no, 'out_order_no')}"
        return self._client.request("GET", path, params={"transaction_id": transaction_id})

    def return_order(
        self,
        out_return_no: str,
        return_mchid: str,
        amount: int,
        description: str,
        *,
        order_id: str | None = None,
        out_order_no: str | None = None,
    ) -> dict[str, Any]:
        """Take shared money back from a merchant receiver: ``POST /v3/profitsharing/return-orders`` (分账回退).

        Name the sharing order by exactly one of ``order_id`` (WeChat's) or
        ``out_order_no`` (yours). ``amount`` is fen.
        """
        if (order_id is None) == (out_order_no is None):
            raise ValueError("give exactly one of order_id or out_order_no")
        body: dict[str, Any] = {
            "out_return_no": out_return_no,
            "return_mchid": return_mchid,
            "amount": check_fen(amount, "amount"),
            "description": description,
        }
        if order_id is not None:
            body["order_id"] = order_id
        else:
            body["out_order_no"] = out_order_no
        return self._client.request("POST", "/v3/profitsharing/return-orders", json_body=body, idempotent=True)

    def query_return(self, out_return_no: str, out_order_no: str) -> dict[str, Any]:
        """Query a return: ``GET /v3/profitsharing/return-orders/{out_return_no}?out_order_no=...``."""
        path = f"/v3/profitsharing/return-orders/{path_segment(out_return_no, 'out_return_no')}"
        return self._client.request("GET", path, params={"out_order_no": out_order_no})

    def unfreeze(self, transaction_id: str, out_order_no: str, description: str) -> dict[str, Any]:
        """Release everything left unshared to the merchant: ``POST /v3/profitsharing/orders/unfreeze``."""
        body = {"transaction_id": transaction_id, "out_order_no": out_order_no, "description": description}
        return self._client.request("POST", "/v3/profitsharing/orders/unfreeze", json_body=body, idempotent=True)

    def query_amounts(self, transaction_id: str) -> dict[str, Any]:
        """Amount left to share: ``GET /v3/profitsharing/transactions/{transaction_id}/amounts``."""
        path = f"/v3/profitsharing/transactions/{path_segment(transaction_id, 'transaction_id')}/amounts"
        return self._client.request("GET", path)

    def add_receiver(
        self,
        type: str,
        account: str,
        relation_type: str,
        *,
        name: str | None = None,
        custom_relation: str | None = None,
        appid: str | None = None,
    ) -> dict[str, Any]:
        """Register a receiver: ``POST /v3/profitsharing/receivers/add``.

        ``name`` (required by WeChat for ``MERCHANT_ID``: the merchant's full
        name) is encrypted here; ``relation_type`` ``CUSTOM`` needs ``custom_relation``.
        """
        if type not in RECEIVER_TYPES:
            raise ValueError(f"type must be one of {RECEIVER_TYPES}")
        if relation_type not in RELATION_TYPES:
            raise ValueError(f"relation_type must be one of {RELATION_TYPES}")
        if relation_type == "CUSTOM" and not custom_relation:
            raise ValueError("relation_type CUSTOM needs custom_relation")
        body: dict[str, Any] = {
            "appid": self._appid(appid),
            "type": type,
            "account": account,
            "relation_type": relation_type,
        }
        encrypted, serial = encrypt_fields(self._client, {"name": name})
        body.update(encrypted)
        if custom_relation is not None:
            body["custom_relation"] = custom_relation
        return self._client.request(
            "POST", "/v3/profitsharing/receivers/add", json_body=body, sensitive_serial=serial, idempotent=True
        )

    def delete_receiver(self, type: str, account: str, *, appid: str | None = None) -> dict[str, Any]:
        """Remove a receiver: ``POST /v3/profitsharing/receivers/delete``."""
        if type not in RECEIVER_TYPES:
            raise ValueError(f"type must be one of {RECEIVER_TYPES}")
        body = {"appid": self._appid(appid), "type": type, "account": account}
        return self._client.request("POST", "/v3/profitsharing/receivers/delete", json_body=body, idempotent=True)

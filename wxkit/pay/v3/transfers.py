"""WeChat Pay v3 merchant transfers to users (``pay.transfers``), the 2025 transfer-bills API (商家转账).

::

    bill = pay.transfers.create(
        "TB20250101001", "1000", "o_user_openid", 500, "新会员奖励",
        user_recv_perception="现金奖励",
        transfer_scene_report_infos=[{"info_type": "活动名称", "info_content": "新会员有礼"},
                                     {"info_type": "奖励说明", "info_content": "注册奖励5元"}],
    )
    bill["state"]          # "WAIT_USER_CONFIRM": hand bill["package_info"] to wx.requestMerchantTransfer
    pay.transfers.query_by_out_bill_no("TB20250101001")["state"]   # ... SUCCESS / FAIL / CANCELLED

The user confirms the transfer in WeChat (``wx.requestMerchantTransfer`` in a
mini program, ``WeixinJSBridge`` in an official account page) with
``package_info``. ``user_name`` is encrypted with the platform key and sent
with ``Wechatpay-Serial``; WeChat requires it from 2,000 yuan (200000 fen) up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...errors import ConfigError
from ..amount import check_fen
from .refunds import encrypt_fields, path_segment

if TYPE_CHECKING:
    from .client import PayClient

__all__ = ["TRANSFER_STATES", "TransfersAPI"]

#: Every ``state`` of a transfer bill; ``SUCCESS``, ``FAIL`` and ``CANCELLED`` are final.
TRANSFER_STATES = (
    "ACCEPTED",
    "PROCESSING",
    "WAIT_USER_CONFIRM",
    "TRANSFERING",
    "SUCCESS",
    "FAIL",
    "CANCELING",
    "CANCELLED",
)

_BASE = "/v3/fund-app/mch-transfer/transfer-bills"


class TransfersAPI:
    """Merchant transfers (``/v3/fund-app/mch-transfer/transfer-bills``)."""

    def __init__(self, client: PayClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return "<TransfersAPI>"

    def create(
        self,
        out_bill_no: str,
        transfer_scene_id: str,
        openid: str,
        transfer_amount: int,
        transfer_remark: str,
        *,
        appid: str | None = None,
        user_name: str | None = None,
        user_recv_perception: str | None = None,
        transfer_scene_report_infos: Sequence[Mapping[str, str]] | None = None,
        notify_url: str | None = None,
    ) -> dict[str, Any]:
        """Start a transfer: ``POST /v3/fund-app/mch-transfer/transfer-bills`` (发起转账).

        ``transfer_amount`` is fen; ``appid`` defaults to the client's.
        ``transfer_scene_report_infos`` is the scene's report (``[{"info_type":
        ..., "info_content": ...}]``, fixed types per scene, required by
        WeChat). Returns ``out_bill_no``, ``transfer_bill_no``, ``state``,
        ``create_time`` and, while ``WAIT_USER_CONFIRM``, ``package_info``.
        Re-sending the same ``out_bill_no`` is WeChat's documented retry (原单重试).
        """
        app = appid or self._client.appid
        if not app:
            raise ConfigError("appid is required for transfers (pass appid= or set it on the PayClient)")
        body: dict[str, Any] = {
            "appid": app,
            "out_bill_no": out_bill_no,
            "transfer_scene_id": transfer_scene_id,
            "openid": openid,
            "transfer_amount": check_fen(transfer_amount, "transfer_amount"),
            "transfer_remark": transfer_remark,
        }
        encrypted, serial = encrypt_fields(self._client, {"user_name": user_name})
        body.update(encrypted)
        if user_recv_perception is not None:
            body["user_recv_perception"] = user_recv_perception
        if transfer_scene_report_infos is not None:
            infos = []
            for i, info in enumerate(transfer_scene_report_infos):
                if not isinstance(info, Mapping) or not {"info_type", "info_content"} <= set(info):
                    raise ValueError(f"transfer_scene_report_infos[{i}] needs info_type and info_content")
                infos.append({"info_type": info["info_type"], "info_content": info["info_content"]})
            body["transfer_scene_report_infos"] = infos
        if notify_url is not None:
            body["notify_url"] = notify_url
        return self._client.request("POST", _BASE, json_body=body, sensitive_serial=serial, idempotent=True)

    def confirm_params(self, package_info: str, *, appid: str | None = None) -> dict[str, str]:
        """Parameters for the user's confirmation page (``requestMerchantTransfer``): ``{"mchId", "appId", "package"}``.

        A mini program passes them to ``wx.requestMerchantTransfer``, an official
        account page to ``WeixinJSBridge.invoke("requestMerchantTransfer", ...)``.
        ``package_info`` comes from :meth:`create` while the bill is
        ``WAIT_USER_CONFIRM``. Nothing is signed or sent.
        """
        app = appid or self._client.appid
        if not app:
            raise ConfigError("appid is required for the confirmation parameters")
        if not isinstance(package_info, str) or not package_info:
            raise ValueError("package_info must be the non-empty package_info of a WAIT_USER_CONFIRM transfer")
        return {"mchId": self._client.mchid, "appId": app, "package": package_info}

    def query_by_out_bill_no(self, out_bill_no: str) -> dict[str, Any]:
        """Query by the merchant's bill number: ``GET .../transfer-bills/out-bill-no/{out_bill_no}``."""
        return self._client.request("GET", f"{_BASE}/out-bill-no/{path_segment(out_bill_no, 'out_bill_no')}")

    def query_by_transfer_bill_no(self, transfer_bill_no: str) -> dict[str, Any]:
        """Query by WeChat's bill number: ``GET .../transfer-bills/transfer-bill-no/{transfer_bill_no}``."""
        no = path_segment(transfer_bill_no, "transfer_bill_no")
        return self._client.request("GET", f"{_BASE}/transfer-bill-no/{no}")

    def cancel(self, out_bill_no: str) -> dict[str, Any]:
        """Cancel before the user confirms: ``POST .../transfer-bills/out-bill-no/{out_bill_no}/cancel``.

        Answers ``state`` ``CANCELING``; query later for ``CANCELLED``.
        """
        path = f"{_BASE}/out-bill-no/{path_segment(out_bill_no, 'out_bill_no')}/cancel"
        return self._client.request("POST", path, idempotent=True)

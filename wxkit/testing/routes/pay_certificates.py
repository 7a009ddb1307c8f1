"""Emulator route: ``GET /v3/certificates`` (platform certificates, encrypted with the APIv3 key).

In public-key mode the merchant has no platform certificates and WeChat
answers 404, which a client configured with only a public key must survive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..pay import PayAPIError, encrypt_resource, v3_route
from . import EmulatorRequest, Router

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["router"]

router = Router()


@v3_route(router, "GET", "/v3/certificates")
def certificates(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """List the merchant's platform certificates, newest last, each encrypted with the APIv3 key."""
    merchant = req.merchant
    merchant.certificate_downloads += 1
    if merchant.mode == "public_key":
        raise PayAPIError(404, "NOT_FOUND", "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥")
    return {
        "data": [
            {
                "serial_no": cert.serial_no,
                "effective_time": cert.effective_time,
                "expire_time": cert.expire_time,
                "encrypt_certificate": encrypt_resource(merchant, cert.pem, "certificate"),
            }
            for cert in merchant.certificates
        ]
    }

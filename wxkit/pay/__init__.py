"""WeChat Pay (微信支付): the v3 and v2 merchant clients, notifications and amounts.

* :mod:`wxkit.pay.v3`: :class:`~wxkit.pay.v3.PayClient` signs every request
  and verifies every answer, with the WeChat Pay public key or platform
  certificates (downloaded, cached and refreshed). Its API groups: orders
  (JSAPI / mini program, APP, H5, Native), combine orders, refunds, bills,
  merchant transfers and profit sharing. ``Signer``, ``Verifier`` and the
  crypto helpers also work in a script without a client.
* :mod:`wxkit.pay.v2`: the XML API. MD5 / HMAC-SHA256 signatures,
  :class:`~wxkit.pay.v2.PayClientV2`, and v2 payment and refund
  notifications.
* :mod:`wxkit.pay.notify`: :class:`PayNotificationHandler` verifies and
  decrypts v3 and v2 notifications at one URL and calls ``on_paid`` /
  ``on_refund`` / ``on_transfer`` / ``on_profit_sharing`` at most once per
  payment, refund, transfer or profit-sharing outcome, with the typed
  :class:`Transaction`, :class:`Refund`, :class:`Transfer` and
  :class:`ProfitSharing` (:mod:`wxkit.pay.models`).
  :mod:`wxkit.adapters.pay` serves it from WSGI, Django or Flask.
* :mod:`wxkit.pay.amount`: money is an ``int`` of fen (分), never a float
  (``check_fen``, ``yuan_to_fen``, ``fen_to_yuan``).
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import ProfitSharing, Refund, Transaction, Transfer
    from .notify import PayNotificationHandler
else:  # imported on first use (:mod:`wxkit._lazy`): ``import wxkit.pay.v3`` builds no notification models
    from .. import _lazy

    __getattr__, __dir__ = _lazy.attach(
        __name__,
        {"models": ("ProfitSharing", "Refund", "Transaction", "Transfer"), "notify": ("PayNotificationHandler",)},
        ["amount", "dates", "models", "notify", "v2", "v3"],  # ``import wxkit.pay`` loaded these
    )

__all__ = ["PayNotificationHandler", "ProfitSharing", "Refund", "Transaction", "Transfer"]

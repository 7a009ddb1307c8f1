"""WeChat Pay. This release ships the v2 signature helpers (:mod:`wxkit.pay.v2`).

Notifications: :class:`PayNotificationHandler` (:mod:`wxkit.pay.notify`)
with the typed :class:`Transaction` and :class:`Refund` (:mod:`wxkit.pay.models`).
"""

from .models import Refund, Transaction
from .notify import PayNotificationHandler

__all__ = ["PayNotificationHandler", "Refund", "Transaction"]

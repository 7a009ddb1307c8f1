"""The ``phone`` API group (``client.phone``): a user's phone number from a ``getPhoneNumber`` code.

::

    info = client.phone.get_phone_number(code)   # the code of <button open-type="getPhoneNumber">
    info.phone_number, info.pure_phone_number, info.country_code

A code works once and for five minutes; a bad, used or expired one answers
40029, an empty one 41008 (:class:`~wxkit.errors.InvalidArgumentError`). The ``watermark.appid``
of the answer must be the client's appid: anything else is a
:class:`~wxkit.errors.TransportError` (an answer not meant for this mini
program), never a phone number handed on.
"""

from __future__ import annotations

from ...errors import TransportError
from ..models import PhoneInfo
from ._base import AsyncMiniProgramAPI

__all__ = ["AsyncPhoneAPI"]


class AsyncPhoneAPI(AsyncMiniProgramAPI):
    """Phone numbers (手机号): ``getuserphonenumber``."""

    async def get_phone_number(self, code: str, *, openid: str | None = None) -> PhoneInfo:
        """Exchange a phone-number code: ``POST /wxa/business/getuserphonenumber``.

        ``code`` comes from the mini program's ``getPhoneNumber`` button
        (``e.detail.code``); ``openid`` is optional. Returns a
        :class:`~wxkit.miniprogram.models.PhoneInfo` whose watermark appid
        has been checked against the client's.
        """
        path = "/wxa/business/getuserphonenumber"
        body = {"code": self._code(code, path=path)}
        if openid is not None:
            body["openid"] = openid
        answer = await self._client.post(path, json=body)
        info = self._model(PhoneInfo.from_dict, self._object(answer, "phone_info", path=path), path=path)
        if info.watermark.appid != self._client.appid:
            url = self._client.http.url(path)
            raise TransportError(
                f"POST {url} answered a phone number watermarked for another appid", method="POST", url=url
            )
        return info

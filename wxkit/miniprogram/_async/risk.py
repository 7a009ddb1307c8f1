"""The ``risk`` API group (``client.risk``): user risk rank (用户安全等级).

::

    answer = client.risk.get_user_risk_rank(openid, scene=SCENE_REGISTER, client_ip="203.0.113.7")
    answer["risk_rank"]          # 0 (lowest) .. 4 (highest)

``scene`` is :data:`SCENE_REGISTER` (0, sign-up and login) or
:data:`SCENE_MARKETING` (1, marketing abuse). The ``openid`` must have used
the mini program recently (61010 otherwise).
"""

from __future__ import annotations

from typing import Any

from ._base import AsyncMiniProgramAPI

__all__ = ["AsyncRiskAPI", "SCENE_MARKETING", "SCENE_REGISTER"]

#: ``scene`` for sign-up / login.
SCENE_REGISTER = 0
#: ``scene`` for marketing abuse (cheating in campaigns).
SCENE_MARKETING = 1


class AsyncRiskAPI(AsyncMiniProgramAPI):
    """The user risk rank: ``POST /wxa/getuserriskrank``."""

    async def get_user_risk_rank(
        self,
        openid: str,
        *,
        scene: int,
        client_ip: str,
        mobile_no: str | None = None,
        email_address: str | None = None,
        extended_info: str | None = None,
        is_test: bool = False,
    ) -> dict[str, Any]:
        """How risky a user is: ``POST /wxa/getuserriskrank``.

        Returns WeChat's JSON: ``risk_rank`` (0-4) and ``unoin_id`` (sic: the
        id of this assessment, for complaints). ``is_test=True`` asks for a
        test answer.
        """
        path = "/wxa/getuserriskrank"
        if scene not in (SCENE_REGISTER, SCENE_MARKETING) or isinstance(scene, bool):
            raise self._refuse(40097, "invalid scene: 0 register, 1 marketing", path=path)
        body: dict[str, Any] = {"appid": self._client.appid, "openid": openid, "scene": scene, "client_ip": client_ip}
        for name, value in (
            ("mobile_no", mobile_no),
            ("email_address", email_address),
            ("extended_info", extended_info),
        ):
            if value is not None:
                body[name] = value
        if is_test:
            body["is_test"] = True
        return await self._client.post(path, json=body, idempotent=True)

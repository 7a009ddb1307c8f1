"""WeCom access tokens: ``GET /cgi-bin/gettoken?corpid=ID&corpsecret=SECRET`` on the WeCom site.

Served on :attr:`Emulator.work_url` only (``qyapi.weixin.qq.com``'s role).
One token per secret of a corp (see :mod:`wxkit.testing.work`). The errcodes
are WeCom's: 41002 corpid missing, 40013 invalid corpid, 41004 corpsecret
missing, 40001 invalid corpsecret ("invalid credential": on WeCom, 40001 means
a wrong secret, not a refused token).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..work import issue_work_token
from . import EmulatorRequest, Router, WeChatAPIError

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["router"]

router = Router(site="qyapi")


@router.route("GET", "/cgi-bin/gettoken", auth=False)
def gettoken(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The token of the corp's secret ``corpsecret``: the current one while valid, else a new one."""
    corpid = req.query.get("corpid", "")
    if not corpid:
        raise WeChatAPIError(41002, "corpid missing")
    corp = emu.corps.get(corpid)
    if corp is None:
        raise WeChatAPIError(40013, "invalid corpid")
    secret = req.query.get("corpsecret", "")
    if not secret:
        raise WeChatAPIError(41004, "corpsecret missing")
    name = corp.secret_name(secret)
    if name is None:
        raise WeChatAPIError(40001, "invalid credential")
    token, expires_in = issue_work_token(emu, corp, name)
    return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": expires_in}

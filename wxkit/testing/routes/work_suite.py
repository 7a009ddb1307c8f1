"""WeCom third-party suite endpoints under ``/cgi-bin/service/`` (see :mod:`wxkit.testing.work_suite`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..work import issue_work_token
from . import EmulatorRequest, Router, WeChatAPIError, json_object

if TYPE_CHECKING:
    from ..emulator import Emulator
    from ..work_suite import SuiteState

__all__ = ["router"]

router = Router(site="qyapi")


def _by_token(emu: Emulator, req: EmulatorRequest) -> SuiteState:
    token = req.query.get("suite_access_token", "")
    if not token:
        raise WeChatAPIError(41001, "suite_access_token missing")
    for suite in list(emu.suites.values()):
        if token in suite.tokens:
            suite.check_token(token)
            return suite
    raise WeChatAPIError(40082, "invalid suite_access_token")


@router.route("POST", "/cgi-bin/service/get_suite_token", auth=False)
def get_suite_token(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A suite access token for a suite id, its secret and a valid suite_ticket."""
    body = json_object(req)
    suite = emu.suites.get(str(body.get("suite_id", "")))
    if suite is None:
        raise WeChatAPIError(40083, "invalid suite_id")
    if not suite.check_secret(str(body.get("suite_secret", ""))):
        raise WeChatAPIError(40001, "invalid suite_secret")
    suite.take_ticket(str(body.get("suite_ticket", "")))
    token, expires_in = suite.issue_token()
    return {"errcode": 0, "errmsg": "ok", "suite_access_token": token, "expires_in": expires_in}


@router.route("GET", "/cgi-bin/service/get_pre_auth_code", auth=False)
def get_pre_auth_code(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A pre-auth code (20 minutes)."""
    suite = _by_token(emu, req)
    return {"errcode": 0, "errmsg": "ok", "pre_auth_code": suite.new_pre_auth_code(), "expires_in": 1200}


@router.route("POST", "/cgi-bin/service/get_permanent_code", auth=False)
def get_permanent_code(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Trade an auth code (once) for the corp's permanent code and info."""
    suite = _by_token(emu, req)
    corpid, permanent = suite.redeem_auth_code(str(json_object(req).get("auth_code", "")))
    agentid = suite.agent_ids.get(corpid, 0)
    return {
        "errcode": 0,
        "errmsg": "ok",
        "permanent_code": permanent,
        "auth_corp_info": {"corpid": corpid, "corp_name": f"corp {corpid}"},
        "auth_info": {"agent": [{"agentid": agentid, "name": suite.suite_id}]},
    }


@router.route("POST", "/cgi-bin/service/get_corp_token", auth=False)
def get_corp_token(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A corp access token from its permanent code (every WeCom route accepts it)."""
    suite = _by_token(emu, req)
    body = json_object(req)
    corpid = str(body.get("auth_corpid", ""))
    name = suite.corp_for_code(corpid, str(body.get("permanent_code", "")))
    token, expires_in = issue_work_token(emu, emu.corps[corpid], name)
    return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": expires_in}

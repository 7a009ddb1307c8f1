"""WeCom (企业微信): inbound callbacks (:class:`WorkApplication`), typed messages, and the API client.

:class:`WorkClient` (sync, ``requests``) and :class:`AsyncWorkClient`
(``httpx``) are imported on first use, so ``from wxkit.work import
WorkApplication`` (a callback-only server) pulls in no HTTP library.
"""

import importlib
import typing

from .app import WorkApplication
from .messages import work_registry
from .models import (
    AppChat,
    ApprovalDetail,
    ApprovalTemplate,
    BatchJobResult,
    ContactWay,
    CorpTag,
    CorpTagGroup,
    Department,
    DeptUser,
    ExternalContact,
    ExternalContactDetail,
    FollowInfo,
    GroupChat,
    GroupMsgSend,
    InviteResult,
    KfAccount,
    KfMessage,
    KfServicer,
    KfServicerResult,
    MsgTemplateResult,
    SendResult,
    Tag,
    TagMembers,
    TagMembersResult,
    UploadByUrlResult,
    UploadedMedia,
    WorkOAuthUser,
    WorkUser,
    WorkUserDetail,
)
from .suite_callbacks import (
    CancelAuthCallback,
    ChangeAuthCallback,
    CreateAuthCallback,
    PermanentCode,
    ResetPermanentCodeCallback,
    SuiteCallback,
    SuiteChangeContactCallback,
    SuiteTicketCallback,
)

#: Names imported on first use (they need an HTTP library), and their modules.
_LAZY = {
    "GroupRobot": ".robot",
    "AsyncGroupRobot": "._async.robot",
    "Suite": ".suite",
    "AsyncSuite": "._async.suite",
}

if typing.TYPE_CHECKING:
    from ._async.client import AsyncWorkClient
    from ._async.robot import AsyncGroupRobot
    from ._async.suite import AsyncSuite
    from .client import WorkClient
    from .robot import GroupRobot
    from .suite import Suite


def __getattr__(name: str) -> typing.Any:
    # The clients are imported on first use: a callback-only WeCom server must not pull in requests.
    if name == "WorkClient":
        from .client import WorkClient

        return WorkClient
    if name == "AsyncWorkClient":
        from ._async.client import AsyncWorkClient

        return AsyncWorkClient
    if name in _LAZY:  # the group robot and the suite: same rule
        module = importlib.import_module(_LAZY[name], __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AppChat",
    "ApprovalDetail",
    "ApprovalTemplate",
    "AsyncGroupRobot",
    "AsyncSuite",
    "AsyncWorkClient",
    "BatchJobResult",
    "CancelAuthCallback",
    "ChangeAuthCallback",
    "ContactWay",
    "CorpTag",
    "CorpTagGroup",
    "CreateAuthCallback",
    "Department",
    "DeptUser",
    "ExternalContact",
    "ExternalContactDetail",
    "FollowInfo",
    "GroupChat",
    "GroupMsgSend",
    "GroupRobot",
    "InviteResult",
    "KfAccount",
    "KfMessage",
    "KfServicer",
    "KfServicerResult",
    "MsgTemplateResult",
    "PermanentCode",
    "ResetPermanentCodeCallback",
    "SendResult",
    "Suite",
    "SuiteCallback",
    "SuiteChangeContactCallback",
    "SuiteTicketCallback",
    "Tag",
    "TagMembers",
    "TagMembersResult",
    "UploadByUrlResult",
    "UploadedMedia",
    "WorkApplication",
    "WorkClient",
    "WorkOAuthUser",
    "WorkUser",
    "WorkUserDetail",
    "work_registry",
]

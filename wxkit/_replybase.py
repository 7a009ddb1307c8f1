"""The base of passive replies and the reply XML (internal; :class:`Reply` is :mod:`wxkit.replies`' name).

:class:`Reply` and the renderer live apart from the concrete reply classes so
that ``from wxkit import WxApplication`` does not build those at import (each
``attrs`` class costs start-up time; a handler returning ``str`` needs none of
them). Import :class:`Reply` from :mod:`wxkit.replies` or :mod:`wxkit`.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from ._model import AttrsValue
from .xmlcodec import cdata

__all__ = ["Reply"]


@attrs.frozen(repr=False, eq=False)
class Reply(AttrsValue):
    """Base of every passive reply."""

    msg_type: ClassVar[str] = ""

    def _body(self) -> str:
        return ""

    def render(self, to_user_name: str, from_user_name: str, create_time: int) -> str:
        """Render the reply XML addressed to ``to_user_name`` from ``from_user_name``."""
        return _render(to_user_name, from_user_name, create_time, self.msg_type, self._body())


def _render(to_user_name: str, from_user_name: str, create_time: int, msg_type: str, body: str) -> str:
    """A reply's XML: the addressing, ``MsgType`` and the type's elements (``body``)."""
    return (
        f"<xml><ToUserName>{cdata(to_user_name)}</ToUserName>"
        f"<FromUserName>{cdata(from_user_name)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>{body}</xml>"
    )


def _text_body(content: str) -> str:
    """A text reply's element (``TextReply._body``; the application renders a handler's ``str`` with it)."""
    return f"<Content>{cdata(content)}</Content>"


Reply.__module__ = "wxkit.replies"  # its public home (wxkit.replies re-exports it): pickles and docs name that

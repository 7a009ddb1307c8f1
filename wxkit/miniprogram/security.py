"""The ``security`` API group (``client.security``): content security checks (内容安全), v2.

::

    check = client.security.msg_sec_check(openid, "some user text", scene=2)
    if not check.passed:                      # suggest "review" or "risky"
        print(check.suggest, check.label)     # e.g. "risky", 20001

    trace_id = client.security.media_check_async(openid, "https://.../photo.jpg", media_type=2, scene=3)
    # the verdict arrives later as a ``wxa_media_check`` push carrying this trace_id

``openid`` must be a user who opened the mini program in the last two hours
(61010 otherwise). ``scene`` is 1 (profile), 2 (comment), 3 (forum) or 4
(social log); another value is refused before sending with WeChat's 40129.
"""
# Generated from wxkit/miniprogram/_async/security.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from typing import Any

from ._base import MiniProgramAPI
from .models import SecurityCheck

__all__ = ["MEDIA_AUDIO", "MEDIA_IMAGE", "SCENES", "SecurityAPI"]

#: ``scene`` values: 1 profile (资料), 2 comment (评论), 3 forum (论坛), 4 social log (社交日志).
SCENES = (1, 2, 3, 4)
#: ``media_type`` of an audio file.
MEDIA_AUDIO = 1
#: ``media_type`` of an image.
MEDIA_IMAGE = 2


class SecurityAPI(MiniProgramAPI):
    """Text checks (``msg_sec_check``) and asynchronous media checks (``media_check_async``)."""

    def _scene(self, scene: int, path: str) -> int:
        if isinstance(scene, bool) or scene not in SCENES:
            raise self._refuse(40129, "invalid scene: 1 profile, 2 comment, 3 forum, 4 social log", path=path)
        return scene

    def msg_sec_check(
        self,
        openid: str,
        content: str,
        *,
        scene: int,
        title: str | None = None,
        nickname: str | None = None,
        signature: str | None = None,
    ) -> SecurityCheck:
        """Check a text (at most 2500 characters): ``POST /wxa/msg_sec_check`` with ``version`` 2.

        Returns a :class:`~wxkit.miniprogram.models.SecurityCheck`
        (``suggest``: ``pass`` / ``review`` / ``risky``, ``label``, the
        strategies' ``details``). ``title``, ``nickname`` and (scene 1 only)
        ``signature`` are checked with the content.
        """
        path = "/wxa/msg_sec_check"
        body: dict[str, Any] = {"version": 2, "openid": openid, "scene": self._scene(scene, path), "content": content}
        for name, value in (("title", title), ("nickname", nickname), ("signature", signature)):
            if value is not None:
                body[name] = value
        answer = self._client.post(path, json=body, idempotent=True)
        return self._model(SecurityCheck.from_dict, answer, path=path)

    def media_check_async(self, openid: str, media_url: str, *, media_type: int, scene: int) -> str:
        """Submit an image or audio file for checking: ``POST /wxa/media_check_async``; returns the ``trace_id``.

        ``media_type`` is :data:`MEDIA_AUDIO` (1) or :data:`MEDIA_IMAGE`
        (2). The verdict arrives within 30 minutes as a ``wxa_media_check``
        push with the same ``trace_id`` (``result.suggest`` / ``label``).
        """
        path = "/wxa/media_check_async"
        if media_type not in (MEDIA_AUDIO, MEDIA_IMAGE) or isinstance(media_type, bool):
            raise self._refuse(40097, "invalid media_type: 1 audio, 2 image", path=path)
        body = {
            "version": 2,
            "openid": openid,
            "scene": self._scene(scene, path),
            "media_url": media_url,
            "media_type": media_type,
        }
        return self._field(self._client.post(path, json=body), "trace_id", str, path=path)

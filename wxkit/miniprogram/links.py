"""The ``links`` API group (``client.links``): URL Scheme, NFC Scheme, URL Link and Short Link.

::

    scheme = client.links.generate_scheme(path="pages/item/item", query="id=42", expire_interval=7)
    link = client.links.generate_url_link(path="pages/item/item", query="id=42")
    info = client.links.query_url_link(link)["url_link_info"]
    short = client.links.generate_short_link("pages/item/item?id=42", page_title="Item 42")

Schemes (``weixin://dl/business/?t=...``) and URL Links
(``https://wxaurl.cn/...``) open the mini program from SMS, mail and web
pages; they expire after ``expire_time`` (a Unix time) or
``expire_interval`` days (at most 30). Short Links
(``#小程序://...``) open it from inside WeChat. Each answer is the link
itself; the queries answer WeChat's JSON.
"""
# Generated from wxkit/miniprogram/_async/links.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from typing import Any

from ._base import MiniProgramAPI

__all__ = ["LinksAPI"]

_ENV_VERSIONS = ("release", "trial", "develop")


def _expiry(expire_time: int | None, expire_interval: int | None) -> dict[str, Any]:
    """``expire_type`` 0 (a Unix time) or 1 (days); WeChat's default when neither is given."""
    if expire_time is not None and expire_interval is not None:
        raise ValueError("give expire_time or expire_interval, not both")
    if expire_time is not None:
        return {"is_expire": True, "expire_type": 0, "expire_time": int(expire_time)}
    if expire_interval is not None:
        return {"is_expire": True, "expire_type": 1, "expire_interval": int(expire_interval)}
    return {}


def _jump(path: str | None, query: str | None, env_version: str | None) -> dict[str, Any]:
    jump: dict[str, Any] = {}
    if path is not None:
        jump["path"] = path
    if query is not None:
        jump["query"] = query
    if env_version is not None:
        if env_version not in _ENV_VERSIONS:
            raise ValueError(f"env_version must be one of {_ENV_VERSIONS}, not {env_version!r}")
        jump["env_version"] = env_version
    return jump


class LinksAPI(MiniProgramAPI):
    """Links that open the mini program: URL Scheme (plus NFC), URL Link, Short Link."""

    def generate_scheme(
        self,
        *,
        path: str | None = None,
        query: str | None = None,
        env_version: str | None = None,
        expire_time: int | None = None,
        expire_interval: int | None = None,
    ) -> str:
        """An encrypted URL Scheme: ``POST /wxa/generatescheme``; returns the ``openlink``.

        ``path`` is a published page without a query (the home page by
        default), ``query`` its query (``a=1&b=2``), ``env_version``
        ``release`` / ``trial`` / ``develop``. It expires at ``expire_time``
        (Unix seconds) or after ``expire_interval`` days (at most 30).
        40165 for a bad path, 40212 for a bad query, 85079 if the mini
        program is not published.
        """
        body: dict[str, Any] = {"jump_wxa": _jump(path, query, env_version)}
        body |= _expiry(expire_time, expire_interval)
        api = "/wxa/generatescheme"
        return self._field(self._client.post(api, json=body), "openlink", str, path=api)

    def query_scheme(self, scheme: str, *, query_type: int | None = None) -> dict[str, Any]:
        """What a scheme opens and when it expires: ``POST /wxa/queryscheme``.

        Returns WeChat's JSON: ``scheme_info`` (``appid``, ``path``,
        ``query``, ``create_time``, ``expire_time``, ``env_version``) and
        ``quota_info``. ``query_type=1`` asks for the day's remaining visits.
        """
        body: dict[str, Any] = {"scheme": scheme}
        if query_type is not None:
            body["query_type"] = query_type
        return self._client.post("/wxa/queryscheme", json=body, idempotent=True)

    def generate_nfc_scheme(
        self,
        model_id: str,
        *,
        path: str | None = None,
        query: str | None = None,
        env_version: str | None = None,
        sn: str | None = None,
    ) -> str:
        """A URL Scheme for an NFC tag of a registered device model: ``POST /wxa/generatenfcscheme``.

        ``model_id`` is the device model's id, ``sn`` the device's serial
        number; returns the ``openlink``.
        """
        body: dict[str, Any] = {"jump_wxa": _jump(path, query, env_version), "model_id": model_id}
        if sn is not None:
            body["sn"] = sn
        api = "/wxa/generatenfcscheme"
        return self._field(self._client.post(api, json=body), "openlink", str, path=api)

    def generate_url_link(
        self,
        *,
        path: str | None = None,
        query: str | None = None,
        env_version: str | None = None,
        expire_time: int | None = None,
        expire_interval: int | None = None,
        cloud_base: dict[str, Any] | None = None,
    ) -> str:
        """A URL Link (``https://wxaurl.cn/...``): ``POST /wxa/generate_urllink``; returns the ``url_link``.

        Options as :meth:`generate_scheme`; ``cloud_base`` the static-site
        jump of cloud development (``env``, ``domain``, ``path``, ``query``).
        """
        body: dict[str, Any] = _jump(path, query, env_version)
        body |= _expiry(expire_time, expire_interval)
        body.pop("is_expire", None)
        if cloud_base is not None:
            body["cloud_base"] = dict(cloud_base)
        api = "/wxa/generate_urllink"
        return self._field(self._client.post(api, json=body), "url_link", str, path=api)

    def query_url_link(self, url_link: str, *, query_type: int | None = None) -> dict[str, Any]:
        """What a URL Link opens: ``POST /wxa/query_urllink``.

        Returns WeChat's JSON: ``url_link_info`` (``appid``, ``path``,
        ``query``, ``create_time``, ``expire_time``, ``env_version``,
        ``cloud_base``) and ``quota_info``.
        """
        body: dict[str, Any] = {"url_link": url_link}
        if query_type is not None:
            body["query_type"] = query_type
        return self._client.post("/wxa/query_urllink", json=body, idempotent=True)

    def generate_short_link(self, page_url: str, *, page_title: str | None = None, is_permanent: bool = False) -> str:
        """A Short Link (``#小程序://name/...``) to share inside WeChat: ``POST /wxa/genwxashortlink``.

        ``page_url`` is a published page with its query (at most 1024
        characters); ``page_title`` at most 40 characters. A temporary link
        lasts 30 days; permanent ones are limited to 100,000.
        """
        body: dict[str, Any] = {"page_url": page_url, "is_permanent": is_permanent}
        if page_title is not None:
            body["page_title"] = page_title
        api = "/wxa/genwxashortlink"
        return self._field(self._client.post(api, json=body), "link", str, path=api)

"""Web OAuth for views: "this page needs the WeChat user's openid", in Django or Flask.

::

    from wxkit.adapters.oauth_views import wechat_login_required
    from wxkit.oauth import OAuth

    oauth = OAuth("wx...", "secret")

    @wechat_login_required(oauth)                          # Django: request.session["wxkit_openid"]
    def me(request):
        return HttpResponse(request.session["wxkit_openid"])

    @flask_app.get("/me")
    @wechat_login_required(oauth, scope="snsapi_userinfo")  # Flask: flask.session["wxkit_openid_userinfo"]
    def me():
        return flask.session["wxkit_openid_userinfo"]["nickname"]

How it works (:func:`login_step`, framework-free; the decorator is the glue):

1. The session has the openid (and, for ``snsapi_userinfo``, the profile):
   the view runs.
2. Otherwise a ``GET`` is redirected to :meth:`~wxkit.oauth.OAuth.authorize_url`
   for the current URL, with a random ``state`` kept in the session; other
   methods are answered 403 (a redirect would lose their body).
3. WeChat sends the browser back with ``code`` and ``state``. A ``state``
   that is not the session's is answered **403**, a missing ``code`` (the
   user declined) 403, a code WeChat refuses (reused, expired) **400**, other
   WeChat or network failures 502 — a token answer without an ``openid`` or
   ``access_token`` too (an error page, never a session without a user and
   another round trip to WeChat). Otherwise the code is exchanged, the openid
   (and profile) stored in the session, and the browser redirected to the URL
   without ``code`` / ``state``.

A URL or ``code`` / ``state`` that is not valid Unicode text (a ``str`` with a
lone surrogate) is answered 400 before anything else is done.

Session keys: ``session_key`` (the openid), ``<session_key>_userinfo`` (the
profile dict, ``snsapi_userinfo`` only) and ``<session_key>_state`` (pending
state). User tokens are not stored: a cookie session is readable by the user.
The current URL is the framework's (Django ``build_absolute_uri()``, Flask
``request.url``): behind a proxy, configure the framework to see the public
scheme and host (``SECURE_PROXY_SSL_HEADER``, ``ProxyFix``).
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs

from ..errors import ConfigError, InvalidArgumentError, WxError

if TYPE_CHECKING:
    from ..oauth import OAuth

__all__ = ["LoginStep", "login_step", "strip_oauth_params", "wechat_login_required"]

logger = logging.getLogger("wxkit.oauth")

F = TypeVar("F", bound=Callable[..., Any])


@attrs.frozen
class LoginStep:
    """What a view should do: ``action`` is ``"continue"``, ``"redirect"`` (to ``location``) or ``"error"``.

    For ``"error"``, ``status`` and ``message`` are the plain-text answer.
    """

    action: str
    location: str = ""
    status: int = 200
    message: str = ""


def _is_text(value: object) -> bool:
    """Whether ``value`` is a ``str`` that encodes as UTF-8 (a lone surrogate does not)."""
    try:
        str(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def strip_oauth_params(url: str) -> str:
    """``url`` without its ``code`` and ``state`` query parameters (and without a fragment)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("code", "state")]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def login_step(
    oauth: OAuth,
    *,
    method: str,
    url: str,
    query: Mapping[str, str],
    session: MutableMapping[str, Any],
    scope: str = "snsapi_base",
    session_key: str = "wxkit_openid",
) -> LoginStep:
    """Decide (and do the WeChat calls for) one request of a login-protected view.

    ``url`` is the full current URL, ``query`` its parameters, ``session``
    the user's session (updated here). See the module docstring for the flow.
    """
    state_key, info_key = f"{session_key}_state", f"{session_key}_userinfo"
    if session.get(session_key) and (scope == "snsapi_base" or session.get(info_key)):
        return LoginStep("continue")
    if not (_is_text(url) and _is_text(query.get("code") or "") and _is_text(query.get("state") or "")):
        return LoginStep("error", status=400, message="WeChat login failed: malformed request")
    if "code" in query or "state" in query:
        expected = session.pop(state_key, None)
        state = query.get("state") or ""
        if not expected or not secrets.compare_digest(str(expected).encode(), state.encode("utf-8", "replace")):
            return LoginStep("error", status=403, message="WeChat login failed: state mismatch")
        code = query.get("code") or ""
        if not code:
            return LoginStep("error", status=403, message="WeChat login declined")
        try:
            token = oauth.fetch_token(code)
            profile = oauth.userinfo(token.access_token, token.openid) if scope == "snsapi_userinfo" else None
        except InvalidArgumentError as exc:
            logger.info("WeChat login refused the code: %s", exc)
            return LoginStep("error", status=400, message="WeChat login failed: invalid code")
        except WxError as exc:
            logger.warning("WeChat login failed: %s", exc)
            return LoginStep("error", status=502, message="WeChat login failed")
        if not token.openid or (scope == "snsapi_userinfo" and not profile):
            # Stored, an empty openid would send the browser back to WeChat forever.
            logger.warning("WeChat login failed: the token names no openid (or the profile is empty)")
            return LoginStep("error", status=502, message="WeChat login failed")
        session[session_key] = token.openid
        if profile is not None:
            session[info_key] = profile
        return LoginStep("redirect", location=strip_oauth_params(url))
    if method.upper() not in ("GET", "HEAD"):
        return LoginStep("error", status=403, message="WeChat login required")
    state = secrets.token_hex(16)
    session[state_key] = state
    return LoginStep("redirect", location=oauth.authorize_url(strip_oauth_params(url), scope, state))


def wechat_login_required(
    oauth: OAuth, *, scope: str = "snsapi_base", session_key: str = "wxkit_openid"
) -> Callable[[F], F]:
    """Decorate a Django or Flask view so it runs only for a user known by WeChat web OAuth.

    A Django view (its first argument is the ``HttpRequest``; add
    ``django.contrib.sessions`` middleware) reads the openid from
    ``request.session[session_key]``; a Flask view (set ``app.secret_key``)
    from ``flask.session[session_key]``. See :func:`login_step`.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = args[0] if args else None
            if request is not None and hasattr(request, "build_absolute_uri"):  # a Django HttpRequest
                if not hasattr(request, "session"):
                    raise ConfigError("wechat_login_required needs Django's SessionMiddleware")
                return _django(oauth, scope, session_key, view, request, args, kwargs)
            return _flask(oauth, scope, session_key, view, args, kwargs)

        return cast(F, wrapper)

    return decorator


def _django(
    oauth: OAuth, scope: str, session_key: str, view: Callable[..., Any], request: Any, args: Any, kwargs: Any
) -> Any:
    from django.http import HttpResponse, HttpResponseRedirect

    step = login_step(
        oauth,
        method=str(request.method or "GET"),
        url=request.build_absolute_uri(),
        query=request.GET,
        session=request.session,
        scope=scope,
        session_key=session_key,
    )
    if step.action == "continue":
        return view(*args, **kwargs)
    if step.action == "redirect":
        return HttpResponseRedirect(step.location)
    return HttpResponse(step.message, status=step.status, content_type="text/plain; charset=utf-8")


def _flask(oauth: OAuth, scope: str, session_key: str, view: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    import flask

    request = flask.request
    step = login_step(
        oauth,
        method=request.method,
        url=request.url,
        query=request.args,
        session=flask.session,
        scope=scope,
        session_key=session_key,
    )
    if step.action == "continue":
        return view(*args, **kwargs)
    if step.action == "redirect":
        return flask.redirect(step.location)
    return flask.Response(step.message, status=step.status, mimetype="text/plain")

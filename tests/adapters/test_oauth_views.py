"""wechat_login_required through Django's and Flask's own test clients, with OAuth calls to the emulator."""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

import django
import flask
import pytest
import requests
from django.conf import settings
from django.http import HttpResponse
from django.test import Client as DjangoClient
from django.test import override_settings
from django.urls import path

from wxkit.adapters.oauth_views import LoginStep, login_step, strip_oauth_params, wechat_login_required
from wxkit.errors import ConfigError
from wxkit.oauth import OAuth, UserToken
from wxkit.testing.routes.oauth import set_oauth_user

#: This module is the ROOT_URLCONF while a Django test runs (override_settings).
urlpatterns: list = []


def configure_django() -> None:
    """Configure Django at test time, not import time: test_django.py configures it at import when collected."""
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="wxkit-adapter-tests",  # a test-only key
            ALLOWED_HOSTS=["testserver"],
            ROOT_URLCONF=__name__,
            INSTALLED_APPS=[],
            MIDDLEWARE=[],
            APPEND_SLASH=False,
        )
        django.setup()


DJANGO_SETTINGS = {
    "ROOT_URLCONF": __name__,
    "ALLOWED_HOSTS": ["testserver"],
    "MIDDLEWARE": ["django.contrib.sessions.middleware.SessionMiddleware"],
    "SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies",
}


class Page(NamedTuple):
    status: int
    location: str
    body: str


class Site:
    """One framework's test client behind a common ``get`` / ``post``; ``base`` is its absolute URL prefix."""

    def __init__(self, base: str, make_send: Any) -> None:
        self.base = base
        self._make_send = make_send
        self._send = make_send()

    def get(self, url: str) -> Page:
        return self._send("GET", url)

    def post(self, url: str) -> Page:
        return self._send("POST", url)

    def fresh(self) -> Site:
        """Another browser (a new test client: no cookies) on the same site."""
        return Site(self.base, self._make_send)


def _views(oauth: OAuth, session_of: Any) -> dict[str, Any]:
    """The two protected views, written once for both frameworks (``session_of(args)`` finds the session)."""

    def me(*args: Any) -> str:
        return f"openid={session_of(args)['wxkit_openid']}"

    def profile(*args: Any) -> str:
        return f"nickname={session_of(args)['wxkit_openid_userinfo']['nickname']}"

    return {"me": (me, "snsapi_base"), "profile": (profile, "snsapi_userinfo")}


@pytest.fixture
def oauth(wechat_emulator, wechat_app):
    set_oauth_user(wechat_app, "o_ann", nickname="Ann")
    return OAuth(wechat_app.appid, wechat_app.secret, base_url=wechat_emulator.url, open_url=wechat_emulator.url)


def _django_site(oauth: OAuth) -> Any:
    configure_django()

    def route(name: str, view: Any, scope: str) -> Any:
        protected = wechat_login_required(oauth, scope=scope)(lambda request: HttpResponse(view(request)))
        return path(name, protected)

    urlpatterns[:] = [route(name, view, scope) for name, (view, scope) in _views(oauth, lambda a: a[0].session).items()]

    def make_send() -> Any:
        client = DjangoClient()

        def send(method: str, url: str) -> Page:
            response = client.generic(method, url)
            return Page(response.status_code, response.get("Location", ""), response.content.decode())

        return send

    with override_settings(**DJANGO_SETTINGS):
        yield Site("http://testserver", make_send)
    urlpatterns.clear()


def _flask_site(oauth: OAuth) -> Any:
    app = flask.Flask(__name__)
    app.secret_key = "wxkit-oauth-views-tests"  # a test-only key
    for name, (view, scope) in _views(oauth, lambda a: flask.session).items():
        protected = wechat_login_required(oauth, scope=scope)(view)
        app.add_url_rule(f"/{name}", endpoint=name, view_func=protected, methods=["GET", "POST"])

    def make_send() -> Any:
        client = app.test_client()

        def send(method: str, url: str) -> Page:
            response = client.open(url, method=method)
            return Page(response.status_code, response.headers.get("Location", ""), response.get_data(as_text=True))

        return send

    yield Site("http://localhost", make_send)


@pytest.fixture(params=["django", "flask"])
def site(request, oauth):
    yield from (_django_site if request.param == "django" else _flask_site)(oauth)


def local(url: str) -> str:
    """The path and query of an absolute URL (what a test client takes)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def to_wechat(site: Site, url: str, wechat_emulator) -> str:
    """Open a protected page without a session: return the authorize URL it redirects to."""
    page = site.get(url)
    assert page.status == 302, page
    assert page.location.startswith(f"{wechat_emulator.url}/connect/oauth2/authorize?")
    return page.location


def callback(authorize_url: str) -> str:
    """Let the emulator's authorize page answer: return the callback URL (path and query) it redirects to."""
    response = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert response.status_code == 302
    return local(response.headers["Location"])


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {**dict(parse_qsl(parts.query)), **changes}
    return f"{parts.path}?{urlencode(query)}"


# -- the flow --------------------------------------------------------------------------


def test_snsapi_base_login(site, wechat_emulator, wechat_app):
    authorize_url = to_wechat(site, "/me?x=1", wechat_emulator)
    query = dict(parse_qsl(urlsplit(authorize_url).query))
    assert (query["appid"], query["scope"]) == (wechat_app.appid, "snsapi_base")
    assert query["redirect_uri"] == f"{site.base}/me?x=1"
    back = callback(authorize_url)
    assert dict(parse_qsl(urlsplit(back).query))["state"] == query["state"]
    page = site.get(back)
    assert (page.status, page.location) == (302, f"{site.base}/me?x=1")  # code and state removed
    assert site.get("/me?x=1") == Page(200, "", "openid=o_ann")
    assert site.get("/me") == Page(200, "", "openid=o_ann")  # the session remembers
    used = [c for c in wechat_app.data["oauth_codes"].values() if c["used"]]
    assert len(used) == 1


def test_snsapi_userinfo_login_stores_the_profile(site, wechat_emulator):
    site.get(callback(to_wechat(site, "/me", wechat_emulator)))  # a snsapi_base login first
    authorize_url = to_wechat(site, "/profile", wechat_emulator)  # not enough for the profile page
    assert dict(parse_qsl(urlsplit(authorize_url).query))["scope"] == "snsapi_userinfo"
    assert site.get(callback(authorize_url)).status == 302
    assert site.get("/profile") == Page(200, "", "nickname=Ann")


@pytest.mark.parametrize(
    ("spoil", "status"),
    [
        (lambda back: with_query(back, state="forged"), 403),
        (lambda back: with_query(back, code="not-a-code"), 400),
    ],
    ids=["wrong-state", "bad-code"],
)
def test_bad_callbacks(site, wechat_emulator, spoil, status):
    back = callback(to_wechat(site, "/me", wechat_emulator))
    assert site.get(spoil(back)).status == status
    assert site.get("/me").status == 302  # still not logged in


def test_callback_without_a_pending_state_is_refused(site, wechat_emulator):
    back = callback(to_wechat(site, "/me", wechat_emulator))
    assert site.fresh().get(back).status == 403  # another browser replaying the first one's callback
    assert site.get(back).status == 302  # the first browser still completes its login


def test_reused_code_is_400(site, wechat_emulator):
    back = callback(to_wechat(site, "/me", wechat_emulator))
    code = dict(parse_qsl(urlsplit(back).query))["code"]
    assert site.get(back).status == 302
    # Log out by starting over in the same browser with a new state, then replay the old code.
    second = callback(to_wechat(site, "/profile", wechat_emulator))
    assert site.get(with_query(second, code=code)).status == 400


def test_declined_userinfo_is_403(site, wechat_emulator, wechat_app):
    set_oauth_user(wechat_app, "o_shy", consent=False)
    back = callback(to_wechat(site, "/profile", wechat_emulator))
    assert "code=" not in back
    assert site.get(back).status == 403


def test_post_without_a_session_is_403(site):
    assert site.post("/me").status == 403


def test_django_without_sessions_is_a_config_error(oauth):
    configure_django()
    urlpatterns[:] = [path("me", wechat_login_required(oauth)(lambda request: HttpResponse("never")))]
    try:
        with override_settings(**{**DJANGO_SETTINGS, "MIDDLEWARE": []}), pytest.raises(ConfigError):
            DjangoClient().get("/me")
    finally:
        urlpatterns.clear()


# -- the framework-free core -----------------------------------------------------------------


def test_login_step_maps_wechat_outages_to_502(oauth, wechat_emulator):
    session = {"wxkit_openid_state": "s1"}
    wechat_emulator.inject("/sns/oauth2/access_token", errcode=-1)
    step = login_step(
        oauth,
        method="GET",
        url="https://a.example/p?code=c&state=s1",
        query={"code": "c", "state": "s1"},
        session=session,
    )
    assert step == LoginStep("error", status=502, message="WeChat login failed")
    assert session == {}


def test_strip_oauth_params():
    assert strip_oauth_params("https://a.example/p?x=1&code=c&y=&state=s#frag") == "https://a.example/p?x=1&y="


def test_non_ascii_state_is_refused_not_a_crash(site, wechat_emulator):
    back = callback(to_wechat(site, "/me", wechat_emulator))
    assert site.get(with_query(back, state="é状态")).status == 403


def _answer_without(monkeypatch, name: str) -> None:
    """Make the emulator's code exchange answer without ``name`` (a token answer WeChat got wrong)."""
    from wxkit.testing.routes import oauth as routes

    real = routes._issue

    def issue(*args: Any, **kwargs: Any) -> dict[str, Any]:
        answer = real(*args, **kwargs)
        answer.pop(name)
        return answer

    monkeypatch.setattr(routes, "_issue", issue)


@pytest.mark.parametrize("missing", ["openid", "access_token"])
def test_a_token_answer_without_openid_is_an_error_page_not_a_loop(site, wechat_emulator, monkeypatch, missing):
    _answer_without(monkeypatch, missing)
    back = callback(to_wechat(site, "/me", wechat_emulator))
    page = site.get(back)
    assert (page.status, page.location, page.body) == (502, "", "WeChat login failed")  # not a redirect to WeChat
    assert site.get("/me").status == 302  # nothing stored: the next visit starts a fresh login
    monkeypatch.undo()
    assert site.get(callback(to_wechat(site, "/me", wechat_emulator))).status == 302
    assert site.get("/me") == Page(200, "", "openid=o_ann")


def test_login_step_never_stores_an_empty_openid(oauth):
    class Blank:
        """An OAuth stand-in (a subclass, a mock) whose token names no user."""

        def fetch_token(self, code: str) -> Any:
            return UserToken(access_token="t", expires_in=7200, refresh_token="r", openid="", scope="snsapi_base")

    session: dict[str, Any] = {"wxkit_openid_state": "s1"}
    step = login_step(
        Blank(),  # type: ignore[arg-type]
        method="GET",
        url="https://a.example/p?code=c&state=s1",
        query={"code": "c", "state": "s1"},
        session=session,
    )
    assert step == LoginStep("error", status=502, message="WeChat login failed")
    assert session == {}


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("https://a.example/p?x=\ud800", {}),
        ("https://a.example/p\udc80", {}),
        ("https://a.example/p", {"code": "c\ud800", "state": "s1"}),
        ("https://a.example/p", {"code": "c", "state": "\ud800"}),
    ],
)
def test_login_step_refuses_lone_surrogates_with_400(oauth, url, query):
    session: dict[str, Any] = {"wxkit_openid_state": "s1"}
    step = login_step(oauth, method="GET", url=url, query=query, session=session)
    assert (step.action, step.status) == ("error", 400)
    assert session == {"wxkit_openid_state": "s1"}  # a junk request does not spend the pending login

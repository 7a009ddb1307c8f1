"""Web OAuth against the emulator: the authorize page, code exchange, refresh, userinfo and check."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from wxkit.errors import AccessTokenError, APIError, ConfigError, InvalidArgumentError, PermissionDeniedError
from wxkit.oauth import OAuth, UserToken
from wxkit.testing.routes.oauth import CODE_LIFETIME, REFRESH_LIFETIME, USER_TOKEN_LIFETIME, set_oauth_user

REDIRECT = "https://example.com/wx/callback?next=/a b"


@pytest.fixture
def oauth(wechat_emulator, wechat_app):
    return OAuth(wechat_app.appid, wechat_app.secret, base_url=wechat_emulator.url, open_url=wechat_emulator.url)


def open_authorize(url: str) -> requests.Response:
    return requests.get(url, allow_redirects=False, timeout=5)


def authorize(oauth: OAuth, scope: str = "snsapi_base", state: str = "s1") -> dict[str, str]:
    """Open the authorize page like a browser; return the query WeChat adds to the redirect."""
    response = open_authorize(oauth.authorize_url(REDIRECT, scope, state))
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "example.com", "/wx/callback")
    query = dict(parse_qsl(location.query))
    assert query.pop("next") == "/a b"
    return query


def login(oauth: OAuth, app, openid: str = "o_ann", scope: str = "snsapi_base", **info) -> UserToken:
    set_oauth_user(app, openid, **info)
    return oauth.fetch_token(authorize(oauth, scope)["code"])


def assert_secret_free(exc: Exception, *secrets: str) -> None:
    text = f"{exc} {exc!r} {getattr(exc, 'url', '')}"
    for secret in secrets:
        assert secret not in text


# -- the authorize URL ---------------------------------------------------------------


def test_authorize_url_is_the_documented_string():
    # The example request of WeChat's web OAuth page (appid and redirect_uri from the docs).
    oauth = OAuth("wx520c15f417810387", "secret")
    url = oauth.authorize_url(
        "https://chong.qq.com/php/index.php?d=&c=wxAdapter&m=mobileDeal&showwxpaytitle=1&vb2ctag=4_2030_5_1194_60",
        "snsapi_base",
        "123",
    )
    assert url == (
        "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx520c15f417810387"
        "&redirect_uri=https%3A%2F%2Fchong.qq.com%2Fphp%2Findex.php%3Fd%3D%26c%3DwxAdapter%26m%3DmobileDeal"
        "%26showwxpaytitle%3D1%26vb2ctag%3D4_2030_5_1194_60"
        "&response_type=code&scope=snsapi_base&state=123#wechat_redirect"
    )
    popup = oauth.authorize_url("https://a.example/p", "snsapi_userinfo", force_popup=True)
    assert popup.endswith("&scope=snsapi_userinfo&state=&forcePopup=true#wechat_redirect")
    assert "secret" not in url + popup + repr(oauth)


@pytest.mark.parametrize(("scope", "state"), [("snsapi_login", ""), ("snsapi_base", "a-b"), ("snsapi_base", "x" * 129)])
def test_authorize_url_refuses_bad_scope_or_state(scope, state):
    with pytest.raises(ConfigError):
        OAuth("wx1", "s").authorize_url("https://a.example/", scope, state)


@pytest.mark.parametrize(
    ("drop", "errcode"),
    [("appid", 10012), ("redirect_uri", 10011), ("scope", 10010), ("response_type", 40097)],
)
def test_authorize_page_errors(oauth, wechat_app, drop, errcode):
    set_oauth_user(wechat_app, "o_ann")
    parts = urlsplit(oauth.authorize_url(REDIRECT))
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != drop]
    url = parts._replace(query="&".join(f"{k}={requests.utils.quote(v, safe='')}" for k, v in query)).geturl()
    assert open_authorize(url).json()["errcode"] == errcode


def test_authorize_page_needs_a_user(oauth):
    response = open_authorize(oauth.authorize_url(REDIRECT))
    assert response.status_code == 409
    assert "set_oauth_user" in response.text


# -- the code flow ---------------------------------------------------------------------


def test_code_flow_snsapi_base(oauth, wechat_app):
    set_oauth_user(wechat_app, "o_ann")
    query = authorize(oauth, state="csrf42")
    assert query["state"] == "csrf42"
    token = oauth.fetch_token(query["code"])
    assert (token.openid, token.scope, token.scopes, token.expires_in) == (
        "o_ann",
        "snsapi_base",
        ("snsapi_base",),
        USER_TOKEN_LIFETIME,
    )
    assert (token.unionid, token.is_snapshotuser) == (None, False)
    assert wechat_app.data["oauth_codes"][query["code"]]["used"] is True
    assert wechat_app.data["oauth_tokens"][token.access_token]["openid"] == "o_ann"
    for text in (repr(token), str(token)):
        assert token.access_token not in text
        assert token.refresh_token not in text
        assert "o_ann" in text


def test_code_flow_snsapi_userinfo(oauth, wechat_app):
    wechat_app.add_follower("o_bob", nickname="Bob")
    token = login(oauth, wechat_app, "o_bob", "snsapi_userinfo", unionid="u_bob", headimgurl="https://x/0")
    assert (token.scope, token.unionid) == ("snsapi_userinfo", "u_bob")
    info = oauth.userinfo(token.access_token, token.openid, lang="en")
    assert info["openid"] == "o_bob"
    assert (info["nickname"], info["headimgurl"], info["unionid"]) == ("Bob", "https://x/0", "u_bob")
    assert {"sex", "province", "city", "country", "privilege"} <= info.keys()


def test_userinfo_withholds_sex_and_region_like_wechat(oauth, wechat_app):
    """Since 2021-10-20 web OAuth answers sex 0 and an empty region (the keys stay); nickname and avatar remain."""
    token = login(oauth, wechat_app, "o_cai", "snsapi_userinfo", nickname="Cai", sex=2, city="Shenzhen", country="CN")
    info = oauth.userinfo(token.access_token, token.openid)
    assert (info["sex"], info["country"], info["province"], info["city"]) == (0, "", "", "")
    assert info["nickname"] == "Cai"
    assert wechat_app.data["oauth_profiles"]["o_cai"]["city"] == "Shenzhen"  # stored, not answered


def test_declined_userinfo_redirects_with_state_only(oauth, wechat_app):
    set_oauth_user(wechat_app, "o_shy", consent=False)
    assert authorize(oauth, "snsapi_userinfo", "s9") == {"state": "s9"}
    assert "code" in authorize(oauth, "snsapi_base")  # snsapi_base is silent: nothing to decline


def test_snapshot_user_is_flagged(oauth, wechat_app):
    assert login(oauth, wechat_app, "o_virtual", "snsapi_userinfo", snapshot=True).is_snapshotuser is True


def test_client_oauth_shares_the_clients_http(oauth, wechat_client, wechat_app):
    set_oauth_user(wechat_app, "o_ann")
    token = wechat_client.oauth.fetch_token(authorize(oauth)["code"])
    assert token.openid == "o_ann"
    client = getattr(wechat_client, "_target", wechat_client)  # the AsyncClient behind the async run's view
    assert client.oauth.http is client.http
    assert wechat_client.oauth.authorize_url("https://a.example/").startswith("https://open.weixin.qq.com/")


# -- code errors -------------------------------------------------------------------------


def _reused(oauth, wechat_emulator, code):
    oauth.fetch_token(code)
    return code


def _expired(oauth, wechat_emulator, code):
    wechat_emulator.advance(CODE_LIFETIME)
    return code


def _unknown(oauth, wechat_emulator, code):
    return "not-a-code-" + code


@pytest.mark.parametrize(("spoil", "errcode"), [(_reused, 40163), (_expired, 40029), (_unknown, 40029)])
def test_bad_codes(oauth, wechat_emulator, wechat_app, spoil, errcode):
    set_oauth_user(wechat_app, "o_ann")
    code = spoil(oauth, wechat_emulator, authorize(oauth)["code"])
    with pytest.raises(InvalidArgumentError) as info:
        oauth.fetch_token(code)
    assert info.value.errcode == errcode
    assert_secret_free(info.value, code, wechat_app.secret)


def test_wrong_secret_is_an_access_token_error(wechat_emulator, wechat_app):
    set_oauth_user(wechat_app, "o_ann")
    bad = OAuth(wechat_app.appid, "wrong-secret", base_url=wechat_emulator.url, open_url=wechat_emulator.url)
    code = authorize(bad)["code"]
    with pytest.raises(AccessTokenError) as info:
        bad.fetch_token(code)
    assert info.value.errcode == 40125
    assert_secret_free(info.value, "wrong-secret", code)


def test_fetch_token_needs_the_secret(wechat_emulator, wechat_app):
    with pytest.raises(ConfigError):
        OAuth(wechat_app.appid, None, base_url=wechat_emulator.url).fetch_token("c")


# -- refresh, userinfo, check ---------------------------------------------------------


def test_refresh_renews_then_replaces_the_access_token(oauth, wechat_emulator, wechat_app):
    token = login(oauth, wechat_app)
    renewed = oauth.refresh(token.refresh_token)
    assert (renewed.access_token, renewed.refresh_token, renewed.openid) == (
        token.access_token,
        token.refresh_token,
        "o_ann",
    )
    wechat_emulator.advance(USER_TOKEN_LIFETIME)
    assert oauth.check(token.access_token, "o_ann") is False
    replaced = oauth.refresh(token.refresh_token)
    assert replaced.access_token != token.access_token
    assert oauth.check(replaced.access_token, "o_ann") is True


@pytest.mark.parametrize(("advance", "errcode"), [(0, 40030), (REFRESH_LIFETIME, 42002)])
def test_refresh_errors(oauth, wechat_emulator, wechat_app, advance, errcode):
    token = login(oauth, wechat_app)
    wechat_emulator.advance(advance)
    refresh_token = token.refresh_token if advance else "ORT_unknown"
    with pytest.raises(InvalidArgumentError) as info:
        oauth.refresh(refresh_token)
    assert info.value.errcode == errcode
    assert_secret_free(info.value, refresh_token)


def test_userinfo_needs_the_userinfo_scope(oauth, wechat_app):
    token = login(oauth, wechat_app)
    with pytest.raises(PermissionDeniedError) as info:
        oauth.userinfo(token.access_token, token.openid)
    assert info.value.errcode == 48001
    assert_secret_free(info.value, token.access_token)


@pytest.mark.parametrize(
    ("token_of", "openid", "errcode", "error"),
    [
        (lambda t: t.access_token, "o_other", 40003, InvalidArgumentError),
        (lambda t: "OAT_unknown", "o_ann", 40001, AccessTokenError),
    ],
)
def test_userinfo_errors(oauth, wechat_app, token_of, openid, errcode, error):
    token = login(oauth, wechat_app, "o_ann", "snsapi_userinfo")
    with pytest.raises(error) as info:
        oauth.userinfo(token_of(token), openid)
    assert info.value.errcode == errcode
    assert_secret_free(info.value, token.access_token)


def test_check(oauth, wechat_emulator, wechat_app):
    token = login(oauth, wechat_app)
    assert oauth.check(token.access_token, "o_ann") is True
    assert oauth.check(token.access_token, "o_other") is False
    assert oauth.check("OAT_unknown", "o_ann") is False
    wechat_emulator.advance(USER_TOKEN_LIFETIME)
    assert oauth.check(token.access_token, "o_ann") is False


def test_check_raises_other_errors(oauth, wechat_emulator, wechat_app):
    token = login(oauth, wechat_app)
    wechat_emulator.inject("/sns/auth", errcode=-1)
    with pytest.raises(APIError) as info:
        oauth.check(token.access_token, "o_ann")
    assert info.value.errcode == -1
    assert_secret_free(info.value, token.access_token)


# -- answers lacking required fields -----------------------------------------------------
def _spoiled_issue(monkeypatch, **fields):
    """Make the emulator's token answers (code exchange and refresh) carry ``fields`` instead (None: left out)."""
    from wxkit.testing.routes import oauth as routes

    real = routes._issue

    def issue(*args, **kwargs):
        answer = real(*args, **kwargs)
        for name, value in fields.items():
            if value is None:
                answer.pop(name, None)
            else:
                answer[name] = value
        return answer

    monkeypatch.setattr(routes, "_issue", issue)


@pytest.mark.parametrize(
    ("fields", "missing"),
    [
        ({"openid": None}, "openid"),
        ({"openid": ""}, "openid"),
        ({"openid": "  "}, "openid"),
        ({"openid": {"x": 1}}, "openid"),
        ({"access_token": None}, "access_token"),
        ({"access_token": ""}, "access_token"),
    ],
    ids=["no-openid", "empty-openid", "blank-openid", "object-openid", "no-token", "empty-token"],
)
def test_a_token_answer_without_openid_or_access_token_is_refused(oauth, wechat_app, monkeypatch, fields, missing):
    _spoiled_issue(monkeypatch, **fields)
    set_oauth_user(wechat_app, "o_ann")
    with pytest.raises(APIError, match=f"answered without {missing}") as info:
        oauth.fetch_token(authorize(oauth)["code"])
    assert info.value.errcode == -2
    assert info.value.url.endswith("/sns/oauth2/access_token")
    assert info.value.response == {}  # the answer may hold a token: never carried in the error
    assert_secret_free(info.value, wechat_app.secret)


def test_a_refresh_answer_without_openid_is_refused(oauth, wechat_app):
    token = login(oauth, wechat_app)
    wechat_app.data["oauth_refresh_tokens"][token.refresh_token]["openid"] = ""  # WeChat answers openid ""
    with pytest.raises(APIError, match="answered without openid") as info:
        oauth.refresh(token.refresh_token)
    assert info.value.url.endswith("/sns/oauth2/refresh_token")
    assert_secret_free(info.value, token.refresh_token)


def test_a_userinfo_answer_without_openid_is_refused(oauth, wechat_app, monkeypatch):
    token = login(oauth, wechat_app, "o_ann", "snsapi_userinfo", nickname="Ann")
    monkeypatch.setitem(wechat_app.data["oauth_profiles"]["o_ann"], "openid", "")
    with pytest.raises(APIError, match="answered without openid") as info:
        oauth.userinfo(token.access_token, token.openid)
    assert_secret_free(info.value, token.access_token)

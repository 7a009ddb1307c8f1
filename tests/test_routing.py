"""Routing decorators (wxkit.routing): every matcher through real pushes, precedence, routers, WeCom."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pytest

from wxkit import ConfigError, TextReply, WxApplication
from wxkit.events import ScanEvent, official_registry
from wxkit.messages import BaseMessage
from wxkit.routing import Router, RouteSource
from wxkit.testing import Push, WeChatPusher
from wxkit.work import WorkApplication, work_registry

TOKEN = "routing-token"
NOW = 1_700_000_000.0
CORP_ID = "ww1234567890abcdef"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"


@pytest.fixture
def pusher() -> WeChatPusher:
    return WeChatPusher(TOKEN, clock=lambda: NOW)


@pytest.fixture
def bot() -> WxApplication:
    return WxApplication(token=TOKEN, clock=lambda: NOW)


def answer(pusher: WeChatPusher, bot: Any, push: Push) -> str:
    """Deliver through handle() and return the text answered ("" for success)."""
    reply = pusher.deliver(bot, push)
    assert reply.status == 200
    return reply.content


def test_the_issue_example_through_process(pusher: WeChatPusher, bot: WxApplication) -> None:
    @bot.keyword("help", "帮助")
    def help_(msg: Any) -> str:
        return "help"

    @bot.regex(r"^订单(\d+)$")
    def order(msg: Any, number: str) -> str:
        return f"order {number}"

    @bot.click("MENU_KEY")
    def menu(event: Any) -> str:
        return f"menu {event.event_key}"

    @bot.scan("scene")
    def scanned(event: ScanEvent) -> str:
        return f"scan {event.scene}"

    @bot.subscribe
    def welcome(event: Any) -> str:
        return "welcome"

    @bot.text  # last: the first match wins, so a catch-all goes after the specific rules
    def echo(msg: Any) -> str:
        return f"echo {msg.content}"

    def body(push: Push) -> str:
        return pusher.read_reply(200, bot.process(push.params, push.body)).content

    assert echo.__name__ == "echo"  # decorators hand the function back
    assert body(pusher.text("hello")) == "echo hello"
    assert body(pusher.text("帮助")) == "help"
    assert body(pusher.text("订单42")) == "order 42"
    assert body(pusher.text("订单42x")) == "echo 订单42x"
    assert body(pusher.click("MENU_KEY")) == "menu MENU_KEY"
    assert body(pusher.event("SCAN", EventKey="scene", Ticket="t")) == "scan scene"
    assert body(pusher.subscribe()) == "welcome"


# -------------------------------------------------------------------------- every type
MESSAGE_PUSHES: dict[str, Callable[[WeChatPusher], Push]] = {
    "text": lambda p: p.text("hi"),
    "image": lambda p: p.image(),
    "voice": lambda p: p.voice(recognition="你好"),
    "video": lambda p: p.message("video", MediaId="m", ThumbMediaId="t"),
    "shortvideo": lambda p: p.message("shortvideo", MediaId="m", ThumbMediaId="t"),
    "location": lambda p: p.location(),
    "link": lambda p: p.link("https://example.com", "title"),
}


@pytest.mark.parametrize("msg_type", sorted(MESSAGE_PUSHES))
def test_message_sugar_and_generic_form(pusher: WeChatPusher, msg_type: str) -> None:
    assert set(MESSAGE_PUSHES) == set(official_registry.messages)  # every message type wxkit has
    for generic in (False, True):
        bot = WxApplication(token=TOKEN, clock=lambda: NOW)
        seen: list[BaseMessage] = []

        def handler(msg: BaseMessage, seen: list[BaseMessage] = seen) -> str:
            seen.append(msg)
            return f"got {msg.msg_type}"

        if generic:
            bot.message(msg_type)(handler)
        else:
            getattr(bot, msg_type)(handler)
        assert answer(pusher, bot, MESSAGE_PUSHES[msg_type](pusher)) == f"got {msg_type}"
        assert type(seen[0]) is official_registry.messages[msg_type]
        other = "image" if msg_type == "text" else "text"
        assert answer(pusher, bot, MESSAGE_PUSHES[other](pusher)) == ""  # not routed: success


def test_message_sugar_called_form_and_any_message(pusher: WeChatPusher, bot: WxApplication) -> None:
    bot.image()(lambda msg: "image")
    bot.message()(lambda msg: f"any {msg.msg_type}")
    assert answer(pusher, bot, pusher.image()) == "image"
    assert answer(pusher, bot, pusher.location()) == "any location"
    assert answer(pusher, bot, pusher.message("miniprogrampage")) == "any miniprogrampage"
    assert answer(pusher, bot, pusher.click("K")) == ""  # events are not messages


def _event_push(pusher: WeChatPusher, wx_type: str) -> Push:
    name, _, sub = wx_type.partition(":")
    fields = {"ChangeType": sub} if sub else {}
    return pusher.event(name, EventKey="KEY_1", **fields)


@pytest.mark.parametrize("wx_type", sorted(official_registry.events))
def test_every_official_event_by_generic_event(pusher: WeChatPusher, wx_type: str) -> None:
    bot = WxApplication(token=TOKEN, clock=lambda: NOW)
    cls = official_registry.events[wx_type]
    bot.event(cls.wx_type)(lambda event: f"event {type(event).__name__}")
    bot.event()(lambda event: "other event")
    assert answer(pusher, bot, _event_push(pusher, wx_type)) == f"event {cls.__name__}"
    unrelated = "unsubscribe" if wx_type != "unsubscribe" else "subscribe"
    assert answer(pusher, bot, pusher.event(unrelated)) == "other event"
    assert answer(pusher, bot, pusher.text("hi")) == ""


@pytest.mark.parametrize("wx_type", sorted(work_registry.events))
def test_every_wecom_event_by_generic_event(wx_type: str) -> None:
    pusher = WeChatPusher(TOKEN, aes_key=AES_KEY, corp_id=CORP_ID, agent_id=7, clock=lambda: NOW)
    app = WorkApplication(token=TOKEN, corp_id=CORP_ID, aes_key=AES_KEY, clock=lambda: NOW)
    cls = work_registry.events[wx_type]
    app.event(cls.wx_type)(lambda event: f"event {type(event).__name__} agent {event.agent_id}")
    reply = pusher.deliver(app, _event_push(pusher, wx_type))
    assert reply.encrypted
    assert reply.content == f"event {cls.__name__} agent 7"


@pytest.mark.parametrize("msg_type", sorted(work_registry.messages))
def test_every_wecom_message_by_sugar_and_generic_form(msg_type: str) -> None:
    pusher = WeChatPusher(TOKEN, aes_key=AES_KEY, corp_id=CORP_ID, agent_id=7, clock=lambda: NOW)
    for generic in (False, True):
        app = WorkApplication(token=TOKEN, corp_id=CORP_ID, aes_key=AES_KEY, clock=lambda: NOW)
        register = app.message(msg_type) if generic else getattr(app, msg_type)
        register(lambda msg: f"{type(msg).__name__} agent {msg.agent_id}")
        reply = pusher.deliver(app, pusher.message(msg_type, Content="hi", MediaId="m"))
        assert reply.content == f"{work_registry.messages[msg_type].__name__} agent 7"


EVENT_SUGAR = [
    ("subscribe", "subscribe"),
    ("unsubscribe", "unsubscribe"),
    ("location_update", "LOCATION"),
    ("click", "CLICK"),
    ("view", "VIEW"),
    ("scancode_push", "scancode_push"),
    ("scancode_waitmsg", "scancode_waitmsg"),
    ("pic_sysphoto", "pic_sysphoto"),
    ("pic_photo_or_album", "pic_photo_or_album"),
    ("pic_weixin", "pic_weixin"),
    ("location_select", "location_select"),
    ("scan", "SCAN"),
]


@pytest.mark.parametrize(("sugar", "event"), EVENT_SUGAR, ids=[s for s, _ in EVENT_SUGAR])
def test_event_sugar_bare_and_called(pusher: WeChatPusher, sugar: str, event: str) -> None:
    for called in (False, True):
        bot = WxApplication(token=TOKEN, clock=lambda: NOW)
        register = getattr(bot, sugar)() if called else getattr(bot, sugar)
        register(lambda e: f"{sugar} {type(e).__name__}")
        expected = type(official_registry.parse({"MsgType": "event", "Event": event})).__name__
        assert answer(pusher, bot, pusher.event(event, EventKey="K")) == f"{sugar} {expected}"
        assert answer(pusher, bot, pusher.event("TEMPLATESENDJOBFINISH")) == ""


@pytest.mark.parametrize("sugar", ["click", "view", "scancode_push", "pic_weixin", "location_select"])
def test_menu_event_sugar_by_key(pusher: WeChatPusher, bot: WxApplication, sugar: str) -> None:
    event = {"click": "CLICK", "view": "VIEW"}.get(sugar, sugar)
    getattr(bot, sugar)("K1", "K2")(lambda e: f"keyed {e.event_key}")
    getattr(bot, sugar)(lambda e: "any key")
    assert answer(pusher, bot, pusher.event(event, EventKey="K2")) == "keyed K2"
    assert answer(pusher, bot, pusher.event(event, EventKey="K3")) == "any key"


def test_unknown_sugar_takes_unknown_messages_and_events(pusher: WeChatPusher, bot: WxApplication) -> None:
    @bot.unknown
    def unknown(msg: Any) -> str:
        return f"unknown {msg.msg_type}"

    assert answer(pusher, bot, pusher.message("miniprogrampage")) == "unknown miniprogrampage"
    assert answer(pusher, bot, pusher.event("brand_new_event")) == "unknown event"
    assert answer(pusher, bot, pusher.text("hi")) == ""


# -------------------------------------------------------------------------- matchers
def test_keyword_exact_contains_and_case(pusher: WeChatPusher, bot: WxApplication) -> None:
    bot.keyword("help", "帮助")(lambda m: "exact")
    bot.keyword("Price", ignore_case=True)(lambda m: "price")
    bot.keyword("退款", contains=True)(lambda m: "refund")
    assert answer(pusher, bot, pusher.text("  help\n")) == "exact"  # surrounding whitespace ignored
    assert answer(pusher, bot, pusher.text("Help")) == ""  # case-sensitive by default
    assert answer(pusher, bot, pusher.text("help me")) == ""  # exact by default
    assert answer(pusher, bot, pusher.text("PRICE")) == "price"
    assert answer(pusher, bot, pusher.text("我要退款了")) == "refund"
    assert answer(pusher, bot, pusher.image()) == ""


def test_regex_groups_positional_and_named(pusher: WeChatPusher, bot: WxApplication) -> None:
    @bot.regex(r"^订单(\d+)-(\w+)$")
    def order(msg: Any, number: str, part: str) -> str:
        return f"order {number} part {part}"

    @bot.regex(re.compile(r"^track (?P<carrier>[a-z]+) (?P<code>\d+)$", re.IGNORECASE))
    def track(msg: Any, *, carrier: str, code: str) -> str:
        return f"{carrier}:{code}"

    @bot.regex(r"天气", re.IGNORECASE)
    def weather(msg: Any) -> str:
        return "weather"

    assert answer(pusher, bot, pusher.text("订单123-ab")) == "order 123 part ab"
    assert answer(pusher, bot, pusher.text("TRACK sf 42")) == "sf:42"
    assert answer(pusher, bot, pusher.text("今天天气如何")) == "weather"  # search, not match
    assert answer(pusher, bot, pusher.text("订单abc")) == ""


def test_scan_scenes_and_follows_by_qr_code(pusher: WeChatPusher, bot: WxApplication) -> None:
    bot.scan("table_5", subscribe=True)(lambda e: f"{type(e).__name__} {e.scene}")
    bot.scan("vip")(lambda e: f"vip {e.scene}")
    bot.subscribe(lambda e: "plain follow")
    assert answer(pusher, bot, pusher.event("SCAN", EventKey="table_5")) == "ScanEvent table_5"
    assert answer(pusher, bot, pusher.subscribe("table_5")) == "SubscribeEvent table_5"
    assert answer(pusher, bot, pusher.event("SCAN", EventKey="vip")) == "vip vip"
    assert answer(pusher, bot, pusher.subscribe("vip")) == "plain follow"  # subscribe=False: scans only
    assert answer(pusher, bot, pusher.subscribe()) == "plain follow"
    assert answer(pusher, bot, pusher.event("SCAN", EventKey="other")) == ""


def test_scan_with_subscribe_and_no_scene_takes_every_qr_follow(pusher: WeChatPusher, bot: WxApplication) -> None:
    bot.scan(subscribe=True)(lambda e: f"qr {e.scene}")
    assert answer(pusher, bot, pusher.subscribe("anything")) == "qr anything"
    assert answer(pusher, bot, pusher.event("SCAN", EventKey="x")) == "qr x"
    assert answer(pusher, bot, pusher.subscribe()) == ""


def test_event_key_and_weRobot_names(pusher: WeChatPusher, bot: WxApplication) -> None:
    bot.event("scancode_waitmsg", key=["SCAN_A", "SCAN_B"])(lambda e: "scan menu")
    bot.key_click("ABORT")(lambda e: "I'm a robot")
    bot.filter("a", re.compile(r".*?bb"))(lambda m: "filtered")
    assert answer(pusher, bot, pusher.event("scancode_waitmsg", EventKey="SCAN_B")) == "scan menu"
    assert answer(pusher, bot, pusher.event("scancode_waitmsg", EventKey="SCAN_C")) == ""
    assert answer(pusher, bot, pusher.click("ABORT")) == "I'm a robot"
    assert answer(pusher, bot, pusher.text("a")) == "filtered"
    assert answer(pusher, bot, pusher.text("xxbbx")) == "filtered"
    assert answer(pusher, bot, pusher.text("ab")) == ""


def test_when_predicate(pusher: WeChatPusher, bot: WxApplication) -> None:
    admins = {"o_admin"}
    bot.when(lambda m: m.from_user_name in admins)(lambda m: "hello admin")
    admin = WeChatPusher(TOKEN, openid="o_admin", clock=lambda: NOW)
    assert answer(admin, bot, admin.click("ANY")) == "hello admin"
    assert answer(pusher, bot, pusher.text("hi")) == ""


# -------------------------------------------------------------------------- precedence
class Subclassed(WxApplication):
    token = TOKEN

    def __init__(self) -> None:
        super().__init__(clock=lambda: NOW)
        self.calls: list[str] = []

    def pre_process(self, message: BaseMessage) -> Any:
        if getattr(message, "content", "") == "blocked":
            return "pre_process"
        return None

    def post_process(self, message: BaseMessage, reply: Any) -> Any:
        return TextReply(f"[{reply}]") if isinstance(reply, str) else reply

    def on_text(self, msg: Any) -> str:
        self.calls.append("on_text")
        return "on_text"

    def on_click(self, event: Any) -> str:
        return "on_click"

    def on_error(self, message: BaseMessage, error: Exception) -> Any:
        return f"error {type(error).__name__}"


def test_routes_come_before_on_methods_which_still_work(pusher: WeChatPusher) -> None:
    bot = Subclassed()
    bot.keyword("route")(lambda m: "routed")
    assert answer(pusher, bot, pusher.text("route")) == "[routed]"
    assert answer(pusher, bot, pusher.text("other")) == "[on_text]"
    assert answer(pusher, bot, pusher.click("K")) == "[on_click]"
    assert answer(pusher, bot, pusher.text("blocked")) == "[pre_process]"  # pre_process comes first
    assert bot.calls == ["on_text"]


def test_first_match_wins_and_none_does_not_fall_through(pusher: WeChatPusher) -> None:
    bot = Subclassed()
    order: list[str] = []

    @bot.keyword("quiet")
    def quiet(msg: Any) -> None:
        order.append("quiet")

    @bot.text
    def catch_all(msg: Any) -> str:
        order.append("catch_all")
        return "catch_all"

    bot.keyword("never")(lambda m: "registered after a catch-all: never reached")
    assert pusher.deliver(bot, pusher.text("quiet")).is_success
    assert answer(pusher, bot, pusher.text("never")) == "[catch_all]"
    assert order == ["quiet", "catch_all"]
    assert bot.calls == []  # on_text is shadowed by the catch-all route


def test_a_raising_route_goes_to_on_error(pusher: WeChatPusher, caplog: pytest.LogCaptureFixture) -> None:
    bot = Subclassed()

    @bot.regex(r"^boom (\d)$")
    def boom(msg: Any, n: str) -> str:
        raise KeyError(n)

    with caplog.at_level(logging.ERROR, logger="wxkit.app"):
        assert answer(pusher, bot, pusher.text("boom 1")) == "error KeyError"  # on_error answers as is
    assert "boom" in caplog.text  # the log names the route's handler, even with bound groups
    assert "boom 1" not in caplog.text  # never the content


def test_rules_are_per_instance(pusher: WeChatPusher) -> None:
    one, two = Subclassed(), Subclassed()
    one.text(lambda m: "one")
    assert answer(pusher, one, pusher.text("x")) == "[one]"
    assert answer(pusher, two, pusher.text("x")) == "[on_text]"


def test_router_include_and_class_routes(pusher: WeChatPusher) -> None:
    shared = Router()
    shared.keyword("shared")(lambda m: "shared")
    nested = Router()
    nested.click("NESTED")(lambda e: "nested")
    shared.include(nested)
    assert isinstance(shared, RouteSource)
    assert len(shared) == 2

    class WithRoutes(Subclassed):
        routes = (shared,)

    bot = WithRoutes()
    bot.text(lambda m: "instance text")
    assert answer(pusher, bot, pusher.text("shared")) == "[shared]"  # class routes come first
    assert answer(pusher, bot, pusher.text("x")) == "[instance text]"
    assert answer(pusher, bot, pusher.click("NESTED")) == "[nested]"
    shared.keyword("later")(lambda m: "added after include")  # routers are live
    assert answer(pusher, bot, pusher.text("later")) == "[added after include]"

    other = WxApplication(token=TOKEN, clock=lambda: NOW)
    other.include(shared)
    assert answer(pusher, other, pusher.text("shared")) == "shared"


def test_per_call_credential_copies_share_the_routes(pusher: WeChatPusher) -> None:
    shared = Router()
    shared.keyword("k")(lambda m: "class route")

    class Bot(WxApplication):
        token = "token-a"
        routes = (shared,)

    bot = Bot(clock=lambda: NOW)
    bot.text(lambda m: "instance route")
    other = WeChatPusher("token-b", clock=lambda: NOW)
    for content, expected in (("k", "class route"), ("x", "instance route")):
        push = other.text(content)
        body = bot.process(push.params, push.body, token="token-b")
        assert other.read_reply(200, body).content == expected
    assert len(bot.router) == 2  # the copy did not include the class routes again


def test_wecom_routes(pusher: WeChatPusher) -> None:
    work = WeChatPusher(TOKEN, aes_key=AES_KEY, corp_id=CORP_ID, agent_id=1000002, clock=lambda: NOW)

    class App(WorkApplication):
        token = TOKEN
        corp_id = CORP_ID
        aes_key = AES_KEY

        def on_change_contact(self, event: Any) -> str:
            return f"on_change_contact {event.change_type}"

    app = App(clock=lambda: NOW)
    app.keyword("hi")(lambda m: f"hi agent {m.agent_id}")
    app.click("W_KEY")(lambda e: "wecom click")
    app.event("change_contact:create_user")(lambda e: f"created {e.user_id}")
    app.event("enter_agent")(lambda e: "entered")
    assert work.deliver(app, work.text("hi")).content == "hi agent 1000002"
    assert work.deliver(app, work.event("click", EventKey="W_KEY")).content == "wecom click"
    created = work.deliver(app, work.event("change_contact", ChangeType="create_user", UserID="zs"))
    assert created.content == "created zs"
    updated = work.deliver(app, work.event("change_contact", ChangeType="update_user", UserID="zs"))
    assert updated.content == "on_change_contact update_user"  # other sub-types go on to on_*
    assert work.deliver(app, work.event("enter_agent")).content == "entered"


# -------------------------------------------------------------------------- bad configuration
@pytest.mark.parametrize(
    ("register", "match"),
    [
        (lambda b: b.regex(r"(unclosed"), "bad regex"),
        (lambda b: b.regex(""), "non-empty"),
        (lambda b: b.keyword(), "at least one keyword"),
        (lambda b: b.keyword("  "), "non-empty"),
        (lambda b: b.keyword(3), "non-empty strings"),
        (lambda b: b.message("event"), r"\.event"),
        (lambda b: b.event("change_contact:"), "sub-type"),
        (lambda b: b.event("CLICK", key=[]), "at least one EventKey"),
        (lambda b: b.click("K", 3), "non-empty strings"),
        (lambda b: b.key_click(), "at least one menu key"),
        (lambda b: b.filter(), "at least one"),
        (lambda b: b.filter("a", 3), "compiled patterns"),
        (lambda b: b.when("not callable"), "callable"),
        (lambda b: b.include(object()), "Router or an AutoReply"),
        (lambda b: b.text()("not callable"), "callable"),
    ],
)
def test_bad_routes_are_config_errors(bot: WxApplication, register: Callable[[Any], Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        register(bot)


def test_router_cycles_are_refused() -> None:
    a, b = Router(), Router()
    a.include(b)
    with pytest.raises(ConfigError, match="cycle"):
        b.include(a)
    with pytest.raises(ConfigError, match="cycle"):
        a.include(a)


def test_no_routes_means_no_router(pusher: WeChatPusher, bot: WxApplication) -> None:
    assert bot._router is None  # the hot path of a bot without routes checks one attribute
    assert answer(pusher, bot, pusher.text("x")) == ""
    assert bot._router is None

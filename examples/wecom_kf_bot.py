"""A 微信客服 (WeChat customer service) bot on WeCom: welcomes customers and answers what they write.

WeCom's callback for 微信客服 only says "there are new messages"
(``kf_msg_or_event``, with a ``Token`` and the ``OpenKfId``); the bot then
reads them with ``client.kf.sync_msg`` (the cursor is kept in the client's
storage: use a RedisStorage when several processes serve the callback) and
answers with ``send_msg`` / ``send_msg_on_event``. Serve it with any adapter::

    from wxkit.adapters.wsgi import make_wsgi_app
    app = make_wsgi_app(wecom_kf_bot.from_environment())

Credentials: WXKIT_WORK_TOKEN, WXKIT_WORK_AES_KEY, WXKIT_CORP_ID (the
callback's), WXKIT_KF_SECRET (the secret of the app allowed to call the kf
API) and optionally WXKIT_WORK_BASE_URL. WeCom waits 5 seconds for the
callback's answer: a busy bot syncs in a worker instead (the callback only
needs "success").
"""

from __future__ import annotations

import os

from wxkit.work import KfMessage, WorkApplication, WorkClient
from wxkit.work.messages import WorkKfMsgOrEvent

ANSWERS = {
    "hours": "We answer from 9:00 to 18:00, Monday to Friday.",
    "price": "See https://shop.example.com/prices",
}


def answer(question: str) -> str:
    """The bot's answer to a customer's text."""
    for word, text in ANSWERS.items():
        if word in question.lower():
            return text
    return f"Thanks! A colleague will look at: {question}"


class KfBot(WorkApplication):
    """Syncs the new 微信客服 messages of the account named in each callback and answers them."""

    def __init__(self, client: WorkClient, *, token: str, corp_id: str, aes_key: str) -> None:
        super().__init__(token=token, corp_id=corp_id, aes_key=aes_key)
        self.client = client

    def on_kf_msg_or_event(self, event: WorkKfMsgOrEvent) -> None:
        for message in self.client.kf.sync_msg(event.open_kfid, token=event.token):
            self.reply(message)

    def reply(self, message: KfMessage) -> None:
        """Welcome a customer who opens the chat; answer a customer's text."""
        if message.event_type == "enter_session" and message.welcome_code:
            self.client.kf.send_msg_on_event(message.welcome_code, "text", {"content": "Hello! Ask me anything."})
        elif message.from_customer and message.msgtype == "text":
            self.client.kf.send_text(message.open_kfid, message.external_userid, answer(message.content))


def from_environment() -> KfBot:
    """A KfBot configured from the environment (see the module's docstring)."""
    client = WorkClient(
        os.environ["WXKIT_CORP_ID"],
        os.environ["WXKIT_KF_SECRET"],
        base_url=os.environ.get("WXKIT_WORK_BASE_URL", "https://qyapi.weixin.qq.com"),
    )
    return KfBot(
        client,
        token=os.environ["WXKIT_WORK_TOKEN"],
        corp_id=os.environ["WXKIT_CORP_ID"],
        aes_key=os.environ["WXKIT_WORK_AES_KEY"],
    )

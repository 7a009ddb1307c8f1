"""Typed official-account events: parsing, registry lookup, immutability and errors."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from wxkit.errors import ParseError
from wxkit.events import (
    EVENT_CLASSES,
    AnnualRenewEvent,
    ArticleDetail,
    ArticleUrlItem,
    ArticleUrlResult,
    ClickEvent,
    CopyrightCheckItem,
    CopyrightCheckResult,
    Event,
    KfCloseSessionEvent,
    KfCreateSessionEvent,
    KfSwitchSessionEvent,
    LocationEvent,
    LocationSelectEvent,
    MassSendJobFinishEvent,
    NamingVerifyFailEvent,
    NamingVerifySuccessEvent,
    PicItem,
    PicPhotoOrAlbumEvent,
    PicSysPhotoEvent,
    PicWeixinEvent,
    PublishedArticle,
    PublishEventInfo,
    PublishJobFinishEvent,
    QualificationVerifyFailEvent,
    QualificationVerifySuccessEvent,
    ScanCodeInfo,
    ScanCodePushEvent,
    ScanCodeWaitMsgEvent,
    ScanEvent,
    SendLocationInfo,
    SendPicsInfo,
    SubscribeEvent,
    SubscribeMsgChangeEvent,
    SubscribeMsgChangeItem,
    SubscribeMsgPopupEvent,
    SubscribeMsgPopupItem,
    SubscribeMsgSentEvent,
    SubscribeMsgSentItem,
    TemplateSendJobFinishEvent,
    UnknownEvent,
    UnsubscribeEvent,
    VerifyExpiredEvent,
    ViewEvent,
    ViewMiniProgramEvent,
    official_registry,
)
from wxkit.xmlcodec import parse_xml

TO_USER = "gh_3a1f9c2b7d40"
FROM_USER = "oQx5t0kM2vRj8sLhYb3nWc9dEa1F"
CREATE_TIME = 1718003520


def push(event: str, body: str = "") -> str:
    """A WeChat event push as the server sends it (CDATA for text, bare integers)."""
    return (
        f"<xml><ToUserName><![CDATA[{TO_USER}]]></ToUserName>"
        f"<FromUserName><![CDATA[{FROM_USER}]]></FromUserName>"
        f"<CreateTime>{CREATE_TIME}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event>{body}</xml>"
    )


def parse(xml: str) -> Any:
    return official_registry.parse(parse_xml(xml))


def pic_list(*md5s: str) -> str:
    items = "".join(f"<item><PicMd5Sum><![CDATA[{m}]]></PicMd5Sum></item>" for m in md5s)
    return f"<SendPicsInfo><Count>{len(md5s)}</Count><PicList>{items}</PicList></SendPicsInfo>"


def copyright_item(idx: int, url: str) -> str:
    return (
        f"<item><ArticleIdx>{idx}</ArticleIdx><UserDeclareState>0</UserDeclareState><AuditState>2</AuditState>"
        f"<OriginalArticleUrl><![CDATA[{url}]]></OriginalArticleUrl><OriginalArticleType>1</OriginalArticleType>"
        "<CanReprint>1</CanReprint><NeedReplaceContent>1</NeedReplaceContent>"
        "<NeedShowReprintSource>1</NeedShowReprintSource></item>"
    )


def copyright_obj(idx: int, url: str) -> CopyrightCheckItem:
    return CopyrightCheckItem(
        article_idx=idx,
        user_declare_state=0,
        audit_state=2,
        original_article_url=url,
        original_article_type=1,
        can_reprint=1,
        need_replace_content=1,
        need_show_reprint_source=1,
    )


MASS_COUNTS = (
    "<TotalCount>1520</TotalCount><FilterCount>1498</FilterCount><SentCount>1490</SentCount><ErrorCount>8</ErrorCount>"
)
MASS_COUNT_FIELDS = {"total_count": 1520, "filter_count": 1498, "sent_count": 1490, "error_count": 8}
ART_1 = "https://mp.weixin.qq.com/s/Qm9vLWJhci0x"
ART_2 = "https://mp.weixin.qq.com/s/Qm9vLWJhci0y"
TPL_A = "kT3pWx9_Lm2QvR8sYbN4cJd7Ha1Fe6GuZo5Xi0Ty"
TPL_B = "Zr8Qy2_Vb5NmK1cLw7Pd4Hs9Gt3Jf6Ax0Ue2Oi8E"

# (Event as sent, extra XML, expected class, expected handler, expected attribute values)
CASES = [
    pytest.param(
        "subscribe",
        "",
        SubscribeEvent,
        "on_subscribe",
        {"event_key": "", "is_scan": False, "scene": ""},
        id="subscribe",
    ),
    pytest.param(
        "subscribe",
        "<EventKey><![CDATA[qrscene_spring2024]]></EventKey><Ticket><![CDATA[gQHc8DwAAAAAAAAAAS5odHRw]]></Ticket>",
        SubscribeEvent,
        "on_subscribe",
        {
            "event_key": "qrscene_spring2024",
            "ticket": "gQHc8DwAAAAAAAAAAS5odHRw",
            "is_scan": True,
            "scene": "spring2024",
        },
        id="subscribe-via-qr",
    ),
    pytest.param("unsubscribe", "", UnsubscribeEvent, "on_unsubscribe", {"event": "unsubscribe"}, id="unsubscribe"),
    pytest.param(
        "SCAN",
        "<EventKey><![CDATA[4021]]></EventKey><Ticket><![CDATA[gQFy7zwAAAAAAAAAAS5odHRw]]></Ticket>",
        ScanEvent,
        "on_scan",
        {"event_key": "4021", "scene": "4021", "ticket": "gQFy7zwAAAAAAAAAAS5odHRw"},
        id="scan",
    ),
    pytest.param(
        "LOCATION",
        "<Latitude>31.230416</Latitude><Longitude>121.473701</Longitude><Precision>65.000000</Precision>",
        LocationEvent,
        "on_location_update",
        {"latitude": 31.230416, "longitude": 121.473701, "precision": 65.0},
        id="location",
    ),
    pytest.param(
        "CLICK",
        "<EventKey><![CDATA[MENU_HELP]]></EventKey>",
        ClickEvent,
        "on_click",
        {"event_key": "MENU_HELP"},
        id="click",
    ),
    pytest.param(
        "VIEW",
        "<EventKey><![CDATA[https://shop.example.cn/m/orders]]></EventKey><MenuId>418803211</MenuId>",
        ViewEvent,
        "on_view",
        {
            "event_key": "https://shop.example.cn/m/orders",
            "url": "https://shop.example.cn/m/orders",
            "menu_id": "418803211",
        },
        id="view",
    ),
    pytest.param(
        "scancode_push",
        "<EventKey><![CDATA[scan_1]]></EventKey><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>"
        "<ScanResult><![CDATA[https://w.url.cn/s/AbC12dE]]></ScanResult></ScanCodeInfo>",
        ScanCodePushEvent,
        "on_scancode_push",
        {
            "event_key": "scan_1",
            "scan_code_info": ScanCodeInfo(scan_type="qrcode", scan_result="https://w.url.cn/s/AbC12dE"),
        },
        id="scancode_push",
    ),
    pytest.param(
        "scancode_waitmsg",
        "<EventKey><![CDATA[scan_2]]></EventKey><ScanCodeInfo><ScanType><![CDATA[barcode]]></ScanType>"
        "<ScanResult><![CDATA[EAN_13,6901234567892]]></ScanResult></ScanCodeInfo>",
        ScanCodeWaitMsgEvent,
        "on_scancode_waitmsg",
        {
            "event_key": "scan_2",
            "scan_code_info": ScanCodeInfo(scan_type="barcode", scan_result="EAN_13,6901234567892"),
        },
        id="scancode_waitmsg",
    ),
    pytest.param(
        "pic_sysphoto",
        "<EventKey><![CDATA[photo_1]]></EventKey>" + pic_list("9f86d081884c7d659a2feaa0c55ad015"),
        PicSysPhotoEvent,
        "on_pic_sysphoto",
        {
            "event_key": "photo_1",
            "send_pics_info": SendPicsInfo(
                count=1, pic_list=(PicItem(pic_md5_sum="9f86d081884c7d659a2feaa0c55ad015"),)
            ),
        },
        id="pic_sysphoto-1-item",
    ),
    pytest.param(
        "pic_photo_or_album",
        "<EventKey><![CDATA[photo_2]]></EventKey>"
        + pic_list("9f86d081884c7d659a2feaa0c55ad015", "60303ae22b998861bce3b28f33eec1be"),
        PicPhotoOrAlbumEvent,
        "on_pic_photo_or_album",
        {
            "event_key": "photo_2",
            "send_pics_info": SendPicsInfo(
                count=2,
                pic_list=(
                    PicItem(pic_md5_sum="9f86d081884c7d659a2feaa0c55ad015"),
                    PicItem(pic_md5_sum="60303ae22b998861bce3b28f33eec1be"),
                ),
            ),
        },
        id="pic_photo_or_album-2-items",
    ),
    pytest.param(
        "pic_weixin",
        "<EventKey><![CDATA[photo_3]]></EventKey>"
        + pic_list(
            "fd61a03af4f77d870fc21e05e7e80678", "a4e624d686e03ed2767c0abd85c14426", "0cc175b9c0f1b6a831c399e2697726"
        ),
        PicWeixinEvent,
        "on_pic_weixin",
        {
            "event_key": "photo_3",
            "send_pics_info": SendPicsInfo(
                count=3,
                pic_list=(
                    PicItem(pic_md5_sum="fd61a03af4f77d870fc21e05e7e80678"),
                    PicItem(pic_md5_sum="a4e624d686e03ed2767c0abd85c14426"),
                    PicItem(pic_md5_sum="0cc175b9c0f1b6a831c399e2697726"),
                ),
            ),
        },
        id="pic_weixin-3-items",
    ),
    pytest.param(
        "pic_weixin",
        "<EventKey><![CDATA[photo_3]]></EventKey><SendPicsInfo><Count>0</Count><PicList></PicList></SendPicsInfo>",
        PicWeixinEvent,
        "on_pic_weixin",
        {"send_pics_info": SendPicsInfo(count=0, pic_list=())},
        id="pic_weixin-empty-list",
    ),
    pytest.param(
        "location_select",
        "<EventKey><![CDATA[loc_1]]></EventKey><SendLocationInfo><Location_X><![CDATA[39.908823]]></Location_X>"
        "<Location_Y><![CDATA[116.39747]]></Location_Y><Scale><![CDATA[16]]></Scale>"
        "<Label><![CDATA[北京市东城区东长安街]]></Label><Poiname><![CDATA[天安门广场]]></Poiname></SendLocationInfo>",
        LocationSelectEvent,
        "on_location_select",
        {
            "event_key": "loc_1",
            "send_location_info": SendLocationInfo(
                location_x=39.908823, location_y=116.39747, scale=16, label="北京市东城区东长安街", poiname="天安门广场"
            ),
        },
        id="location_select",
    ),
    pytest.param(
        "view_miniprogram",
        "<EventKey><![CDATA[pages/order/detail?id=88]]></EventKey><MenuId>418803212</MenuId>",
        ViewMiniProgramEvent,
        "on_view_miniprogram",
        {"event_key": "pages/order/detail?id=88", "page_path": "pages/order/detail?id=88", "menu_id": "418803212"},
        id="view_miniprogram",
    ),
    pytest.param(
        "TEMPLATESENDJOBFINISH",
        "<MsgID>3487542469355618313</MsgID><Status><![CDATA[failed:user block]]></Status>",
        TemplateSendJobFinishEvent,
        "on_template_send_job_finish",
        {"msg_id": "3487542469355618313", "status": "failed:user block"},
        id="template_send_job_finish",
    ),
    pytest.param(
        "MASSSENDJOBFINISH",
        "<MsgID>1000000338</MsgID><Status><![CDATA[send success]]></Status>"
        + MASS_COUNTS
        + "<CopyrightCheckResult><Count>2</Count><ResultList>"
        + copyright_item(1, "https://mp.weixin.qq.com/s/orig-1")
        + copyright_item(2, "https://mp.weixin.qq.com/s/orig-2")
        + "</ResultList><CheckState>2</CheckState></CopyrightCheckResult>"
        f"<ArticleUrlResult><Count>1</Count><ResultList><item><ArticleIdx>1</ArticleIdx>"
        f"<ArticleUrl><![CDATA[{ART_1}]]></ArticleUrl></item></ResultList></ArticleUrlResult>",
        MassSendJobFinishEvent,
        "on_mass_send_job_finish",
        {
            "msg_id": "1000000338",
            "status": "send success",
            **MASS_COUNT_FIELDS,
            "copyright_check_result": CopyrightCheckResult(
                count=2,
                result_list=(
                    copyright_obj(1, "https://mp.weixin.qq.com/s/orig-1"),
                    copyright_obj(2, "https://mp.weixin.qq.com/s/orig-2"),
                ),
                check_state=2,
            ),
            "article_url_result": ArticleUrlResult(
                count=1, result_list=(ArticleUrlItem(article_idx=1, article_url=ART_1),)
            ),
        },
        id="mass_send_job_finish",
    ),
    pytest.param(
        "MASSSENDJOBFINISH",
        "<MsgID>1000000339</MsgID><Status><![CDATA[send success]]></Status>"
        + MASS_COUNTS
        + "<CopyrightCheckResult><Count>1</Count><ResultList>"
        + copyright_item(1, "")
        + "</ResultList><CheckState>1</CheckState></CopyrightCheckResult>"
        f"<ArticleUrlResult><Count>2</Count><ResultList>"
        f"<item><ArticleIdx>1</ArticleIdx><ArticleUrl><![CDATA[{ART_1}]]></ArticleUrl></item>"
        f"<item><ArticleIdx>2</ArticleIdx><ArticleUrl><![CDATA[{ART_2}]]></ArticleUrl></item>"
        f"</ResultList></ArticleUrlResult>",
        MassSendJobFinishEvent,
        "on_mass_send_job_finish",
        {
            "msg_id": "1000000339",
            "copyright_check_result": CopyrightCheckResult(count=1, result_list=(copyright_obj(1, ""),), check_state=1),
            "article_url_result": ArticleUrlResult(
                count=2,
                result_list=(
                    ArticleUrlItem(article_idx=1, article_url=ART_1),
                    ArticleUrlItem(article_idx=2, article_url=ART_2),
                ),
            ),
        },
        id="mass_send_job_finish-2-urls",
    ),
    pytest.param(
        "MASSSENDJOBFINISH",
        "<MsgID>1000000340</MsgID><Status><![CDATA[err(20013)]]></Status>"
        "<TotalCount>0</TotalCount><FilterCount>0</FilterCount><SentCount>0</SentCount><ErrorCount>0</ErrorCount>"
        "<CopyrightCheckResult><Count>0</Count><ResultList></ResultList><CheckState>3</CheckState></CopyrightCheckResult>",
        MassSendJobFinishEvent,
        "on_mass_send_job_finish",
        {
            "status": "err(20013)",
            "total_count": 0,
            "copyright_check_result": CopyrightCheckResult(count=0, result_list=(), check_state=3),
            "article_url_result": None,
        },
        id="mass_send_job_finish-empty-lists",
    ),
    pytest.param(
        "subscribe_msg_popup_event",
        f"<SubscribeMsgPopupEvent><List><TemplateId><![CDATA[{TPL_A}]]></TemplateId>"
        "<SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List>"
        f"<List><TemplateId><![CDATA[{TPL_B}]]></TemplateId>"
        "<SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString><PopupScene>2</PopupScene></List>"
        "</SubscribeMsgPopupEvent>",
        SubscribeMsgPopupEvent,
        "on_subscribe_msg_popup_event",
        {
            "items": (
                SubscribeMsgPopupItem(template_id=TPL_A, subscribe_status_string="accept", popup_scene=2),
                SubscribeMsgPopupItem(template_id=TPL_B, subscribe_status_string="reject", popup_scene=2),
            )
        },
        id="subscribe_msg_popup_event-2-items",
    ),
    pytest.param(
        "subscribe_msg_popup_event",
        f"<SubscribeMsgPopupEvent><List><TemplateId><![CDATA[{TPL_A}]]></TemplateId>"
        "<SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>1</PopupScene></List>"
        "</SubscribeMsgPopupEvent>",
        SubscribeMsgPopupEvent,
        "on_subscribe_msg_popup_event",
        {"items": (SubscribeMsgPopupItem(template_id=TPL_A, subscribe_status_string="accept", popup_scene=1),)},
        id="subscribe_msg_popup_event-1-item",
    ),
    pytest.param(
        "subscribe_msg_change_event",
        f"<SubscribeMsgChangeEvent><List><TemplateId><![CDATA[{TPL_B}]]></TemplateId>"
        "<SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString></List></SubscribeMsgChangeEvent>",
        SubscribeMsgChangeEvent,
        "on_subscribe_msg_change_event",
        {"items": (SubscribeMsgChangeItem(template_id=TPL_B, subscribe_status_string="reject"),)},
        id="subscribe_msg_change_event-1-item",
    ),
    pytest.param(
        "subscribe_msg_change_event",
        f"<SubscribeMsgChangeEvent><List><TemplateId><![CDATA[{TPL_A}]]></TemplateId>"
        "<SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString></List>"
        f"<List><TemplateId><![CDATA[{TPL_B}]]></TemplateId>"
        "<SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString></List></SubscribeMsgChangeEvent>",
        SubscribeMsgChangeEvent,
        "on_subscribe_msg_change_event",
        {
            "items": (
                SubscribeMsgChangeItem(template_id=TPL_A, subscribe_status_string="reject"),
                SubscribeMsgChangeItem(template_id=TPL_B, subscribe_status_string="reject"),
            )
        },
        id="subscribe_msg_change_event-2-items",
    ),
    pytest.param(
        "subscribe_msg_sent_event",
        f"<SubscribeMsgSentEvent><List><TemplateId><![CDATA[{TPL_A}]]></TemplateId>"
        "<MsgID>1864323726461255680</MsgID><ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List>"
        "</SubscribeMsgSentEvent>",
        SubscribeMsgSentEvent,
        "on_subscribe_msg_sent_event",
        {
            "items": (
                SubscribeMsgSentItem(
                    template_id=TPL_A, msg_id="1864323726461255680", error_code=0, error_status="success"
                ),
            )
        },
        id="subscribe_msg_sent_event-1-item",
    ),
    pytest.param(
        "subscribe_msg_sent_event",
        f"<SubscribeMsgSentEvent><List><TemplateId><![CDATA[{TPL_A}]]></TemplateId>"
        "<MsgID>1864323726461255680</MsgID><ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List>"
        f"<List><TemplateId><![CDATA[{TPL_B}]]></TemplateId><MsgID>1864323726461255681</MsgID>"
        "<ErrorCode>43101</ErrorCode><ErrorStatus><![CDATA[fail:user refuse to accept the msg]]></ErrorStatus></List>"
        "</SubscribeMsgSentEvent>",
        SubscribeMsgSentEvent,
        "on_subscribe_msg_sent_event",
        {
            "items": (
                SubscribeMsgSentItem(
                    template_id=TPL_A, msg_id="1864323726461255680", error_code=0, error_status="success"
                ),
                SubscribeMsgSentItem(
                    template_id=TPL_B,
                    msg_id="1864323726461255681",
                    error_code=43101,
                    error_status="fail:user refuse to accept the msg",
                ),
            )
        },
        id="subscribe_msg_sent_event-2-items",
    ),
    pytest.param(
        "kf_create_session",
        "<KfAccount><![CDATA[lily@gh_3a1f9c2b7d40]]></KfAccount>",
        KfCreateSessionEvent,
        "on_kf_create_session",
        {"kf_account": "lily@gh_3a1f9c2b7d40"},
        id="kf_create_session",
    ),
    pytest.param(
        "kf_close_session",
        "<KfAccount><![CDATA[lily@gh_3a1f9c2b7d40]]></KfAccount>",
        KfCloseSessionEvent,
        "on_kf_close_session",
        {"kf_account": "lily@gh_3a1f9c2b7d40"},
        id="kf_close_session",
    ),
    pytest.param(
        "kf_switch_session",
        "<FromKfAccount><![CDATA[lily@gh_3a1f9c2b7d40]]></FromKfAccount>"
        "<ToKfAccount><![CDATA[tom@gh_3a1f9c2b7d40]]></ToKfAccount>",
        KfSwitchSessionEvent,
        "on_kf_switch_session",
        {"from_kf_account": "lily@gh_3a1f9c2b7d40", "to_kf_account": "tom@gh_3a1f9c2b7d40"},
        id="kf_switch_session",
    ),
    pytest.param(
        "PUBLISHJOBFINISH",
        "<PublishEventInfo><publish_id>2247503051</publish_id><publish_status>0</publish_status>"
        "<article_id><![CDATA[Xq7nL0cRkDGd1mUYZb-3sA]]></article_id><article_detail><count>1</count>"
        f"<item><idx>1</idx><article_url><![CDATA[{ART_1}]]></article_url></item></article_detail></PublishEventInfo>",
        PublishJobFinishEvent,
        "on_publish_job_finish",
        {
            "publish_event_info": PublishEventInfo(
                publish_id="2247503051",
                publish_status=0,
                article_id="Xq7nL0cRkDGd1mUYZb-3sA",
                article_detail=ArticleDetail(count=1, items=(PublishedArticle(idx=1, article_url=ART_1),)),
                fail_idx=(),
            )
        },
        id="publish_job_finish-1-article",
    ),
    pytest.param(
        "PUBLISHJOBFINISH",
        "<PublishEventInfo><publish_id>2247503052</publish_id><publish_status>0</publish_status>"
        "<article_id><![CDATA[Yr8oM1dSlEHe2nVZac-4tB]]></article_id><article_detail><count>2</count>"
        f"<item><idx>1</idx><article_url><![CDATA[{ART_1}]]></article_url></item>"
        f"<item><idx>2</idx><article_url><![CDATA[{ART_2}]]></article_url></item></article_detail></PublishEventInfo>",
        PublishJobFinishEvent,
        "on_publish_job_finish",
        {
            "publish_event_info": PublishEventInfo(
                publish_id="2247503052",
                publish_status=0,
                article_id="Yr8oM1dSlEHe2nVZac-4tB",
                article_detail=ArticleDetail(
                    count=2,
                    items=(PublishedArticle(idx=1, article_url=ART_1), PublishedArticle(idx=2, article_url=ART_2)),
                ),
            )
        },
        id="publish_job_finish-2-articles",
    ),
    pytest.param(
        "PUBLISHJOBFINISH",
        "<PublishEventInfo><publish_id>2247503053</publish_id><publish_status>2</publish_status>"
        "<fail_idx>1</fail_idx><fail_idx>3</fail_idx></PublishEventInfo>",
        PublishJobFinishEvent,
        "on_publish_job_finish",
        {
            "publish_event_info": PublishEventInfo(
                publish_id="2247503053", publish_status=2, article_id="", article_detail=None, fail_idx=(1, 3)
            )
        },
        id="publish_job_finish-2-failures",
    ),
    pytest.param(
        "PUBLISHJOBFINISH",
        "<PublishEventInfo><publish_id>2247503054</publish_id><publish_status>4</publish_status>"
        "<fail_idx>2</fail_idx></PublishEventInfo>",
        PublishJobFinishEvent,
        "on_publish_job_finish",
        {"publish_event_info": PublishEventInfo(publish_id="2247503054", publish_status=4, fail_idx=(2,))},
        id="publish_job_finish-1-failure",
    ),
    pytest.param(
        "qualification_verify_success",
        "<ExpiredTime>1749539520</ExpiredTime>",
        QualificationVerifySuccessEvent,
        "on_qualification_verify_success",
        {"expired_time": 1749539520},
        id="qualification_verify_success",
    ),
    pytest.param(
        "qualification_verify_fail",
        "<FailTime>1718003400</FailTime><FailReason><![CDATA[营业执照信息与主体不符]]></FailReason>",
        QualificationVerifyFailEvent,
        "on_qualification_verify_fail",
        {"fail_time": 1718003400, "fail_reason": "营业执照信息与主体不符"},
        id="qualification_verify_fail",
    ),
    pytest.param(
        "naming_verify_success",
        "<ExpiredTime>1749539521</ExpiredTime>",
        NamingVerifySuccessEvent,
        "on_naming_verify_success",
        {"expired_time": 1749539521},
        id="naming_verify_success",
    ),
    pytest.param(
        "naming_verify_fail",
        "<FailTime>1718003401</FailTime><FailReason><![CDATA[by time]]></FailReason>",
        NamingVerifyFailEvent,
        "on_naming_verify_fail",
        {"fail_time": 1718003401, "fail_reason": "by time"},
        id="naming_verify_fail",
    ),
    pytest.param(
        "annual_renew",
        "<ExpiredTime>1749539522</ExpiredTime>",
        AnnualRenewEvent,
        "on_annual_renew",
        {"expired_time": 1749539522},
        id="annual_renew",
    ),
    pytest.param(
        "verify_expired",
        "<ExpiredTime>1749539523</ExpiredTime>",
        VerifyExpiredEvent,
        "on_verify_expired",
        {"expired_time": 1749539523},
        id="verify_expired",
    ),
]


@pytest.mark.parametrize(("event", "body", "cls", "handler", "fields"), CASES)
def test_parse_event(event: str, body: str, cls: type[Event], handler: str, fields: dict[str, Any]) -> None:
    data = parse_xml(push(event, body))
    ev = official_registry.parse(data)
    assert type(ev) is cls
    assert isinstance(ev, Event)
    assert ev.handler == handler
    assert cls.wx_type == event
    assert (ev.to_user_name, ev.from_user_name, ev.create_time, ev.msg_type, ev.event) == (
        TO_USER,
        FROM_USER,
        CREATE_TIME,
        "event",
        event,
    )
    for name, expected in fields.items():
        assert getattr(ev, name) == expected, name
    assert ev.raw is data
    extra = data.get("EventKey") or data.get("MsgID") or ""
    base = f"{FROM_USER}:{CREATE_TIME}:{event}"
    assert ev.dedup_key == (f"{base}:{extra}" if extra and isinstance(extra, str) else base)


@pytest.mark.parametrize(("event", "body", "cls", "handler", "fields"), CASES)
def test_events_and_nested_objects_are_frozen(
    event: str, body: str, cls: type[Event], handler: str, fields: dict[str, Any]
) -> None:
    ev = parse(push(event, body))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ev.event = "changed"
    for value in fields.values():
        for obj in value if isinstance(value, tuple) else (value,):
            if attrs.has(type(obj)):
                with pytest.raises(attrs.exceptions.FrozenInstanceError):
                    setattr(obj, attrs.fields(type(obj))[0].name, "changed")


def test_every_event_class_is_registered_and_tested() -> None:
    tested = {p.values[2] for p in CASES}
    assert tested == set(EVENT_CLASSES)
    assert {c.wx_type.lower() for c in EVENT_CLASSES} == set(official_registry.events)
    assert len({c.handler for c in EVENT_CLASSES}) == len(EVENT_CLASSES)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("spell", [str.lower, str.upper, str.swapcase], ids=["lower", "upper", "swapcase"])
def test_event_matching_is_case_insensitive(cls: type[Event], spell: Any) -> None:
    ev = parse(push(spell(cls.wx_type)))
    assert type(ev) is cls
    assert ev.event == spell(cls.wx_type)


@pytest.mark.parametrize(
    "xml",
    [
        pytest.param(push("user_pay_from_pay_cell", "<TransId><![CDATA[4200002]]></TransId>"), id="unknown-event"),
        pytest.param(push("", "<TransId><![CDATA[4200002]]></TransId>"), id="empty-event"),
        pytest.param(push("x").replace("<Event><![CDATA[x]]></Event>", ""), id="missing-event"),
    ],
)
def test_unknown_event_keeps_raw(xml: str) -> None:
    data = parse_xml(xml)
    ev = official_registry.parse(data)
    assert type(ev) is UnknownEvent
    assert ev.handler == "on_unknown"
    assert ev.raw is data
    assert (ev.from_user_name, ev.create_time) == (FROM_USER, CREATE_TIME)


def test_unknown_event_extra_fields_in_raw() -> None:
    ev = parse(push("user_pay_from_pay_cell", "<TransId><![CDATA[4200002]]></TransId><Fee>100</Fee>"))
    assert type(ev) is UnknownEvent
    assert ev.event == "user_pay_from_pay_cell"
    assert ev.raw["TransId"] == "4200002"
    assert ev.raw["Fee"] == "100"


def test_missing_nested_elements_take_defaults() -> None:
    ev = parse(push("PUBLISHJOBFINISH"))
    assert ev.publish_event_info is None
    info = parse(push("PUBLISHJOBFINISH", "<PublishEventInfo><publish_status>1</publish_status></PublishEventInfo>"))
    assert info.publish_event_info == PublishEventInfo(publish_status=1)
    assert parse(push("scancode_push")).scan_code_info is None
    assert parse(push("subscribe_msg_popup_event")).items == ()
    assert parse(push("subscribe_msg_popup_event", "<SubscribeMsgPopupEvent></SubscribeMsgPopupEvent>")).items == ()
    assert parse(push("LOCATION")).latitude == 0.0


def test_location_select_aliases() -> None:
    body = (
        "<SendLocationInfo><Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y>"
        "<Scale>15</Scale><Label><![CDATA[广州市海珠区]]></Label><Poiname><![CDATA[]]></Poiname></SendLocationInfo>"
    )
    info = parse(push("location_select", body)).send_location_info
    assert (info.latitude, info.longitude, info.poiname) == (23.134521, 113.358803, "")


@pytest.mark.parametrize(
    ("event", "body"),
    [
        pytest.param("MASSSENDJOBFINISH", "<TotalCount>abc</TotalCount>", id="top-level-int"),
        pytest.param("TEMPLATESENDJOBFINISH", "<MsgID><x>1</x></MsgID>", id="msg-id-not-text"),
        pytest.param("LOCATION", "<Latitude>north</Latitude>", id="float"),
        pytest.param("pic_sysphoto", "<SendPicsInfo><Count>one</Count></SendPicsInfo>", id="nested-int"),
        pytest.param(
            "MASSSENDJOBFINISH",
            "<CopyrightCheckResult><ResultList><item><ArticleIdx>x</ArticleIdx></item></ResultList></CopyrightCheckResult>",
            id="nested-list-int",
        ),
        pytest.param(
            "subscribe_msg_popup_event",
            "<SubscribeMsgPopupEvent><List><PopupScene>h5</PopupScene></List></SubscribeMsgPopupEvent>",
            id="list-item-int",
        ),
        pytest.param(
            "PUBLISHJOBFINISH", "<PublishEventInfo><fail_idx>first</fail_idx></PublishEventInfo>", id="int-list"
        ),
        pytest.param("annual_renew", "<ExpiredTime>soon</ExpiredTime>", id="timestamp"),
        pytest.param("scancode_push", "<ScanCodeInfo>qrcode</ScanCodeInfo>", id="text-instead-of-elements"),
        pytest.param("pic_weixin", "<SendPicsInfo><PicList>x</PicList></SendPicsInfo>", id="text-instead-of-items"),
        pytest.param(
            "PUBLISHJOBFINISH",
            "<PublishEventInfo><article_detail><item>x</item></article_detail></PublishEventInfo>",
            id="text-instead-of-article",
        ),
        pytest.param("CLICK", "<EventKey><a>1</a></EventKey>", id="elements-instead-of-text"),
    ],
)
def test_malformed_field_raises_parse_error(event: str, body: str) -> None:
    with pytest.raises(ParseError):
        parse(push(event, body))

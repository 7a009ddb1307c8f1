"""Typed WeCom messages and events: parsing, ChangeType sub-dispatch, fallbacks, errors, end to end."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import wxkit.work.messages as wm
from wxkit.crypto import MessageCrypto
from wxkit.errors import ParseError
from wxkit.events import (
    ClickEvent,
    Event,
    LocationEvent,
    LocationSelectEvent,
    PicItem,
    PicPhotoOrAlbumEvent,
    PicSysPhotoEvent,
    PicWeixinEvent,
    ScanCodeInfo,
    ScanCodePushEvent,
    ScanCodeWaitMsgEvent,
    SendLocationInfo,
    SendPicsInfo,
    SubscribeEvent,
    UnknownEvent,
    UnsubscribeEvent,
    ViewEvent,
    ViewMiniProgramEvent,
)
from wxkit.messages import (
    ImageMessage,
    LinkMessage,
    LocationMessage,
    Message,
    TextMessage,
    UnknownMessage,
    VideoMessage,
    VoiceMessage,
)
from wxkit.work import WorkApplication
from wxkit.xmlcodec import parse_xml

CORP_ID = "wx49f0ab532d5d035a"
TOKEN = "123456"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
USER = "zhangsan"
CREATE_TIME = 1718003520


def msg(msg_type: str, body: str = "", *, agent: str = "<AgentID>1000002</AgentID>") -> str:
    """A decrypted WeCom message push."""
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{USER}]]></FromUserName>"
        f"<CreateTime>{CREATE_TIME}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"{body}<MsgId>1234567890123456</MsgId>{agent}</xml>"
    )


def ev(event: str, body: str = "", *, agent: str = "<AgentID>1000002</AgentID>", sender: str = USER) -> str:
    """A decrypted WeCom event push."""
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{CREATE_TIME}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event>{body}{agent}</xml>"
    )


def contact(change_type: str, body: str = "") -> str:
    """A ``change_contact`` push (sent by ``sys``, without AgentID)."""
    return ev("change_contact", f"<ChangeType>{change_type}</ChangeType>{body}", agent="", sender="sys")


def parse(xml: str) -> Any:
    return wm.work_registry.parse(parse_xml(xml))


def pics(*md5: str) -> str:
    items = "".join(f"<item><PicMd5Sum><![CDATA[{m}]]></PicMd5Sum></item>" for m in md5)
    info = f"<SendPicsInfo><Count>{len(md5)}</Count><PicList>{items}</PicList></SendPicsInfo>"
    return f"<EventKey><![CDATA[6]]></EventKey>{info}"


USER_FIELDS = (
    "<UserID><![CDATA[zhangsan]]></UserID><Name><![CDATA[张三]]></Name>"
    "<Department><![CDATA[1,2,3]]></Department><MainDepartment>1</MainDepartment>"
    "<IsLeaderInDept><![CDATA[1,0,0]]></IsLeaderInDept><DirectLeader><![CDATA[lisi,wangwu]]></DirectLeader>"
    "<Position><![CDATA[产品经理]]></Position><Mobile>13800000000</Mobile><Gender>1</Gender>"
    "<Email><![CDATA[zhangsan@gzdev.com]]></Email><BizMail><![CDATA[zhangsan@corp.wecom.work]]></BizMail>"
    "<Status>1</Status><Avatar><![CDATA[http://wx.qlogo.cn/a/0]]></Avatar><Alias><![CDATA[zs]]></Alias>"
    "<Telephone><![CDATA[020-123456]]></Telephone><Address><![CDATA[广州市]]></Address>"
    "<ExtAttr><Item><Name><![CDATA[爱好]]></Name><Type>0</Type><Text><Value><![CDATA[旅游]]></Value></Text></Item>"
    "<Item><Name><![CDATA[卡号]]></Name><Type>1</Type><Web><Title><![CDATA[企业微信]]></Title>"
    "<Url><![CDATA[https://work.weixin.qq.com]]></Url></Web></Item></ExtAttr>"
)
USER_VALUES: dict[str, Any] = {
    "change_type": "",  # filled per case
    "user_id": "zhangsan",
    "name": "张三",
    "department": (1, 2, 3),
    "main_department": 1,
    "is_leader_in_dept": (1, 0, 0),
    "direct_leader": ("lisi", "wangwu"),
    "position": "产品经理",
    "mobile": "13800000000",
    "gender": 1,
    "email": "zhangsan@gzdev.com",
    "biz_mail": "zhangsan@corp.wecom.work",
    "status": 1,
    "avatar": "http://wx.qlogo.cn/a/0",
    "alias": "zs",
    "telephone": "020-123456",
    "address": "广州市",
    "ext_attr": (
        wm.WorkExtAttr(name="爱好", type=0, text=wm.WorkExtAttrText(value="旅游")),
        wm.WorkExtAttr(name="卡号", type=1, web=wm.WorkExtAttrWeb(title="企业微信", url="https://work.weixin.qq.com")),
    ),
    "agent_id": 0,
    "from_user_name": "sys",
}

APPROVAL_ITEM = (
    "<Item><ItemName><![CDATA[xiaohong]]></ItemName><ItemUserId><![CDATA[2]]></ItemUserId>"
    "<ItemImage><![CDATA[http://www.qq.com/xxx.png]]></ItemImage><ItemStatus>1</ItemStatus>"
    "<ItemSpeech><![CDATA[]]></ItemSpeech><ItemOpTime>0</ItemOpTime></Item>"
)
APPROVAL_XML = (
    "<ApprovalInfo><ThirdNo><![CDATA[201806010001]]></ThirdNo><OpenSpName><![CDATA[付款]]></OpenSpName>"
    "<OpenTemplateId><![CDATA[1234567890]]></OpenTemplateId><OpenSpStatus>1</OpenSpStatus>"
    "<ApplyTime>1527837645</ApplyTime><ApplyUserName><![CDATA[xiaoming]]></ApplyUserName>"
    "<ApplyUserId><![CDATA[1]]></ApplyUserId><ApplyUserParty><![CDATA[产品部]]></ApplyUserParty>"
    "<ApplyUserImage><![CDATA[http://www.qq.com/xxx.png]]></ApplyUserImage><ApprovalNodes>"
    f"<ApprovalNode><NodeStatus>1</NodeStatus><NodeAttr>1</NodeAttr><NodeType>1</NodeType><Items>{APPROVAL_ITEM}"
    "</Items></ApprovalNode>"
    f"<ApprovalNode><NodeStatus>2</NodeStatus><NodeAttr>2</NodeAttr><NodeType>2</NodeType><Items>{APPROVAL_ITEM}"
    "<Item><ItemName><![CDATA[xiaoli]]></ItemName><ItemUserId><![CDATA[4]]></ItemUserId>"
    "<ItemParty><![CDATA[财务部]]></ItemParty><ItemStatus>2</ItemStatus><ItemSpeech><![CDATA[同意]]></ItemSpeech>"
    "<ItemOpTime>1527838000</ItemOpTime></Item></Items></ApprovalNode></ApprovalNodes>"
    "<NotifyNodes><NotifyNode><ItemName><![CDATA[xiaogang]]></ItemName><ItemUserId><![CDATA[3]]></ItemUserId>"
    "<ItemImage><![CDATA[http://www.qq.com/xxx.png]]></ItemImage></NotifyNode></NotifyNodes>"
    "<approverstep>1</approverstep></ApprovalInfo>"
)
HONG = wm.WorkApprovalItem(
    item_name="xiaohong", item_user_id="2", item_image="http://www.qq.com/xxx.png", item_status=1
)
APPROVAL = wm.WorkApprovalInfo(
    third_no="201806010001",
    open_sp_name="付款",
    open_template_id="1234567890",
    open_sp_status=1,
    apply_time=1527837645,
    apply_user_name="xiaoming",
    apply_user_id="1",
    apply_user_party="产品部",
    apply_user_image="http://www.qq.com/xxx.png",
    approval_nodes=(
        wm.WorkApprovalNode(node_status=1, node_attr=1, node_type=1, items=(HONG,)),
        wm.WorkApprovalNode(
            node_status=2,
            node_attr=2,
            node_type=2,
            items=(
                HONG,
                wm.WorkApprovalItem(
                    item_name="xiaoli",
                    item_user_id="4",
                    item_party="财务部",
                    item_status=2,
                    item_speech="同意",
                    item_op_time=1527838000,
                ),
            ),
        ),
    ),
    notify_nodes=(wm.WorkApprovalItem(item_name="xiaogang", item_user_id="3", item_image="http://www.qq.com/xxx.png"),),
    approver_step=1,
)

CARD_HEAD = (
    "<EventKey><![CDATA[key111]]></EventKey><TaskId><![CDATA[taskid111]]></TaskId>"
    "<ResponseCode><![CDATA[rc-abc]]></ResponseCode>"
)
SELECTED = (
    "<SelectedItems><SelectedItem><QuestionKey><![CDATA[q1]]></QuestionKey><OptionIds>"
    "<OptionId><![CDATA[o1]]></OptionId><OptionId><![CDATA[o2]]></OptionId></OptionIds></SelectedItem>"
    "<SelectedItem><QuestionKey><![CDATA[q2]]></QuestionKey><OptionIds><OptionId><![CDATA[o3]]></OptionId>"
    "</OptionIds></SelectedItem></SelectedItems>"
)
CARD_VALUES = {"event_key": "key111", "task_id": "taskid111", "response_code": "rc-abc", "agent_id": 1000002}

# (xml, class, handler, expected field values)
CASES: dict[str, tuple[str, type, str, dict[str, Any]]] = {
    "text": (
        msg("text", "<Content><![CDATA[this is a test]]></Content>"),
        wm.WorkTextMessage,
        "on_text",
        {"content": "this is a test", "msg_id": "1234567890123456", "agent_id": 1000002, "from_user_name": USER},
    ),
    "image": (
        msg("image", "<PicUrl><![CDATA[http://p/1.jpg]]></PicUrl><MediaId><![CDATA[media_id]]></MediaId>"),
        wm.WorkImageMessage,
        "on_image",
        {"pic_url": "http://p/1.jpg", "media_id": "media_id", "agent_id": 1000002},
    ),
    "voice": (
        msg("voice", "<MediaId><![CDATA[media_id]]></MediaId><Format><![CDATA[amr]]></Format>"),
        wm.WorkVoiceMessage,
        "on_voice",
        {"media_id": "media_id", "format": "amr", "agent_id": 1000002},
    ),
    "video": (
        msg("video", "<MediaId><![CDATA[m]]></MediaId><ThumbMediaId><![CDATA[t]]></ThumbMediaId>"),
        wm.WorkVideoMessage,
        "on_video",
        {"media_id": "m", "thumb_media_id": "t", "agent_id": 1000002},
    ),
    "location": (
        msg(
            "location",
            "<Location_X>23.134</Location_X><Location_Y>113.358</Location_Y><Scale>20</Scale>"
            "<Label><![CDATA[位置信息]]></Label><AppType><![CDATA[wxwork]]></AppType>",
        ),
        wm.WorkLocationMessage,
        "on_location",
        {"latitude": 23.134, "longitude": 113.358, "scale": 20, "label": "位置信息", "app_type": "wxwork"},
    ),
    "link": (
        msg(
            "link",
            "<Title><![CDATA[标题]]></Title><Description><![CDATA[描述]]></Description>"
            "<Url><![CDATA[https://u]]></Url><PicUrl><![CDATA[https://pic]]></PicUrl>",
        ),
        wm.WorkLinkMessage,
        "on_link",
        {"title": "标题", "description": "描述", "url": "https://u", "pic_url": "https://pic", "agent_id": 1000002},
    ),
    "subscribe": (ev("subscribe"), wm.WorkSubscribeEvent, "on_subscribe", {"agent_id": 1000002, "event": "subscribe"}),
    "unsubscribe": (ev("unsubscribe"), wm.WorkUnsubscribeEvent, "on_unsubscribe", {"agent_id": 1000002}),
    "enter_agent": (
        ev("enter_agent", "<EventKey><![CDATA[]]></EventKey>"),
        wm.WorkEnterAgentEvent,
        "on_enter_agent",
        {"event_key": "", "agent_id": 1000002},
    ),
    "LOCATION": (
        ev(
            "LOCATION",
            "<Latitude>23.104</Latitude><Longitude>113.320</Longitude><Precision>65.000</Precision>"
            "<AppType><![CDATA[wxwork]]></AppType>",
        ),
        wm.WorkLocationEvent,
        "on_location_update",
        {"latitude": 23.104, "longitude": 113.32, "precision": 65.0, "app_type": "wxwork", "agent_id": 1000002},
    ),
    "batch_job_result": (
        ev(
            "batch_job_result",
            "<BatchJob><JobId><![CDATA[S0Mrnnd]]></JobId><JobType><![CDATA[sync_user]]></JobType>"
            "<ErrCode>0</ErrCode><ErrMsg><![CDATA[ok]]></ErrMsg></BatchJob>",
            agent="",
            sender="sys",
        ),
        wm.WorkBatchJobResultEvent,
        "on_batch_job_result",
        {"batch_job": wm.WorkBatchJob(job_id="S0Mrnnd", job_type="sync_user", err_code=0, err_msg="ok"), "agent_id": 0},
    ),
    "create_user": (
        contact("create_user", USER_FIELDS),
        wm.WorkCreateUserEvent,
        "on_change_contact_create_user",
        {**USER_VALUES, "change_type": "create_user"},
    ),
    "update_user": (
        contact("update_user", USER_FIELDS + "<NewUserID><![CDATA[zhangsan001]]></NewUserID>"),
        wm.WorkUpdateUserEvent,
        "on_change_contact_update_user",
        {**USER_VALUES, "change_type": "update_user", "new_user_id": "zhangsan001"},
    ),
    "update_user_minimal": (  # 2022-08-15+ callbacks: only UserID and Department
        contact("update_user", "<UserID><![CDATA[lisi]]></UserID><Department><![CDATA[5]]></Department>"),
        wm.WorkUpdateUserEvent,
        "on_change_contact_update_user",
        {"user_id": "lisi", "department": (5,), "name": "", "ext_attr": (), "direct_leader": (), "new_user_id": ""},
    ),
    "delete_user": (
        contact("delete_user", "<UserID><![CDATA[zhangsan]]></UserID>"),
        wm.WorkDeleteUserEvent,
        "on_change_contact_delete_user",
        {"user_id": "zhangsan", "change_type": "delete_user", "agent_id": 0},
    ),
    "create_party": (
        contact(
            "create_party",
            "<Id>2</Id><Name><![CDATA[张三]]></Name><ParentId><![CDATA[1]]></ParentId><Order>1</Order>",
        ),
        wm.WorkCreatePartyEvent,
        "on_change_contact_create_party",
        {"id": 2, "name": "张三", "parent_id": 1, "order": 1},
    ),
    "update_party": (
        contact("update_party", "<Id>2</Id><Name><![CDATA[研发部]]></Name><ParentId><![CDATA[3]]></ParentId>"),
        wm.WorkUpdatePartyEvent,
        "on_change_contact_update_party",
        {"id": 2, "name": "研发部", "parent_id": 3},
    ),
    "delete_party": (
        contact("delete_party", "<Id>2</Id>"),
        wm.WorkDeletePartyEvent,
        "on_change_contact_delete_party",
        {"id": 2, "change_type": "delete_party"},
    ),
    "update_tag": (
        contact(
            "update_tag",
            "<TagId>1</TagId><AddUserItems><![CDATA[zhangsan,lisi]]></AddUserItems>"
            "<DelUserItems><![CDATA[zhangsan1]]></DelUserItems><AddPartyItems><![CDATA[1,2]]></AddPartyItems>"
            "<DelPartyItems><![CDATA[]]></DelPartyItems>",
        ),
        wm.WorkUpdateTagEvent,
        "on_change_contact_update_tag",
        {
            "tag_id": 1,
            "add_user_items": ("zhangsan", "lisi"),
            "del_user_items": ("zhangsan1",),
            "add_party_items": (1, 2),
            "del_party_items": (),
        },
    ),
    "click": (
        ev("click", "<EventKey><![CDATA[EVENTKEY]]></EventKey>"),
        wm.WorkClickEvent,
        "on_click",
        {"event_key": "EVENTKEY", "agent_id": 1000002},
    ),
    "view": (
        ev("view", "<EventKey><![CDATA[https://work.weixin.qq.com]]></EventKey>"),
        wm.WorkViewEvent,
        "on_view",
        {
            "event_key": "https://work.weixin.qq.com",
            "url": "https://work.weixin.qq.com",
            "menu_id": "",
            "agent_id": 1000002,
        },
    ),
    "view_miniprogram": (
        ev("view_miniprogram", "<EventKey><![CDATA[pages/index/index]]></EventKey>"),
        wm.WorkViewMiniProgramEvent,
        "on_view_miniprogram",
        {"event_key": "pages/index/index", "page_path": "pages/index/index", "menu_id": "", "agent_id": 1000002},
    ),
    "scancode_push": (
        ev(
            "scancode_push",
            "<EventKey><![CDATA[6]]></EventKey><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>"
            "<ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>",
        ),
        wm.WorkScanCodePushEvent,
        "on_scancode_push",
        {"event_key": "6", "scan_code_info": ScanCodeInfo(scan_type="qrcode", scan_result="1")},
    ),
    "scancode_waitmsg": (
        ev(
            "scancode_waitmsg",
            "<EventKey><![CDATA[6]]></EventKey><ScanCodeInfo><ScanType><![CDATA[barcode]]></ScanType>"
            "<ScanResult><![CDATA[EAN_13,6901234567892]]></ScanResult></ScanCodeInfo>",
        ),
        wm.WorkScanCodeWaitMsgEvent,
        "on_scancode_waitmsg",
        {"scan_code_info": ScanCodeInfo(scan_type="barcode", scan_result="EAN_13,6901234567892")},
    ),
    "pic_sysphoto_one": (
        ev("pic_sysphoto", pics("1b5f7c23b5bf75682a53e7b6d163e185")),
        wm.WorkPicSysPhotoEvent,
        "on_pic_sysphoto",
        {
            "event_key": "6",
            "send_pics_info": SendPicsInfo(
                count=1, pic_list=(PicItem(pic_md5_sum="1b5f7c23b5bf75682a53e7b6d163e185"),)
            ),
        },
    ),
    "pic_photo_or_album_two": (
        ev("pic_photo_or_album", pics("aa", "bb")),
        wm.WorkPicPhotoOrAlbumEvent,
        "on_pic_photo_or_album",
        {"send_pics_info": SendPicsInfo(count=2, pic_list=(PicItem(pic_md5_sum="aa"), PicItem(pic_md5_sum="bb")))},
    ),
    "pic_weixin": (
        ev("pic_weixin", pics("5a75aaca956d97be686719218f275c6b")),
        wm.WorkPicWeixinEvent,
        "on_pic_weixin",
        {"agent_id": 1000002},
    ),
    "location_select": (
        ev(
            "location_select",
            "<EventKey><![CDATA[6]]></EventKey><SendLocationInfo><Location_X><![CDATA[23]]></Location_X>"
            "<Location_Y><![CDATA[113]]></Location_Y><Scale><![CDATA[15]]></Scale>"
            "<Label><![CDATA[ 广州市海珠区客村艺苑路 106号]]></Label><Poiname><![CDATA[]]></Poiname>"
            "</SendLocationInfo><AppType><![CDATA[wxwork]]></AppType>",
        ),
        wm.WorkLocationSelectEvent,
        "on_location_select",
        {
            "event_key": "6",
            "app_type": "wxwork",
            "send_location_info": SendLocationInfo(
                location_x=23.0, location_y=113.0, scale=15, label=" 广州市海珠区客村艺苑路 106号", poiname=""
            ),
        },
    ),
    "open_approval_change": (
        ev("open_approval_change", APPROVAL_XML, sender="sys"),
        wm.WorkOpenApprovalChangeEvent,
        "on_open_approval_change",
        {"approval_info": APPROVAL, "agent_id": 1000002},
    ),
    "kf_msg_or_event": (
        ev("kf_msg_or_event", "<Token><![CDATA[ENCApHxnG]]></Token><OpenKfId><![CDATA[wkAJ2GCAAA]]></OpenKfId>"),
        wm.WorkKfMsgOrEvent,
        "on_kf_msg_or_event",
        {"token": "ENCApHxnG", "open_kfid": "wkAJ2GCAAA", "agent_id": 1000002},
    ),
    "share_agent_change": (
        ev("share_agent_change", sender="sys"),
        wm.WorkShareAgentChangeEvent,
        "on_share_agent_change",
        {"agent_id": 1000002},
    ),
    "template_card_event": (
        ev("template_card_event", CARD_HEAD + "<CardType><![CDATA[multiple_interaction]]></CardType>" + SELECTED),
        wm.WorkTemplateCardEvent,
        "on_template_card_event",
        {
            **CARD_VALUES,
            "card_type": "multiple_interaction",
            "selected_items": (
                wm.WorkSelectedItem(question_key="q1", option_ids=("o1", "o2")),
                wm.WorkSelectedItem(question_key="q2", option_ids=("o3",)),
            ),
        },
    ),
    "template_card_event_button": (
        ev("template_card_event", CARD_HEAD + "<CardType><![CDATA[button_interaction]]></CardType>"),
        wm.WorkTemplateCardEvent,
        "on_template_card_event",
        {**CARD_VALUES, "card_type": "button_interaction", "selected_items": ()},
    ),
    "template_card_menu_event": (
        ev("template_card_menu_event", CARD_HEAD + "<CardType><![CDATA[text_notice]]></CardType>"),
        wm.WorkTemplateCardMenuEvent,
        "on_template_card_menu_event",
        {**CARD_VALUES, "card_type": "text_notice"},
    ),
}


@pytest.mark.parametrize(("xml", "cls", "handler", "fields"), list(CASES.values()), ids=list(CASES))
def test_parse(xml: str, cls: type, handler: str, fields: dict[str, Any]) -> None:
    obj = parse(xml)
    assert type(obj) is cls
    assert obj.handler == handler == cls.handler
    assert obj.to_user_name == CORP_ID
    assert obj.create_time == CREATE_TIME
    for name, value in fields.items():
        assert getattr(obj, name) == value, name
    assert obj.raw == parse_xml(xml)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        obj.agent_id = 2


def test_every_registered_class_has_a_case_and_agent_id() -> None:
    covered = {cls for _, cls, _, _ in CASES.values()}
    assert covered == set(wm.WORK_CLASSES) - {wm.WorkChangeContactEvent}
    for cls in (*wm.WORK_CLASSES, wm.WorkUnknownMessage, wm.WorkUnknownEvent):
        assert "agent_id" in attrs.fields_dict(cls), cls
        assert cls.__doc__
    events = [cls for cls in wm.WORK_CLASSES if issubclass(cls, Event)]
    assert len({cls.wx_type.lower() for cls in events}) == len(events)  # no class shadows another


#: wx_type and handler of every registered class: the registry must keep them exactly.
REGISTERED: dict[type, tuple[str, str]] = {
    wm.WorkTextMessage: ("text", "on_text"),
    wm.WorkImageMessage: ("image", "on_image"),
    wm.WorkVoiceMessage: ("voice", "on_voice"),
    wm.WorkVideoMessage: ("video", "on_video"),
    wm.WorkLocationMessage: ("location", "on_location"),
    wm.WorkLinkMessage: ("link", "on_link"),
    wm.WorkSubscribeEvent: ("subscribe", "on_subscribe"),
    wm.WorkUnsubscribeEvent: ("unsubscribe", "on_unsubscribe"),
    wm.WorkEnterAgentEvent: ("enter_agent", "on_enter_agent"),
    wm.WorkLocationEvent: ("LOCATION", "on_location_update"),
    wm.WorkBatchJobResultEvent: ("batch_job_result", "on_batch_job_result"),
    wm.WorkChangeContactEvent: ("change_contact", "on_change_contact"),
    wm.WorkCreateUserEvent: ("change_contact:create_user", "on_change_contact_create_user"),
    wm.WorkUpdateUserEvent: ("change_contact:update_user", "on_change_contact_update_user"),
    wm.WorkDeleteUserEvent: ("change_contact:delete_user", "on_change_contact_delete_user"),
    wm.WorkCreatePartyEvent: ("change_contact:create_party", "on_change_contact_create_party"),
    wm.WorkUpdatePartyEvent: ("change_contact:update_party", "on_change_contact_update_party"),
    wm.WorkDeletePartyEvent: ("change_contact:delete_party", "on_change_contact_delete_party"),
    wm.WorkUpdateTagEvent: ("change_contact:update_tag", "on_change_contact_update_tag"),
    wm.WorkClickEvent: ("click", "on_click"),
    wm.WorkViewEvent: ("view", "on_view"),
    wm.WorkViewMiniProgramEvent: ("view_miniprogram", "on_view_miniprogram"),
    wm.WorkScanCodePushEvent: ("scancode_push", "on_scancode_push"),
    wm.WorkScanCodeWaitMsgEvent: ("scancode_waitmsg", "on_scancode_waitmsg"),
    wm.WorkPicSysPhotoEvent: ("pic_sysphoto", "on_pic_sysphoto"),
    wm.WorkPicPhotoOrAlbumEvent: ("pic_photo_or_album", "on_pic_photo_or_album"),
    wm.WorkPicWeixinEvent: ("pic_weixin", "on_pic_weixin"),
    wm.WorkLocationSelectEvent: ("location_select", "on_location_select"),
    wm.WorkOpenApprovalChangeEvent: ("open_approval_change", "on_open_approval_change"),
    wm.WorkShareAgentChangeEvent: ("share_agent_change", "on_share_agent_change"),
    wm.WorkKfMsgOrEvent: ("kf_msg_or_event", "on_kf_msg_or_event"),
    wm.WorkTemplateCardEvent: ("template_card_event", "on_template_card_event"),
    wm.WorkTemplateCardMenuEvent: ("template_card_menu_event", "on_template_card_menu_event"),
}


def test_registry_covers_every_wecom_type_with_its_wx_type_and_handler() -> None:
    assert {cls: (cls.wx_type, cls.handler) for cls in wm.WORK_CLASSES} == REGISTERED
    registry = wm.work_registry
    expected_events = {wx_type.lower(): cls for cls, (wx_type, _) in REGISTERED.items() if issubclass(cls, Event)}
    expected_messages = {wx_type: cls for cls, (wx_type, _) in REGISTERED.items() if issubclass(cls, Message)}
    assert registry.events == expected_events
    assert registry.messages == expected_messages
    assert (registry.unknown_message, registry.unknown_event) == (wm.WorkUnknownMessage, wm.WorkUnknownEvent)
    assert wm.WorkUnknownMessage.handler == wm.WorkUnknownEvent.handler == "on_unknown"


def test_all_is_sorted_and_complete() -> None:
    assert wm.__all__ == sorted(wm.__all__)
    public = {n for n, v in vars(wm).items() if isinstance(v, type) and v.__module__ == wm.__name__}
    assert public <= set(wm.__all__)
    assert all(hasattr(wm, n) for n in wm.__all__)


@pytest.mark.parametrize(
    ("xml", "cls"),
    [
        (ev("CLICK", "<EventKey>k</EventKey>"), wm.WorkClickEvent),
        (ev("Enter_Agent"), wm.WorkEnterAgentEvent),
        (ev("location", "<Latitude>1.5</Latitude>"), wm.WorkLocationEvent),
        (ev("TEMPLATE_CARD_EVENT"), wm.WorkTemplateCardEvent),
        (ev("Change_Contact", "<ChangeType>CREATE_USER</ChangeType>"), wm.WorkCreateUserEvent),
    ],
)
def test_event_match_is_case_insensitive(xml: str, cls: type) -> None:
    obj = parse(xml)
    assert type(obj) is cls
    assert obj.event == parse_xml(xml)["Event"]  # kept as sent


@pytest.mark.parametrize(
    "xml",
    [
        contact("create_chain", "<UserID><![CDATA[u1]]></UserID>"),
        ev("change_contact", agent="", sender="sys"),  # no ChangeType at all
    ],
    ids=["unknown", "missing"],
)
def test_unknown_change_type_falls_back_to_generic_change_contact(xml: str) -> None:
    obj = parse(xml)
    assert type(obj) is wm.WorkChangeContactEvent
    assert obj.handler == "on_change_contact"
    assert obj.raw == parse_xml(xml)


def test_unknown_change_type_keeps_fields_in_raw() -> None:
    obj = parse(contact("create_chain", "<UserID><![CDATA[u1]]></UserID>"))
    assert obj.change_type == "create_chain"
    assert obj.raw["UserID"] == "u1"


def test_unknown_event_and_message() -> None:
    event = parse(ev("future_event", "<Token><![CDATA[ENCApHxnG]]></Token>"))
    assert type(event) is wm.WorkUnknownEvent
    assert event.handler == "on_unknown"
    assert event.agent_id == 1000002
    assert event.event == "future_event"
    assert event.raw["Token"] == "ENCApHxnG"
    message = parse(msg("file", "<MediaId>m</MediaId>"))
    assert type(message) is wm.WorkUnknownMessage
    assert message.handler == "on_unknown"
    assert (message.agent_id, message.msg_id, message.raw["MediaId"]) == (1000002, "1234567890123456", "m")


@pytest.mark.parametrize(
    ("cls", "parents"),
    [
        (wm.WorkTextMessage, (TextMessage, Message)),
        (wm.WorkImageMessage, (ImageMessage,)),
        (wm.WorkVoiceMessage, (VoiceMessage,)),
        (wm.WorkVideoMessage, (VideoMessage,)),
        (wm.WorkLocationMessage, (LocationMessage,)),
        (wm.WorkLinkMessage, (LinkMessage,)),
        (wm.WorkUnknownMessage, (Message,)),
        (wm.WorkUnknownMessage, (UnknownMessage,)),
        (wm.WorkSubscribeEvent, (SubscribeEvent, Event)),
        (wm.WorkUnsubscribeEvent, (UnsubscribeEvent, Event)),
        (wm.WorkLocationEvent, (LocationEvent, Event)),
        (wm.WorkClickEvent, (ClickEvent, Event)),
        (wm.WorkViewEvent, (ViewEvent, Event)),
        (wm.WorkViewMiniProgramEvent, (ViewMiniProgramEvent, Event)),
        (wm.WorkScanCodePushEvent, (ScanCodePushEvent, Event)),
        (wm.WorkScanCodeWaitMsgEvent, (ScanCodeWaitMsgEvent, Event)),
        (wm.WorkPicSysPhotoEvent, (PicSysPhotoEvent, Event)),
        (wm.WorkPicPhotoOrAlbumEvent, (PicPhotoOrAlbumEvent, Event)),
        (wm.WorkPicWeixinEvent, (PicWeixinEvent, Event)),
        (wm.WorkLocationSelectEvent, (LocationSelectEvent, Event)),
        (wm.WorkCreateUserEvent, (wm.WorkUserChangeEvent, wm.WorkChangeContactEvent, Event)),
        (wm.WorkUpdateUserEvent, (wm.WorkUserChangeEvent, wm.WorkChangeContactEvent)),
        (wm.WorkDeleteUserEvent, (wm.WorkChangeContactEvent,)),
        (wm.WorkCreatePartyEvent, (wm.WorkChangeContactEvent,)),
        (wm.WorkUpdateTagEvent, (wm.WorkChangeContactEvent,)),
        (wm.WorkUnknownEvent, (UnknownEvent, Event)),
    ],
)
def test_class_relationships(cls: type, parents: tuple[type, ...]) -> None:
    assert all(issubclass(cls, p) for p in parents)
    assert not issubclass(cls, Event) or not issubclass(cls, Message)


@pytest.mark.parametrize(
    ("name", "parent"),
    [
        ("scancode_push", ScanCodePushEvent),
        ("scancode_waitmsg", ScanCodeWaitMsgEvent),
        ("pic_sysphoto_one", PicSysPhotoEvent),
        ("pic_photo_or_album_two", PicPhotoOrAlbumEvent),
        ("pic_weixin", PicWeixinEvent),
        ("location_select", LocationSelectEvent),
        ("LOCATION", LocationEvent),
        ("click", ClickEvent),
        ("view", ViewEvent),
        ("view_miniprogram", ViewMiniProgramEvent),
        ("unsubscribe", UnsubscribeEvent),
    ],
)
def test_wecom_menu_and_location_events_are_official_account_events(name: str, parent: type[Event]) -> None:
    """A parsed WeCom event is an instance of its official-account class, nested structures included."""
    xml = CASES[name][0]
    work_event = parse(xml)
    assert work_event.agent_id == 1000002
    assert isinstance(work_event, parent)
    assert work_event.handler == parent.handler
    assert work_event.wx_type.lower() == parent.wx_type.lower()
    official = parent.from_dict(parse_xml(xml))
    for field in attrs.fields(parent):
        assert getattr(work_event, field.name) == getattr(official, field.name), field.name


def test_nested_menu_structures_are_the_official_account_classes() -> None:
    scan = parse(CASES["scancode_push"][0]).scan_code_info
    sent = parse(CASES["pic_photo_or_album_two"][0]).send_pics_info
    where = parse(CASES["location_select"][0]).send_location_info
    assert type(scan) is ScanCodeInfo
    assert type(sent) is SendPicsInfo
    assert {type(p) for p in sent.pic_list} == {PicItem}
    assert type(where) is SendLocationInfo
    assert (where.latitude, where.longitude) == (23.0, 113.0)
    for removed in ("WorkScanCodeInfo", "WorkSendPicsInfo", "WorkPicItem", "WorkSendLocationInfo"):
        assert not hasattr(wm, removed)


def test_update_user_is_not_a_create_user() -> None:
    assert not issubclass(wm.WorkUpdateUserEvent, wm.WorkCreateUserEvent)


@pytest.mark.parametrize(
    "xml",
    [
        msg("text", "<Content>x</Content>", agent="<AgentID>x</AgentID>"),
        ev("subscribe", agent="<AgentID>x</AgentID>"),
        ev("LOCATION", "<Latitude>north</Latitude>"),
        contact("create_user", "<Department><![CDATA[1,x]]></Department>"),
        contact("update_tag", "<AddPartyItems><![CDATA[1,,b]]></AddPartyItems>"),
        ev("batch_job_result", "<BatchJob>flat</BatchJob>"),
        ev("batch_job_result", "<BatchJob><ErrCode>ok</ErrCode></BatchJob>"),
        ev("template_card_event", "<SelectedItems><SelectedItem>x</SelectedItem></SelectedItems>"),
        ev(
            "template_card_event",
            "<SelectedItems><SelectedItem><OptionIds>x</OptionIds></SelectedItem></SelectedItems>",
        ),
        ev("open_approval_change", "<ApprovalInfo><approverstep>first</approverstep></ApprovalInfo>"),
        ev("change_contact", "<ChangeType><Nested>x</Nested></ChangeType>"),
    ],
)
def test_malformed_values_raise_parse_error(xml: str) -> None:
    with pytest.raises(ParseError):
        parse(xml)


def test_empty_and_missing_values_take_defaults() -> None:
    obj = parse(contact("create_user", "<Department></Department><ExtAttr></ExtAttr><MainDepartment></MainDepartment>"))
    assert (obj.user_id, obj.department, obj.ext_attr, obj.main_department, obj.agent_id) == ("", (), (), 0, 0)
    assert parse(ev("batch_job_result")).batch_job is None
    assert parse(ev("open_approval_change")).approval_info is None
    card = parse(
        ev(
            "template_card_event",
            "<SelectedItems><SelectedItem><QuestionKey>q</QuestionKey></SelectedItem></SelectedItems>",
        )
    )
    assert card.selected_items == (wm.WorkSelectedItem(question_key="q"),)


def test_ext_attr_value() -> None:
    text, web = parse(contact("create_user", USER_FIELDS)).ext_attr
    assert (text.value, web.value, wm.WorkExtAttr(name="n").value) == ("旅游", "https://work.weixin.qq.com", "")


def test_dedup_keys_tell_same_second_pushes_apart() -> None:
    created = [parse(contact("create_user", f"<UserID>u{i}</UserID>")) for i in range(2)]
    deleted = parse(contact("delete_user", "<UserID>u0</UserID>"))
    parties = [parse(contact("delete_party", f"<Id>{i}</Id>")) for i in range(2)]
    jobs = [parse(ev("batch_job_result", f"<BatchJob><JobId>j{i}</JobId></BatchJob>", sender="sys")) for i in range(2)]
    keys = {o.dedup_key for o in (*created, deleted, *parties, *jobs)}
    assert len(keys) == 7
    assert created[0].dedup_key == parse(contact("create_user", "<UserID>u0</UserID>")).dedup_key
    approvals = [
        parse(ev("open_approval_change", f"<ApprovalInfo><ThirdNo>{n}</ThirdNo></ApprovalInfo>")) for n in "ab"
    ]
    assert approvals[0].dedup_key != approvals[1].dedup_key
    assert parse(ev("click")).dedup_key == f"{USER}:{CREATE_TIME}:click"


# --------------------------------------------------------------------------- end to end


def encrypted_push(crypto: MessageCrypto, xml: str, timestamp: str = "1718003520") -> tuple[dict[str, str], str]:
    enc = crypto.encrypt(xml)
    nonce = "1372623149"
    params = {"msg_signature": crypto.signature(timestamp, nonce, enc), "timestamp": timestamp, "nonce": nonce}
    body = (
        f"<xml><ToUserName><![CDATA[corp]]></ToUserName><AgentID>1</AgentID><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    )
    return params, body


def decrypt_reply(crypto: MessageCrypto, reply: str) -> dict[str, Any]:
    envelope = parse_xml(reply)
    crypto.check_signature(envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"], envelope["Encrypt"])
    return parse_xml(crypto.decrypt(envelope["Encrypt"]))


def test_work_application_end_to_end() -> None:
    seen: list[Any] = []

    class App(WorkApplication):
        def on_change_contact_create_user(self, message: wm.WorkCreateUserEvent) -> str:
            seen.append(message)
            return f"welcome {message.name}"

        def on_change_contact(self, message: wm.WorkChangeContactEvent) -> str:
            seen.append(message)
            return "generic"

    app = App(token=TOKEN, corp_id=CORP_ID, aes_key=AES_KEY, timestamp_window=None)
    crypto = MessageCrypto(TOKEN, AES_KEY, CORP_ID)

    reply = app.process(*encrypted_push(crypto, contact("create_user", USER_FIELDS)))
    (event,) = seen
    assert type(event) is wm.WorkCreateUserEvent
    assert (event.user_id, event.department, event.ext_attr[1].web.url) == (
        "zhangsan",
        (1, 2, 3),
        "https://work.weixin.qq.com",
    )
    inner = decrypt_reply(crypto, reply)
    assert inner["MsgType"] == "text"
    assert inner["Content"] == "welcome 张三"
    assert (inner["ToUserName"], inner["FromUserName"]) == ("sys", CORP_ID)

    reply = app.process(*encrypted_push(crypto, contact("create_chain", "<ChainId>c</ChainId>")))
    assert type(seen[-1]) is wm.WorkChangeContactEvent
    assert decrypt_reply(crypto, reply)["Content"] == "generic"


def test_work_application_welcome_reply_for_member_subscribe() -> None:
    class App(WorkApplication):
        welcome_reply = "hi"

    app = App(token=TOKEN, corp_id=CORP_ID, aes_key=AES_KEY, timestamp_window=None)
    crypto = MessageCrypto(TOKEN, AES_KEY, CORP_ID)
    reply = app.process(*encrypted_push(crypto, ev("subscribe")))
    assert decrypt_reply(crypto, reply)["Content"] == "hi"


def test_work_application_unknown_pushes_reach_on_unknown() -> None:
    seen: list[Any] = []

    class App(WorkApplication):
        def on_unknown(self, message: Any) -> str:
            seen.append(message)
            return "unknown"

    app = App(token=TOKEN, corp_id=CORP_ID, aes_key=AES_KEY, timestamp_window=None)
    crypto = MessageCrypto(TOKEN, AES_KEY, CORP_ID)
    for xml in (ev("future_event", "<Token>t</Token>"), msg("file", "<MediaId>m</MediaId>")):
        reply = app.process(*encrypted_push(crypto, xml))
        assert decrypt_reply(crypto, reply)["Content"] == "unknown"
    assert [type(m) for m in seen] == [wm.WorkUnknownEvent, wm.WorkUnknownMessage]

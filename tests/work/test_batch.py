"""WorkClient.batch over real HTTP against the emulator, sync and async: CSV imports and their results."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit import APIError
from wxkit.testing.work import CorpState
from wxkit.work import BatchJobResult

USERS_CSV = (
    "姓名,帐号,手机号,邮箱,所在部门,职位\nCarol,carol,13800000003,,2,QA\nAlice A,alice,,,1,\nNo Dept,dan,,,404,\n"
)
PARTIES_CSV = "部门名称,部门ID,父部门ID,排序\nR&D,2,1,1\nLab,5,2,2\nLost,6,99,0\n"


def _upload(client: Any, text: str) -> str:
    media_id: str = client.media.upload("file", ("import.csv", text.encode("utf-8"))).media_id
    return media_id


def test_sync_users_reports_each_row(contacts_client: Any, corp: CorpState) -> None:
    jobid = contacts_client.batch.sync_users(_upload(contacts_client, USERS_CSV), to_invite=False)
    result = contacts_client.batch.get_result(jobid)
    assert isinstance(result, BatchJobResult)
    assert result.done
    assert result.type == "sync_user"
    assert result.total == 3
    assert result.percentage == 100
    assert [(row["userid"], row["errcode"]) for row in result.failures] == [("dan", 60003)]
    assert corp.users["carol"]["department"] == [2]
    assert corp.users["alice"]["name"] == "Alice A"
    assert "bob" in corp.users  # sync leaves the others alone


def test_replace_users_and_departments(contacts_client: Any, corp: CorpState) -> None:
    jobid = contacts_client.batch.replace_users(_upload(contacts_client, USERS_CSV))
    assert contacts_client.batch.get_result(jobid).type == "replace_user"
    assert sorted(corp.users) == ["alice", "carol"]
    jobid = contacts_client.batch.replace_departments(_upload(contacts_client, PARTIES_CSV))
    result = contacts_client.batch.get_result(jobid)
    assert result.type == "replace_party"
    assert [r["partyid"] for r in result.failures] == [6]
    assert sorted(corp.departments) == [1, 2, 5]


def test_refusals(contacts_client: Any, work_client: Any) -> None:
    cases = [
        (lambda: contacts_client.batch.sync_users("no-such-media"), 40007),
        (lambda: contacts_client.batch.get_result("no-such-job"), 40058),
        (lambda: work_client.batch.sync_users(_upload(work_client, USERS_CSV)), 60011),
    ]
    for call, errcode in cases:
        with pytest.raises(APIError) as info:
            call()
        assert info.value.errcode == errcode

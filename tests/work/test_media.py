"""WorkClient.media over real HTTP against the emulator, sync and async: upload, streamed download, uploads by URL."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from wxkit import APIError, InvalidArgumentError
from wxkit.testing.work import CorpState
from wxkit.work import UploadByUrlResult, UploadedMedia

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_upload_and_download(work_client: Any, corp: CorpState, tmp_path: Path) -> None:
    media = work_client.media.upload("image", ("logo.png", PNG))
    assert isinstance(media, UploadedMedia)
    assert media.type == "image"
    assert media.media_id
    assert media.created_at > 0
    assert isinstance(media.raw["created_at"], str)  # text on the wire, an int here
    assert work_client.media.download(media.media_id) == PNG
    target = tmp_path / "out.png"
    info = work_client.media.download(media.media_id, target)
    assert info["size"] == len(PNG)
    assert info["filename"] == "logo.png"
    assert target.read_bytes() == PNG
    buffer = io.BytesIO()
    work_client.media.download(media.media_id, buffer)
    assert buffer.getvalue() == PNG
    source = tmp_path / "report.txt"
    source.write_bytes(b"quarterly")
    assert work_client.media.upload("file", source).type == "file"


def test_upload_image_and_refusals(work_client: Any) -> None:
    url = work_client.media.upload_image(("pic.png", PNG))
    assert url.startswith("http")
    assert "/wwpic/" in url
    with pytest.raises(InvalidArgumentError):
        work_client.media.upload("thumb", ("a.png", PNG))
    with pytest.raises(APIError) as empty:
        work_client.media.upload("file", ("empty.txt", b""))
    assert empty.value.errcode == 44001
    with pytest.raises(APIError) as unknown:
        work_client.media.download("no-such-media")
    assert unknown.value.errcode == 40007


def test_upload_by_url(work_client: Any) -> None:
    jobid = work_client.media.upload_by_url("https://example.com/big.mp4", "big.mp4", "0" * 32)
    result = work_client.media.get_upload_by_url_result(jobid)
    assert isinstance(result, UploadByUrlResult)
    assert result.done
    assert result.status == 2
    assert result.media_id
    assert result.errcode == 0
    with pytest.raises(APIError) as bad_md5:
        work_client.media.upload_by_url("https://example.com/big.mp4", "big.mp4", "nope", media_type="file")
    assert bad_md5.value.errcode == 40058
    with pytest.raises(InvalidArgumentError):
        work_client.media.upload_by_url("https://example.com/a.png", "a.png", "0" * 32, media_type="image")
    with pytest.raises(APIError) as unknown:
        work_client.media.get_upload_by_url_result("no-such-job")
    assert unknown.value.errcode == 40058

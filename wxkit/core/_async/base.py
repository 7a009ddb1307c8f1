"""Base class of the API groups of every platform client, and the helpers they share.

Besides ``_get`` / ``_post``, :class:`BaseAPI` gives every group the same way
to read a field a success answer promises (:meth:`BaseAPI._field`), to upload
a file (:meth:`BaseAPI._upload`, never re-sent) and to stream a download
(:meth:`BaseAPI._download`). Files to upload are an :data:`UploadFile`,
downloads go to a :data:`DownloadTarget`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, TypeVar, overload

from ...errors import TransportError
from ..redact import redact_url

if TYPE_CHECKING:
    from .client import AsyncBaseClient

__all__ = ["AsyncBaseAPI", "DownloadTarget", "UploadFile"]

#: A file to upload: a path, a binary file object, or ``(filename, bytes or binary file object)``.
UploadFile = str | os.PathLike[str] | IO[bytes] | tuple[str, bytes | IO[bytes]]
#: Where a download goes: a path (created or truncated) or a binary file object (written to).
DownloadTarget = str | os.PathLike[str] | IO[bytes]

_T = TypeVar("_T")


class AsyncBaseAPI:
    """An API group: a thin, typed layer of endpoint methods over the client's ``get`` / ``post``.

    Written once as ``async def`` (this source); the sync ``BaseAPI`` and
    every sync group are generated from it (:mod:`wxkit._unasync`).
    """

    def __init__(self, client: AsyncBaseClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    async def _get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        return await self._client.get(path, params=params, **kwargs)

    async def _post(self, path: str, json: Any = None, **kwargs: Any) -> dict[str, Any]:
        return await self._client.post(path, json=json, **kwargs)

    def _field(
        self, answer: Mapping[str, Any], name: str, kind: Callable[[Any], _T], *, path: str, method: str = "POST"
    ) -> _T:
        """``answer[name]`` as ``kind`` (``str``, ``int``, ``dict`` ...), from a successful ``METHOD path``.

        A success answer without the field the endpoint promises (or with an
        empty one, or one that ``kind`` refuses) is a broken exchange, not a
        bad argument: it raises :class:`~wxkit.errors.TransportError` naming
        the field and the call, never a ``KeyError``.
        """
        value = answer.get(name)
        if value is not None and value != "":
            try:
                return kind(value)
            except (TypeError, ValueError, OverflowError):  # OverflowError: int(Infinity)
                pass
        url = self._client.http.url(path)
        raise TransportError(f"{method} {url} answered without a valid {name!r}", method=method, url=url)

    async def _upload(
        self,
        path: str,
        file: UploadFile,
        *,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        default_name: str = "media",
    ) -> dict[str, Any]:
        """``POST`` ``file`` as the multipart part ``media`` (plus form ``data``); never re-sent.

        A path is opened and closed here; a file object without a ``name`` is
        sent as ``default_name``. The content type is guessed from the name.
        """
        with _open_upload(file, default_name=default_name) as part:
            return await self._client.post(path, params=params, files={"media": part}, data=data)

    @overload
    async def _download(
        self,
        method: str,
        path: str,
        dest: DownloadTarget,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]: ...

    @overload
    async def _download(
        self,
        method: str,
        path: str,
        dest: None,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any] | bytes: ...

    async def _download(
        self,
        method: str,
        path: str,
        dest: DownloadTarget | None,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any] | bytes:
        """Send a download call; return WeChat's JSON, the bytes (``dest`` None) or what was written.

        A JSON answer (an errcode raises, a video answers a URL) is returned as
        is and nothing is written. Otherwise the body is streamed to ``dest``
        in chunks and ``{"size", "content_type", "filename"}`` is returned; a
        path left half-written by a failure is removed. What is returned or
        written is bounded by the client's ``max_download_size`` (WeChat's
        media are 10 MB at most) and the call's deadline covers the whole
        download.
        """
        client = self._client
        http = client.http
        response, decoded = await client.send(method, path, params=params, json=json, idempotent=True, stream=True)
        if decoded is not None:
            return decoded
        safe_url = redact_url(client.http.url(path), params)
        info = {
            "size": 0,
            "content_type": response.headers.get("Content-Type", ""),
            "filename": _disposition_filename(response.headers.get("Content-Disposition", "")),
        }
        try:
            if dest is None:
                return await http.read(response, max_size=http.max_download_size, method=method, url=safe_url)
            chunks = http.aiter_body(response, max_size=http.max_download_size, method=method, url=safe_url)
            if isinstance(dest, (str, os.PathLike)):
                try:
                    with open(dest, "wb") as handle:
                        info["size"] = await _copy(chunks, handle)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.remove(dest)
                    raise
            else:
                info["size"] = await _copy(chunks, dest)
        finally:
            await http.aclose_response(response)
        return info


@contextlib.contextmanager
def _open_upload(file: UploadFile, *, default_name: str) -> Iterator[tuple[str, bytes | IO[bytes], str]]:
    """Yield the multipart ``(filename, content, content type)`` for ``file``; a path is opened and closed."""
    if isinstance(file, tuple):
        filename, content = file
        yield filename, content, _guess_type(filename)
    elif isinstance(file, (str, os.PathLike)):
        filename = os.path.basename(os.fspath(file))
        with open(file, "rb") as handle:
            yield filename, handle, _guess_type(filename)
    elif hasattr(file, "read"):
        name = getattr(file, "name", None)
        filename = os.path.basename(name) if isinstance(name, str) and name else default_name
        yield filename, file, _guess_type(filename)
    else:
        raise TypeError(f"cannot upload a {type(file).__name__}: give a path, a binary file or (filename, bytes)")


def _guess_type(filename: str) -> str:
    import mimetypes  # on the first upload, not at import

    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _disposition_filename(value: str) -> str:
    if not value:
        return ""
    from email.message import Message  # on the first download that names its file, not at import

    message = Message()
    message["Content-Disposition"] = value
    return message.get_filename() or ""


async def _copy(chunks: AsyncIterator[bytes], handle: IO[bytes]) -> int:
    size = 0
    async for chunk in chunks:
        handle.write(chunk)
        size += len(chunk)
    return size

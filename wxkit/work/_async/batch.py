"""Asynchronous contacts imports (异步批量接口): sync / replace members and departments from a CSV.

Upload the CSV with ``client.media.upload("file", ...)``, start the job with
its ``media_id``, then poll :meth:`AsyncBatchAPI.get_result` (or handle the
``batch_job_result`` callback) until ``result.done``; ``result.failures``
lists the rows WeCom refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import BatchJobResult
from ._base import AsyncWorkAPI

__all__ = ["AsyncBatchAPI"]


class AsyncBatchAPI(AsyncWorkAPI):
    """``client.batch``: contacts import jobs and their results."""

    async def sync_users(
        self, media_id: str, *, to_invite: bool = True, callback: Mapping[str, Any] | None = None
    ) -> str:
        """Add or update the members of the CSV: ``POST /cgi-bin/batch/syncuser``; return the jobid."""
        return await self._job("/cgi-bin/batch/syncuser", media_id, to_invite, callback)

    async def replace_users(
        self, media_id: str, *, to_invite: bool = True, callback: Mapping[str, Any] | None = None
    ) -> str:
        """Make the members exactly the CSV's (others removed): ``POST /cgi-bin/batch/replaceuser``."""
        return await self._job("/cgi-bin/batch/replaceuser", media_id, to_invite, callback)

    async def replace_departments(self, media_id: str, *, callback: Mapping[str, Any] | None = None) -> str:
        """Make the departments exactly the CSV's: ``POST /cgi-bin/batch/replaceparty``; return the jobid."""
        return await self._job("/cgi-bin/batch/replaceparty", media_id, None, callback)

    async def get_result(self, jobid: str) -> BatchJobResult:
        """A job's status and, once done, its per-row results: ``GET /cgi-bin/batch/getresult``."""
        path = "/cgi-bin/batch/getresult"
        answer = await self._get(path, {"jobid": jobid})
        return self._model(BatchJobResult.from_dict, answer, path=path, method="GET")

    async def _job(self, path: str, media_id: str, to_invite: bool | None, callback: Mapping[str, Any] | None) -> str:
        body: dict[str, Any] = {"media_id": media_id}
        if to_invite is not None:
            body["to_invite"] = to_invite
        if callback is not None:
            body["callback"] = dict(callback)
        answer = await self._post(path, body)
        return self._field(answer, "jobid", str, path=path)

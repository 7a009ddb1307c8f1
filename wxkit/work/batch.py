"""Asynchronous contacts imports (异步批量接口): sync / replace members and departments from a CSV.

Upload the CSV with ``client.media.upload("file", ...)``, start the job with
its ``media_id``, then poll :meth:`BatchAPI.get_result` (or handle the
``batch_job_result`` callback) until ``result.done``; ``result.failures``
lists the rows WeCom refused.
"""
# Generated from wxkit/work/_async/batch.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._base import WorkAPI
from .models import BatchJobResult

__all__ = ["BatchAPI"]


class BatchAPI(WorkAPI):
    """``client.batch``: contacts import jobs and their results."""

    def sync_users(self, media_id: str, *, to_invite: bool = True, callback: Mapping[str, Any] | None = None) -> str:
        """Add or update the members of the CSV: ``POST /cgi-bin/batch/syncuser``; return the jobid."""
        return self._job("/cgi-bin/batch/syncuser", media_id, to_invite, callback)

    def replace_users(self, media_id: str, *, to_invite: bool = True, callback: Mapping[str, Any] | None = None) -> str:
        """Make the members exactly the CSV's (others removed): ``POST /cgi-bin/batch/replaceuser``."""
        return self._job("/cgi-bin/batch/replaceuser", media_id, to_invite, callback)

    def replace_departments(self, media_id: str, *, callback: Mapping[str, Any] | None = None) -> str:
        """Make the departments exactly the CSV's: ``POST /cgi-bin/batch/replaceparty``; return the jobid."""
        return self._job("/cgi-bin/batch/replaceparty", media_id, None, callback)

    def get_result(self, jobid: str) -> BatchJobResult:
        """A job's status and, once done, its per-row results: ``GET /cgi-bin/batch/getresult``."""
        path = "/cgi-bin/batch/getresult"
        answer = self._get(path, {"jobid": jobid})
        return self._model(BatchJobResult.from_dict, answer, path=path, method="GET")

    def _job(self, path: str, media_id: str, to_invite: bool | None, callback: Mapping[str, Any] | None) -> str:
        body: dict[str, Any] = {"media_id": media_id}
        if to_invite is not None:
            body["to_invite"] = to_invite
        if callback is not None:
            body["callback"] = dict(callback)
        answer = self._post(path, body)
        return self._field(answer, "jobid", str, path=path)

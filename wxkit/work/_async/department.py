"""Departments (部门管理): create, read, update, delete and list (60123 for an unknown department)."""

from __future__ import annotations

from typing import Any

from ..models import Department
from ._base import AsyncWorkAPI

__all__ = ["AsyncDepartmentAPI"]


class AsyncDepartmentAPI(AsyncWorkAPI):
    """``client.department``: the corp's departments (the root is id 1)."""

    async def create(
        self,
        name: str,
        parentid: int = 1,
        *,
        id: int | None = None,
        name_en: str | None = None,
        order: int | None = None,
    ) -> int:
        """Add a department under ``parentid``: ``POST /cgi-bin/department/create``; return its id."""
        path = "/cgi-bin/department/create"
        body: dict[str, Any] = {"name": name, "parentid": parentid}
        if id is not None:
            body["id"] = id
        if name_en is not None:
            body["name_en"] = name_en
        if order is not None:
            body["order"] = order
        answer = await self._post(path, body)
        return self._field(answer, "id", int, path=path)

    async def update(self, id: int, **fields: Any) -> None:
        """Change a department's ``fields`` (``name``, ``parentid``, ``order`` ...): ``POST department/update``."""
        await self._post("/cgi-bin/department/update", {**fields, "id": id})

    async def delete(self, id: int) -> None:
        """Remove an empty department (no members, no sub-departments): ``GET /cgi-bin/department/delete``."""
        await self._get("/cgi-bin/department/delete", {"id": id})

    async def get(self, id: int) -> Department:
        """One department: ``GET /cgi-bin/department/get``."""
        path = "/cgi-bin/department/get"
        answer = await self._get(path, {"id": id})
        return self._model(Department.from_dict, answer.get("department"), path=path, method="GET")

    async def detailed_list(self, id: int | None = None) -> list[Department]:
        """A department and all below it (every one without ``id``): ``GET /cgi-bin/department/list``."""
        path = "/cgi-bin/department/list"
        answer = await self._get(path, {"id": id} if id is not None else None)
        return self._models(Department.from_dict, answer.get("department"), path=path, method="GET")

    async def simple_list(self, id: int | None = None) -> list[Department]:
        """The ids, parents and orders only: ``GET /cgi-bin/department/simplelist``."""
        path = "/cgi-bin/department/simplelist"
        answer = await self._get(path, {"id": id} if id is not None else None)
        return self._models(Department.from_dict, answer.get("department_id"), path=path, method="GET")

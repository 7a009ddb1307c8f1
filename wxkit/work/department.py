"""Departments (部门管理): create, read, update, delete and list (60123 for an unknown department)."""
# Generated from wxkit/work/_async/department.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from typing import Any

from ._base import WorkAPI
from .models import Department

__all__ = ["DepartmentAPI"]


class DepartmentAPI(WorkAPI):
    """``client.department``: the corp's departments (the root is id 1)."""

    def create(
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
        answer = self._post(path, body)
        return self._field(answer, "id", int, path=path)

    def update(self, id: int, **fields: Any) -> None:
        """Change a department's ``fields`` (``name``, ``parentid``, ``order`` ...): ``POST department/update``."""
        self._post("/cgi-bin/department/update", {**fields, "id": id})

    def delete(self, id: int) -> None:
        """Remove an empty department (no members, no sub-departments): ``GET /cgi-bin/department/delete``."""
        self._get("/cgi-bin/department/delete", {"id": id})

    def get(self, id: int) -> Department:
        """One department: ``GET /cgi-bin/department/get``."""
        path = "/cgi-bin/department/get"
        answer = self._get(path, {"id": id})
        return self._model(Department.from_dict, answer.get("department"), path=path, method="GET")

    def detailed_list(self, id: int | None = None) -> list[Department]:
        """A department and all below it (every one without ``id``): ``GET /cgi-bin/department/list``."""
        path = "/cgi-bin/department/list"
        answer = self._get(path, {"id": id} if id is not None else None)
        return self._models(Department.from_dict, answer.get("department"), path=path, method="GET")

    def simple_list(self, id: int | None = None) -> list[Department]:
        """The ids, parents and orders only: ``GET /cgi-bin/department/simplelist``."""
        path = "/cgi-bin/department/simplelist"
        answer = self._get(path, {"id": id} if id is not None else None)
        return self._models(Department.from_dict, answer.get("department_id"), path=path, method="GET")

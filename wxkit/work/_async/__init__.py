"""Async sources: the sync twins beside this package are generated from them (python -m wxkit._unasync)."""

__all__: list[str] = []

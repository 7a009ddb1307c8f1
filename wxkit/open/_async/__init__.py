"""The open platform's async source: ``AsyncComponent`` (the sync ``Component`` is generated from it)."""

__all__: list[str] = []

"""WeChat Pay. This release ships the v2 signature helpers (:mod:`wxkit.pay.v2`)."""

__all__: list[str] = []

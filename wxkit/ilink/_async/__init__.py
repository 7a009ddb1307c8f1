"""The async source of :mod:`wxkit.ilink` (the sync twins are generated from it by ``wxkit._unasync``)."""

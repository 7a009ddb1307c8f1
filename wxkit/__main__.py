"""``python -m wxkit`` runs the ``wxkit`` command."""

from .cli import main

raise SystemExit(main())

"""``python -m crmsim ...``: the same as the ``crmsim`` command."""

from crmsim.cli import main

raise SystemExit(main())

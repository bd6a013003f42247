"""``python -m crmsim ...``: the same as the ``crmsim`` command."""

from crmsim.commands import main

raise SystemExit(main())

"""``python -m sgdtails``: the same door as the ``sgdtails`` command."""
from sgdtails.cli import main

raise SystemExit(main())

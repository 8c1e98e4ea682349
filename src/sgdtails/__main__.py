from sgdtails.cli import main

raise SystemExit(main())

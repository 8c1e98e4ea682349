from heavytails.cli import main

raise SystemExit(main())

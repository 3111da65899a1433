from openmsp_agent.cli import main

raise SystemExit(main())

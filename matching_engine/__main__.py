from matching_engine.service import main

raise SystemExit(main())

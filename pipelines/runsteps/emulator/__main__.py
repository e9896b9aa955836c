"""``python -m runsteps.emulator``: serve the emulator in the foreground (see `cli.py`)."""

from .cli import main

raise SystemExit(main())

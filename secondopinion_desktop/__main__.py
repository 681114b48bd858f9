"""``python -m secondopinion_desktop`` does what the ``secondopinion`` command does."""

import sys

from secondopinion_desktop.cli import main

sys.exit(main())

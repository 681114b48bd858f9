"""``python -m secondopinion_desktop`` does what the ``secondopinion`` command does."""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()  # first: a packaged app's document-reader child starts through here

    import sys

    from secondopinion_desktop.cli import main

    sys.exit(main())

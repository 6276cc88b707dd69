"""``python -m lazyhook``: see ``lazyhook --help``."""

import sys

from ._cli import main

sys.exit(main())

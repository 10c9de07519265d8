"""``python -m advisor`` runs the same console script as ``advisor``."""

import sys

from advisor.cli import main

sys.exit(main())

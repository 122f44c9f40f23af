"""``python -m escapesim.service.cli``: the same as the ``escapesim`` console script."""

import sys

from escapesim.service.cli import main

sys.exit(main())

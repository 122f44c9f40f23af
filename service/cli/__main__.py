"""``python -m service.cli``: the same as the ``escapesim`` console script."""

import sys

from service.cli import main

sys.exit(main())

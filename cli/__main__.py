"""`python -m cli ...`: the `stripe-revenue` console script without installing it."""

import sys

from cli import main

sys.exit(main())

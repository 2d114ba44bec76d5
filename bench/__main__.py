"""Entry point: ``python -m bench [--reps N] [--quick] [--out FILE]``."""

import sys

from bench.run import main

sys.exit(main())

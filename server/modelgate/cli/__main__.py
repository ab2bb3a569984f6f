"""`python -m modelgate.cli`: the `modelgate` command without its console script."""

import sys

from modelgate.cli import main

sys.exit(main())

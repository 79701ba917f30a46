"""`python -m c5qa …` is the `c5qa` command."""

import sys

from c5qa.faces.cli import main

sys.exit(main())

"""Launch the C5+1 chat (also the entry point a Hugging Face Space runs)."""

import sys
from pathlib import Path

# Run from a plain checkout too (a Space installs the requirements, not this package).
sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from c5qa.faces.ui import serve
from c5qa.settings import load_settings

if __name__ == "__main__":
    serve(load_settings())

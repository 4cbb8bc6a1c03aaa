"""The DubScore corpus recipe for M2H2: see README.md beside this script.

.venv/bin/python examples/m2h2/run.py --smoke                  # offline, on the fixture tree (CI runs this)
.venv/bin/python examples/m2h2/run.py --dry-run --dataset-dir DIR ...   # print the full recipe's commands
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/corpus_recipe.py
    from corpus_recipe import main

    sys.exit(main("m2h2", sys.argv[1:]))

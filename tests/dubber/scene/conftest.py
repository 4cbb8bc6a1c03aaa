"""Scene-reading tests: make ``dubber.scene`` resolve to the package, not to this test folder.

``tests/dubber/scene`` has the same dotted path as the package ``dubber/scene``; under pytest's
default import mode the test folder can shadow it unless the repository root comes first on
``sys.path`` (the project-wide fix is ``pythonpath = ["."]`` in the pytest configuration).
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

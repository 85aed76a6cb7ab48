"""For the tests meson runs with /usr/bin/python3 on the clone's binding (python/rnnrt over
$RNNRT_LIB): exits 77 (skipped) when NumPy is missing, else puts python/ on the path.

    from clone_binding import ROOT, np, rnnrt
"""
import os
import sys

try:
    import numpy as np  # noqa: F401
except ImportError:
    print("skipped: NumPy is missing (apt-get install python3-numpy)")
    sys.exit(77)

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
import rnnrt  # noqa: E402,F401

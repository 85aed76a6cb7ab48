"""Runs a test under the interpreter that has the frameworks it checks against.

Debian has no onnxruntime and no Keras; tools/setup_peer_venv.sh puts them from PyPI into
.venv-peers/ over Debian's packages. A test started by meson with /usr/bin/python3 calls
need(): if the modules are missing here but .venv-peers/bin/python exists, the test runs
again under it (same arguments); if they are missing there too, need() returns the reason.
"""
import importlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_PYTHON = os.path.join(ROOT, ".venv-peers", "bin", "python")


def missing(modules):
    for m in modules:
        try:
            importlib.import_module(m)
        except Exception as e:  # ImportError, or a broken install
            return f"{m} ({type(e).__name__}: {e})"
    return None


def need(modules):
    """None when every module imports (after switching to .venv-peers/ if needed), else a
    sentence saying what is missing and how to install it."""
    gone = missing(modules)
    if gone is None:
        return None
    in_venv = os.path.realpath(sys.prefix) == os.path.realpath(os.path.dirname(
        os.path.dirname(VENV_PYTHON)))
    if not in_venv and os.access(VENV_PYTHON, os.X_OK) and \
            not os.environ.get("RNNRT_NO_PEER_VENV"):
        sys.stdout.flush()
        os.execv(VENV_PYTHON, [VENV_PYTHON] + sys.argv)
    return (f"{gone} cannot be imported; tools/setup_peer_venv.sh installs it into "
            ".venv-peers/ from PyPI")


def need_or_skip(modules):
    """need(), for a test that is nothing without the modules: exits with 77 (meson's
    skipped) and the reason when they are missing."""
    reason = need(modules)
    if reason:
        print("skipped: " + reason)
        sys.exit(77)

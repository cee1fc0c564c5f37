"""Where the installed native parts live, and which paths count as "not the user's code"."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def preload_library() -> Path:
    """The LD_PRELOAD agent (overridable for development builds)."""
    override = os.environ.get("PYROMETER_PRELOAD_LIB")
    return Path(override) if override else PACKAGE_DIR / "_lib" / "libpyrometer_preload.so"


def memory_library() -> Path:
    """The allocation shim, preloaded before the agent when memory is tracked."""
    override = os.environ.get("PYROMETER_MEMORY_LIB")
    return Path(override) if override else PACKAGE_DIR / "_lib" / "libpyrometer_memory.so"


def report_binary() -> Path:
    """The report generator executable (overridable for development builds)."""
    override = os.environ.get("PYROMETER_REPORT_BIN")
    return Path(override) if override else PACKAGE_DIR / "_bin" / "pyrometer-report"


def excluded_prefixes() -> list[str]:
    """Standard library, site-packages and pyrometer itself: not profiled unless --profile-all."""
    prefixes = {str(PACKAGE_DIR) + os.sep}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            prefixes.add(os.path.realpath(path) + os.sep)
            prefixes.add(path + os.sep)
    for name in ("site-packages", "dist-packages"):
        # Virtualenvs and Debian's dist-packages may sit outside sysconfig's paths.
        import site

        for path in list(getattr(site, "getsitepackages", lambda: [])()) + [site.getusersitepackages()]:
            if path and path.rstrip(os.sep).endswith(name):
                prefixes.add(path.rstrip(os.sep) + os.sep)
    return sorted(prefixes)

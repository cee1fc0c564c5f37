"""pyrometer: a line-level CPU and memory profiler for Python, with native stacks.

Run a program under it with ``pyrometer run app.py`` (or ``python -m pyrometer run``).
"""

__version__ = "0.1.0"
__all__ = ["__version__"]

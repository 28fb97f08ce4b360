"""The libgdfo version this binding was written against (include/gdfo/version.h).

Read without importing the package by the build (pyproject.toml); a test
checks it against include/gdfo/version.h.
"""
__version__ = "0.2.0"

"""The ``llm-extract`` command line (``extract`` and ``eval`` here, batch commands in ``batch``)."""

from .main import main

__all__ = ["main"]

"""Boilerplate rules: a small engine and rule packs kept as data (``packs/*.toml``)."""
from .engine import Cut, Findings, Pack, find_boilerplate, load_pack

__all__ = ["Cut", "Findings", "Pack", "find_boilerplate", "load_pack"]

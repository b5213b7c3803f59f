"""Oracles that answer label queries."""
from fastal.labelers.ideal_labeler import IdealLabeler
from fastal.labelers.interactive_labeler import InteractiveLabeler

__all__ = ["IdealLabeler", "InteractiveLabeler"]

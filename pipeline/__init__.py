"""Clean Vietnamese (and other) news corpora, and say exactly what was removed and why.

``luigi --module pipeline CleanAll`` imports this package; the tasks live in
:mod:`pipeline.tasks`, the cleaning logic in the plain modules beside it.
"""
__version__ = "0.1.0"

from .tasks import BandBuckets, CleanAll, EmitShard, NearDuplicates, RepairShard, SignShard, StripShard, cleaning

__all__ = ["CleanAll", "RepairShard", "BandBuckets", "StripShard", "SignShard", "NearDuplicates", "EmitShard", "cleaning"]

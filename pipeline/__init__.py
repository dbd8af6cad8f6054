"""Clean Vietnamese (and other) news corpora, and say exactly what was removed and why.

``luigi --module pipeline CleanAll`` imports this package; the tasks live in
:mod:`pipeline.tasks`, the cleaning logic in the plain modules beside it.
"""
import os

__version__ = "0.1.0"

# The work runs in parallel as processes, one task each. numpy's OpenBLAS would start a thread
# per core, and after a call its threads spin for a while: on a 2-core machine they took CPU
# from the other task (measured: the tasks running at that moment ran up to 5x slower). Set
# before numpy loads; a value the user chose stays.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


from .shell import install_error_filter, install_luigi_defaults

# Luigi's defaults travel with the package (works from any folder); user errors read as sentences.
install_luigi_defaults()
install_error_filter()

from .tasks import CleanAll, EmitShard, NearDuplicates, RepairShard, SignShard, StripShard, cleaning
from .progress import install as _install_progress

_install_progress(CleanAll)  # a live progress line on a terminal; a sentence when nothing changed

from .api import Cleaned, clean_text  # noqa: E402  (the Python API: see api.py and the README)

__all__ = ["clean_text", "Cleaned", "CleanAll", "RepairShard", "StripShard", "SignShard", "NearDuplicates", "EmitShard", "cleaning"]

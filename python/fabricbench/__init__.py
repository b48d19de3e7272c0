"""fabricbench results in pandas, figures and an HTML report.

    import fabricbench
    res = fabricbench.load("results.h5")
    res.points      # one row per series x size: every statistic and series attribute
    res.samples     # one row per timed iteration

See README.md ("Results in Python") for the frames and the command line
(`python3 -m fabricbench report|export|baseline|best-vs-mpi`).
"""
from .load import Results, ResultsFileError, load

__all__ = ["Results", "ResultsFileError", "load"]

"""Dataset readers (MELD, M2H2): each yields :class:`DatasetUtterance` records and fills a
:class:`BuildReport` with the rows it could not use.

>>> from evaluator.datasets import DATASETS, BuildReport
>>> report = BuildReport()
>>> utterances = list(DATASETS.get("meld")("path/to/MELD.Raw", report=report))  # doctest: +SKIP
"""

from evaluator.datasets.record import DatasetUtterance
from evaluator.datasets.report import BuildReport, ReportEntry
from evaluator.registry import Registry

#: name -> reader ``(root, *, report=None, ...) -> Iterator[DatasetUtterance]``
DATASETS = Registry("dataset")
DATASETS.register("meld", "evaluator.datasets.meld:read_meld")
DATASETS.register("m2h2", "evaluator.datasets.m2h2:read_m2h2")

__all__ = ["DATASETS", "BuildReport", "DatasetUtterance", "ReportEntry"]

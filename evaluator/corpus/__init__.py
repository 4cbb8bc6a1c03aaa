"""Dubbed corpora: ``corpus.jsonl`` (one :class:`CorpusRow` per clip, dubbed or original) and its build report.

``dubber.corpus`` builds them from a dataset (MELD, M2H2); ``dubkit score CORPUS_DIR`` scores them and
``dubkit train dubscore --data CORPUS_DIR --scores CORPUS_DIR.scores`` trains on them, reading the rows
here (nothing in the evaluator imports the dubber).

>>> from evaluator.corpus import read_corpus
>>> rows = read_corpus("corpora/meld-hi")  # doctest: +SKIP
"""

from evaluator.corpus.row import KINDS, ORIGINAL_SUFFIX, SCHEMA, SCHEMA_VERSION, CorpusRow, is_corpus_row
from evaluator.corpus.store import (
    CORPUS_NAME,
    REPORT_NAME,
    CorpusFile,
    corpus_file,
    is_corpus,
    merge_corpora,
    read_corpus,
)

__all__ = [
    "CORPUS_NAME",
    "KINDS",
    "ORIGINAL_SUFFIX",
    "REPORT_NAME",
    "SCHEMA",
    "SCHEMA_VERSION",
    "CorpusFile",
    "CorpusRow",
    "corpus_file",
    "is_corpus",
    "is_corpus_row",
    "merge_corpora",
    "read_corpus",
]

"""Reviewing a dub: the review page, the verdict file it exports, and the preview video.

- ``page``: ``build_review_page`` (``dubkit review``): one self-contained HTML page from a dub project;
- ``view``: what the page shows per line (``episode_view``); ``flags``: which lines are flagged and why;
- ``scores``: the scores shown, each with its model (the line record's and ``dubkit score`` rows), thresholds;
- ``video``: the linked episode video (its browser type, a relative link);
- ``verdicts``: the verdict file (``read_verdicts``, ``ReviewVerdicts``) that ``dubkit dub --lines-from`` reads;
- ``preview``: ``build_preview`` (``dubkit review --preview``), subtitles, speakers and flags burned in (moviepy).
"""

from evaluator.review.flags import FLAG_KINDS, Flag, line_flags
from evaluator.review.page import build_review_page
from evaluator.review.scores import parse_min_scores
from evaluator.review.verdicts import LineVerdict, ReviewVerdicts, read_verdicts

__all__ = [
    "FLAG_KINDS",
    "Flag",
    "LineVerdict",
    "ReviewVerdicts",
    "build_review_page",
    "line_flags",
    "parse_min_scores",
    "read_verdicts",
]

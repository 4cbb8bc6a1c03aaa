"""The page kit: self-contained HTML pages (one file, no server, no network) for reviewers and raters.

- ``page``: ``render_page`` (the shell: inline kit stylesheet with print rules and AA contrast, the kit
  script ``window.dk``, a JSON data island) and ``write_page`` (atomic).
- ``media``: ``encode_audio`` / ``encode_video`` (ffmpeg, to the formats ``AUDIO`` and ``VIDEO``),
  ``encode_audio_many`` (many spans, batched per ffmpeg process, in parallel), ``encode_many`` (any
  function over items on a thread pool), ``data_uri``.

Pages built on it: the leaderboard (``evaluator.scoring.compare_page``) and the listening test
(``evaluator.dubscore.rating_page``).
"""

from evaluator.html.media import (
    AUDIO,
    AUDIO_BATCH,
    MAX_VIDEO_HEIGHT,
    VIDEO,
    EncodedMedia,
    MediaFormat,
    data_uri,
    encode_audio,
    encode_audio_many,
    encode_many,
    encode_video,
)
from evaluator.html.page import render_page, write_page

__all__ = [
    "AUDIO",
    "AUDIO_BATCH",
    "MAX_VIDEO_HEIGHT",
    "VIDEO",
    "EncodedMedia",
    "MediaFormat",
    "data_uri",
    "encode_audio",
    "encode_audio_many",
    "encode_many",
    "encode_video",
    "render_page",
    "write_page",
]

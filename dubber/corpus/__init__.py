"""Dubbed corpora from datasets (MELD, M2H2): one clip per utterance, written as ``corpus.jsonl`` rows.

Per clip, a function of its inputs (what a distributed build calls on each worker)::

    from dubber.corpus import CorpusSpec, build_clip, plan_corpus

    spec = CorpusSpec(dataset="meld", target_lang="hi", fit="global", originals=100)
    plan = plan_corpus("MELD.Raw", spec)                  # sorted ClipTasks, readers' report, translation job
    row = build_clip(plan.tasks[0], "corpora/meld-hi", spec,
                     translator=translator, job=plan.job, synth=synth)   # writes the clip's media, returns its row

and the driver that loops, resumes and reports (:func:`build_corpus`; ``dubkit corpus build``), in this process
or on Ray (``session=``: the dubbed clips on actors that build ``CorpusBackends`` once, :mod:`dubber.corpus.workers`).
The rows are :class:`evaluator.corpus.CorpusRow`; the evaluator reads them without importing this package.
"""

from dubber.corpus.build import BuildResult, CorpusPlan, build_corpus, finish_corpus, plan_corpus
from dubber.corpus.clip import build_clip, media_stem
from dubber.corpus.media import ClipMedia, clip_media
from dubber.corpus.spec import FIT_METHODS, CorpusSpec
from dubber.corpus.task import ClipSkipped, ClipTask
from dubber.corpus.workers import ClipOutcome, CorpusBackends, make_clip

__all__ = [
    "FIT_METHODS",
    "BuildResult",
    "ClipMedia",
    "ClipOutcome",
    "ClipSkipped",
    "ClipTask",
    "CorpusBackends",
    "CorpusPlan",
    "CorpusSpec",
    "build_clip",
    "build_corpus",
    "clip_media",
    "finish_corpus",
    "make_clip",
    "media_stem",
    "plan_corpus",
]

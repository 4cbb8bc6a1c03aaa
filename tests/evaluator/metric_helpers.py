"""Helpers for the metric tests: build score items from arrays, score one metric."""

from __future__ import annotations

from conftest import SR


def item(audio=None, sr=SR, *, reference=None, voice=None, text=None, video=None, **kw):
    from evaluator.metrics import ScoreItem, Source

    def src(x):
        return None if x is None else Source.of_array(x, sr)

    return ScoreItem(
        kw.pop("id", "t"),
        audio_src=src(audio),
        reference_src=src(reference),
        voice_src=src(voice),
        text=text,
        video=Source.of_file(video) if video else None,
        **kw,
    )


def value(families, name, it) -> float | None:
    from evaluator.metrics import family_of

    return families[family_of(name)].score(it, [name])[name].value

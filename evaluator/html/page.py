"""The page shell: one self-contained HTML file (styles, scripts, data and media inline; no network).

A page is a Jinja template that extends the kit's ``base.html.j2``; ``render_page`` inlines the kit's
stylesheet (screen and print, WCAG AA contrast) and script (``window.dk``: data, seeded shuffles, CSV,
downloads, keyboard shortcuts, storage, sortable tables), then the page's own style and script files,
and puts ``data`` in a JSON island (``dk.data()`` reads it). Autoescaping is on; JSON is HTML-safe.

>>> html = render_page(None, title="A <b>", data={"x": "</script>"})
>>> "<title>A &lt;b&gt; · dubkit</title>" in html, "</script>\\"" in html
(True, False)
"""

from __future__ import annotations

import datetime
import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluator.errors import ConfigError
from evaluator.fileio import write_text

KIT = Path(__file__).resolve().parent
ASSETS = KIT / "assets"


@functools.cache
def _environment(page_dir: str | None):  # noqa: ANN202 - jinja2 types stay inside
    import jinja2

    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(KIT / "templates"))]
    if page_dir is not None:
        loaders.insert(0, jinja2.FileSystemLoader(page_dir))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _inline(paths: Sequence[str | os.PathLike[str]], closing: str) -> str:
    parts = []
    for p in paths:
        text = Path(p).read_text(encoding="utf-8")
        if closing in text.lower():
            raise ConfigError(f"{p}: contains {closing!r}, which would end the inline block early")
        parts.append(f"/* {Path(p).name} */\n{text}")
    return "\n".join(parts)


def render_page(
    template: str | os.PathLike[str] | None,
    *,
    title: str,
    data: Any = None,
    styles: Sequence[str | os.PathLike[str]] = (),
    scripts: Sequence[str | os.PathLike[str]] = (),
    lang: str = "en",
    **context: Any,
) -> str:
    """The HTML of ``template`` (a ``.html.j2`` file extending ``base.html.j2``; None: the bare shell).

    ``styles``/``scripts`` are files inlined after the kit's own; ``data`` (JSON-serialisable) goes into
    the page's JSON island; ``context`` is passed to the template."""
    if template is None:
        page_dir, name = None, "base.html.j2"
    else:
        page_dir, name = str(Path(template).resolve().parent), Path(template).name
    env = _environment(page_dir)
    css = _inline([ASSETS / "kit.css", *styles], "</style")
    js = _inline([ASSETS / "kit.js", *scripts], "</script")
    from markupsafe import Markup

    return env.get_template(name).render(
        title=title,
        lang=lang,
        page_data=data,
        kit_css=Markup(css),
        kit_js=Markup(js),
        generated=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        **context,
    )


def write_page(path: str | os.PathLike[str], html: str) -> int:
    """Write the page atomically; return its size in bytes."""
    write_text(path, html)
    return Path(path).stat().st_size

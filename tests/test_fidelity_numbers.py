"""The numbers docs/fidelity.md and the paper-cue docstring state are the ones the code uses (issue 16, item 11).

Each statement below is built from the constant that holds the number, so changing a default without the
page (or writing a number on the page the code does not use, as paper_cues once claimed 768 -> 256
projections while every projection was 64-d) fails here.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIDELITY = (ROOT / "docs" / "fidelity.md").read_text(encoding="utf-8")


def _lr(x: float) -> str:
    """1e-3 as the page writes it (not 0.001)."""
    mantissa, exp = f"{x:.0e}".split("e")
    return f"{mantissa}e{int(exp)}"


def _default(fn: object, name: str) -> object:
    return inspect.signature(fn).parameters[name].default


def _train_cot_defaults() -> dict[str, object]:
    """The MPO recipe's option defaults, read from its source (importing it needs the recipe's path and TRL)."""
    tree = ast.parse((ROOT / "examples" / "train_cot" / "train_cot.py").read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "TrainOptions")
    out = {}
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Call) and value.keywords:  # field(default_factory=lambda: [...])
                value = value.keywords[0].value.body
            out[node.target.id] = ast.literal_eval(value)
    return out


def _statements() -> list[tuple[str, str]]:
    from dubber.synth.f5.control import CONDITION_GUIDANCE, ControlConfig
    from dubber.synth.f5.graph_encoder import ProgressiveGraphEncoder
    from dubber.synth.f5.synthesizer import F5Synthesizer
    from evaluator.dubscore.config import HEAD_WIDTH, TRAIN_PRESETS, TrainConfig
    from evaluator.dubscore.relevance import RELEVANCE_ALPHA, RELEVANCE_BETA
    from evaluator.metrics.emosync import FACE_FPS
    from retrieval.library import FootageLibrary

    ctl, cfg, paper = ControlConfig(), TrainConfig(), TRAIN_PRESETS["paper"]
    cot = _train_cot_defaults()
    text_cfg = next(o.default for o in F5Synthesizer.options if o.name == "cfg_strength")
    assert CONDITION_GUIDANCE["video"] == CONDITION_GUIDANCE["reading"]
    graph = {p: _default(ProgressiveGraphEncoder, p) for p in ("layers", "heads", "dim")}

    def floats(xs: list[float]) -> str:
        return " ".join(repr(float(x)) for x in xs)

    return [
        ("MPO loss weights", f"`--loss-weights {floats(cot['loss_weights'])}`"),
        ("reward loss weights", f"`--reward-loss-weights {floats(cot['reward_loss_weights'])}`"),
        ("control branch blocks", f"the first {ctl.n_blocks} DiT blocks"),
        ("text guidance", f"text {float(text_cfg)!r} (F5's cfg_strength)"),
        ("condition guidance", f"video and reading **{CONDITION_GUIDANCE['video']:.1f} each**"),
        ("condition dropout", f"`ControlConfig.drop_prob` {ctl.drop_prob:g}"),
        ("retrieval k", f"(`k` = {_default(FootageLibrary.query, 'k')})"),
        ("graph encoder", f"GATConv, {graph['layers']} layers, {graph['heads']} heads, {graph['dim']}-d"),
        ("default projection width", f"the default stays a {HEAD_WIDTH['dubscore']}-d linear + bottleneck adapter"),
        ("fusion transformer", f"`network.DubScoreNet` ({cfg.layers} layers, {cfg.heads} heads)"),
        (
            "paper preset",
            f"{paper['optimizer'].capitalize()}, lr {_lr(paper['lr'])}, batch {paper['batch_size']}, dropout "
            f"{paper['dropout']:g}, {paper['epochs']} epochs, {paper['folds']}-fold CV",
        ),
        (
            "default recipe",
            f"the default ({cfg.optimizer.replace('adamw', 'AdamW')}, lr {_lr(cfg.lr)}, batch {cfg.batch_size}, "
            f"{cfg.epochs} epochs)",
        ),
        ("EmoSync frame rate", f"(largest face, {FACE_FPS:g} fps)"),
        ("avfusion width", f'`config.HEAD_WIDTH["avfusion"]` = {HEAD_WIDTH["avfusion"]}'),
        ("avfusion loss", f"`--loss-lambda` {cfg.loss_lambda:g}"),
        ("relevance weights", f"(`RELEVANCE_ALPHA` {RELEVANCE_ALPHA:g}, `RELEVANCE_BETA` {RELEVANCE_BETA:g})"),
    ]


def test_fidelity_page_states_the_codes_numbers() -> None:
    missing = [f"{what}: {statement!r}" for what, statement in _statements() if statement not in FIDELITY]
    assert not missing, "docs/fidelity.md does not state the code's numbers:\n" + "\n".join(missing)


def test_paper_cues_docstring_states_the_projection_widths_the_network_uses() -> None:
    from evaluator.dubscore import paper_cues
    from evaluator.dubscore.config import HEAD_WIDTH, TRAIN_PRESETS

    doc = " ".join((paper_cues.__doc__ or "").split())
    want = (
        f"{HEAD_WIDTH['dubscore']} for the dubscore head, {HEAD_WIDTH['avfusion']} for avfusion; "
        f"{TRAIN_PRESETS['paper']['hidden']} with ``--preset paper``"
    )
    assert want in doc
    assert "768 -> 256" not in doc  # the old claim: no projection took Wav2Vec2's 768 to 256

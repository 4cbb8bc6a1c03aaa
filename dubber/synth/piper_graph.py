"""Piper's VITS graph cut in two at the phoneme durations, with its two noise sources as inputs.

A piper voice is one ONNX graph: text encoder -> stochastic duration predictor (noise ``noise_w``)
-> ``Ceil`` of the durations times ``length_scale`` -> expansion, flow (noise ``noise_scale``) and
decoder. Both noises are ``RandomNormalLike`` nodes, sampled by onnxruntime without a seed, so the
same request gives different audio on every call. :class:`SplitGraph` cuts the graph (with
``onnx.utils.Extractor``) into

- the *durations* graph: phoneme ids and the duration noise in, each phoneme's frame count at
  ``length_scale`` 1 out (the encoder and the duration predictor: about a tenth of the compute);
- the *audio* graph: phoneme ids, the frame counts and the flow noise in, the waveform out;

so the caller draws both noises from a seeded generator (the same seed gives the same audio), and
knows a line's length at any ``length_scale`` before the expensive part runs (frame counts scale
with ``length_scale``: ``ceil(w * length_scale)`` per phoneme). The durations half also returns the
text encoder's outputs the audio half reads, so the encoder runs once per sentence (the audio half
then costs 17% less than with its own copy; the audio is the same to the bit). The tensors are
found by the graph's structure (the one ``Ceil``, the ``RandomNormalLike`` upstream of it and the
one downstream, the encoder tensors both halves read), as every voice piper's exporter writes has
them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.errors import ModelLoadError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Encoded:
    """One sentence through the durations half: frames per phoneme id at ``length_scale`` 1 (before
    rounding up), and the encoder outputs the audio half reads."""

    ids: np.ndarray
    w: np.ndarray
    state: dict[str, np.ndarray]


@dataclass(frozen=True)
class _Cut:
    """Tensor names where the graph is cut."""

    duration_noise: str  # RandomNormalLike output feeding the duration predictor
    flow_noise: str  # RandomNormalLike output feeding the flow (z_p = m_p + noise * exp(logs_p) * noise_scale)
    frames: str  # the Ceil output: frames per phoneme id at the requested length_scale
    unscaled: str  # the Ceil's input before the multiplication by length_scale


def find_cut(graph: Any, where: str) -> _Cut:
    """The cut points of a piper VITS graph (see the module docstring); ModelLoadError if absent."""
    producers = {out: node for node in graph.node for out in node.output}
    ceils = [n for n in graph.node if n.op_type == "Ceil"]
    randoms = [n for n in graph.node if n.op_type == "RandomNormalLike"]
    problem = f"{where}: not a piper VITS graph this version understands"
    if len(ceils) != 1 or len(randoms) != 2:
        raise ModelLoadError(f"{problem} ({len(ceils)} Ceil, {len(randoms)} RandomNormalLike nodes; expected 1 and 2)")
    ceil = ceils[0]
    mul = producers.get(ceil.input[0])
    if mul is None or mul.op_type != "Mul":
        raise ModelLoadError(f"{problem} (the durations' Ceil does not follow a Mul by length_scale)")

    def from_scales(name: str) -> bool:
        node = producers.get(name)
        return node is not None and node.op_type == "Gather" and node.input[0] == "scales"

    unscaled = [x for x in mul.input if not from_scales(x)]
    if len(unscaled) != 1:
        raise ModelLoadError(f"{problem} (cannot tell the durations from length_scale)")
    upstream: set[str] = set()
    todo = [ceil.input[0]]
    while todo:
        name = todo.pop()
        node = producers.get(name)
        if node is None or name in upstream:
            continue
        upstream.add(name)
        todo.extend(node.input)
    before = [r for r in randoms if r.output[0] in upstream]
    after = [r for r in randoms if r.output[0] not in upstream]
    if len(before) != 1 or len(after) != 1:
        raise ModelLoadError(f"{problem} (expected one noise before the durations and one after)")
    return _Cut(before[0].output[0], after[0].output[0], ceil.output[0], unscaled[0])


class SplitGraph:
    """The two halves of one piper voice as onnxruntime sessions (see the module docstring)."""

    def __init__(self, model_path: Path, *, use_cuda: bool = False) -> None:
        import onnx
        import onnx.utils
        import onnxruntime

        try:
            model = onnx.load(str(model_path))
        except Exception as exc:  # noqa: BLE001 - onnx raises several types for a bad file
            raise ModelLoadError(f"{model_path}: not a readable ONNX model ({exc})") from None
        cut = find_cut(model.graph, str(model_path))
        inputs = [i.name for i in model.graph.input]
        self.has_sid = "sid" in inputs
        text = [n for n in ("input", "input_lengths", "scales", "sid") if n in inputs]
        noises = [cut.duration_noise, cut.flow_noise, cut.frames]
        cut_model, shapes = _as_inputs(model, noises, str(model_path))
        self.latent_channels = shapes[cut.flow_noise][1]
        extractor = onnx.utils.Extractor(cut_model)
        output = model.graph.output[0].name
        durations = extractor.extract_model([*text, cut.duration_noise], [cut.unscaled])
        whole_audio = extractor.extract_model([*text, cut.frames, cut.flow_noise], [output])
        self.shared = _shared_tensors(durations.graph, whole_audio.graph)
        durations = extractor.extract_model([*text, cut.duration_noise], [cut.unscaled, *self.shared])
        audio = extractor.extract_model([*text, *self.shared, cut.frames, cut.flow_noise], [output])
        providers = ["CUDAExecutionProvider"] if use_cuda else ["CPUExecutionProvider"]
        options = onnxruntime.SessionOptions()
        # idle threads sleep instead of spinning: on a busy 2-core machine spinning threads took 16.3 s
        # for 16 lines where sleeping ones took 10.9 s (the scene reader and others share the cores)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._durations = onnxruntime.InferenceSession(durations.SerializeToString(), options, providers=providers)
        self._audio = onnxruntime.InferenceSession(audio.SerializeToString(), options, providers=providers)
        self._audio_inputs = [i.name for i in self._audio.get_inputs()]
        self.cut = cut

    def _feed(self, ids: np.ndarray, scales: np.ndarray, sid: int | None) -> dict[str, np.ndarray]:
        feed = {
            "input": ids[None, :].astype(np.int64),
            "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": scales.astype(np.float32),
        }
        if self.has_sid:
            feed["sid"] = np.array([sid or 0], dtype=np.int64)
        return feed

    def durations(self, ids: np.ndarray, noise_w: float, rng: np.random.Generator, sid: int | None = None) -> Encoded:
        """One sentence's phoneme ids through the durations half (see :class:`Encoded`)."""
        noise = rng.standard_normal((1, 2, len(ids))).astype(np.float32)
        feed = self._feed(ids, np.array([0.0, 1.0, noise_w]), sid)
        feed[self.cut.duration_noise] = noise
        w, *state = self._durations.run(None, feed)
        return Encoded(ids, w.reshape(-1).astype(np.float64), dict(zip(self.shared, state, strict=True)))

    def audio(
        self, encoded: Encoded, frames: np.ndarray, noise_scale: float, rng: np.random.Generator, sid: int | None = None
    ) -> np.ndarray:
        """The waveform of an encoded sentence spoken with ``frames`` (whole frames per id), float32."""
        noise = rng.standard_normal((1, self.latent_channels, int(frames.sum()))).astype(np.float32)
        feed = {**self._feed(encoded.ids, np.array([noise_scale, 1.0, 0.0]), sid), **encoded.state}
        feed[self.cut.frames] = frames.reshape(1, 1, -1).astype(np.float32)
        feed[self.cut.flow_noise] = noise
        return self._audio.run(None, {k: feed[k] for k in self._audio_inputs})[0].reshape(-1).astype(np.float32)


def _shared_tensors(first: Any, second: Any) -> list[str]:
    """Tensors computed by nodes both graphs hold and read by nodes only ``second`` holds."""
    made_by_first = {out for node in first.node for out in node.output}
    shared = {tuple(n.output) for n in second.node if n.output and all(o in made_by_first for o in n.output)}
    produced = {out for outs in shared for out in outs}
    return sorted({x for n in second.node if tuple(n.output) not in shared for x in n.input if x in produced})


def _as_inputs(model: Any, names: list[str], where: str) -> tuple[Any, dict[str, list[int]]]:
    """A copy of ``model`` whose tensors ``names`` are graph inputs (with their inferred types and
    shapes, so onnxruntime optimises the halves as it does the whole) instead of node outputs; and
    the static dimensions of each (0 where dynamic)."""
    import onnx

    inferred = {v.name: v for v in onnx.shape_inference.infer_shapes(model).graph.value_info}
    out = onnx.ModelProto()
    out.CopyFrom(model)
    keep = [n for n in out.graph.node if not set(n.output) & set(names)]
    del out.graph.node[:]
    out.graph.node.extend(keep)
    shapes = {}
    for name in names:
        info = inferred.get(name)
        dims = [d.dim_value for d in info.type.tensor_type.shape.dim] if info is not None else []
        if len(dims) != 3:
            raise ModelLoadError(f"{where}: cannot infer the shape of {name} (not a piper VITS graph?)")
        out.graph.input.append(info)
        shapes[name] = dims
    return out, shapes

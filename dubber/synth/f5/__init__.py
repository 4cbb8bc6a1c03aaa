"""F5-TTS in dubkit: the synthesizer and everything only it uses.

- :mod:`.synthesizer`: the ``f5`` backend (batched, per-request seeds, optional control branch);
- :mod:`.loading`: configs, checkpoints, the Vocos vocoder, the vocabulary;
- :mod:`.prep` and :mod:`.sample`: per-request preparation and the batched flow-matching sampler;
- :mod:`.control`: the ControlNet-style condition branch and nested multi-condition guidance;
- :mod:`.conditions`: a line's conditions as the branch reads them (CLIP video features, emotion graph);
- :mod:`.visual`: per-frame CLIP features; :mod:`.graph` and :mod:`.graph_encoder`: the progressive
  emotion graph and its encoder;
- :mod:`.train` and :mod:`.train_data`: training the branch (``dubkit train synth``);
- :mod:`.tiny`: a tiny random model in the real file formats, for tests and offline runs.
"""

from dubber.synth.f5.synthesizer import F5Synthesizer, load_control

__all__ = ["F5Synthesizer", "load_control"]

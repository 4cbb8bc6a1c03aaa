"""Training of the generator's condition branches (``dubkit train synth``)."""

from dubber.train.synth import SynthTrainConfig, SynthTrainer, train_synth

__all__ = ["SynthTrainConfig", "SynthTrainer", "train_synth"]

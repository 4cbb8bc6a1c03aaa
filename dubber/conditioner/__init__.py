"""The progressive emotion graph conditioner (Authentic-Dubber style).

:mod:`dubber.conditioner.graph` builds the three stage graphs from the target clip's features and the
retrieved references; :mod:`dubber.conditioner.encoder` encodes each stage with graph attention and
lets the speech hidden states query the stages in turn (hierarchical cross-attention).
"""

from dubber.conditioner.encoder import HierarchicalCrossAttention, ProgressiveGraphEncoder
from dubber.conditioner.graph import MODALITIES, EmotionGraphs, build_emotion_graphs

__all__ = [
    "MODALITIES",
    "EmotionGraphs",
    "HierarchicalCrossAttention",
    "ProgressiveGraphEncoder",
    "build_emotion_graphs",
]

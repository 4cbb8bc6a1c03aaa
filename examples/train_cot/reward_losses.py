"""DeepDubber's format and accuracy loss terms, added to TRL's DPO trainer for the MPO stage.

The three MPO losses (preference ``sigmoid``, quality ``bco_pair``, generation ``sft``) only see which answer of a
pair was chosen. DeepDubber also trains with a format loss and an accuracy loss. Here each is a binary
cross-entropy between the answer's implicit reward, ``sigmoid(beta * (log pi(y|x) - log pi_ref(y|x)))`` (the
quantity BCO's quality loss pushes to 1 for chosen and 0 for rejected answers), and the answer's reward as the
target: the format reward (0 or 1: the strict parser accepts it) and the accuracy reward (the share of labelled
fields right), for both answers of every pair. So a well-formed but wrong answer is pushed down by the accuracy
term only, a malformed one by both, a half-right one half as far. Weighted by ``weights`` (format, accuracy);
0 turns a term off.

Only imported when trl is installed (``train_cot.run_mpo``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
import trl

#: the per-answer reward columns of a preference row (cot_data.reward_columns) and the batch keys they become
REWARDS = ("format", "accuracy")


def reward_collator(inner: Callable[[list[dict[str, Any]]], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Wrap the trainer's collator: the reward columns leave the examples before ``inner`` sees them and come back
    as ``reward_<name>`` tensors ``(2B,)``, chosen answers first, as the trainer orders its batch."""

    def collate(examples: list[dict[str, Any]]) -> dict[str, Any]:
        cols = {}
        for name in REWARDS:
            chosen = [float(e.pop(f"{name}_chosen")) for e in examples]
            rejected = [float(e.pop(f"{name}_rejected")) for e in examples]
            cols[f"reward_{name}"] = torch.tensor(chosen + rejected)
        batch = inner(examples)
        batch.update(cols)
        return batch

    return collate


class RewardMPOTrainer(trl.DPOTrainer):
    """TRL's DPO trainer (the MPO losses) plus the format and accuracy loss terms, weighted by ``reward_weights``."""

    def __init__(self, *args: Any, reward_weights: Sequence[float] = (0.0, 0.0), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reward_weights = dict(zip(REWARDS, (float(w) for w in reward_weights), strict=True))
        self.data_collator = reward_collator(self.data_collator)

    def _compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool) -> Any:
        targets = {name: inputs.pop(f"reward_{name}") for name in REWARDS if f"reward_{name}" in inputs}
        captured: list[Any] = []  # the policy's forward output, then (unless precomputed) the reference's
        hook = self.accelerator.unwrap_model(model).register_forward_hook(lambda m, a, out: captured.append(out))
        try:
            result = super()._compute_loss(model, inputs, return_outputs)
        finally:
            hook.remove()
        if not targets or not any(self.reward_weights.values()):
            return result
        loss, outputs = result if return_outputs else (result, None)
        mask = inputs["completion_mask"][..., 1:].float()
        seq_len = mask.size(1)

        def logps(out: Any) -> torch.Tensor:
            return (out.log_probs[:, -seq_len:] * mask).sum(dim=1)

        # the policy's pass is the one that carries gradients (the reference pass runs under no_grad)
        graded = [o for o in captured if o.log_probs.requires_grad]
        policy_out = graded[0] if graded else captured[0]
        policy = logps(policy_out)
        if self.precompute_ref_logps:
            ref = torch.cat([inputs["ref_chosen_logps"], inputs["ref_rejected_logps"]])
        else:
            ref = logps(next(o for o in captured if o is not policy_out)).detach()
        implicit = self.beta * (policy - ref)  # (2B,): chosen answers, then rejected
        mode = "train" if self.model.training else "eval"
        for name, target in targets.items():
            term = F.binary_cross_entropy_with_logits(implicit, target.to(implicit))
            loss = loss + self.reward_weights[name] * term
            self._metrics[mode][f"loss/{name}"].append(self.accelerator.gather_for_metrics(term.detach()).mean().item())
        return (loss, outputs) if return_outputs else loss

"""Exact evaluation of single-doctor appointment sessions (discrete-time Lindley recursion).

See ``docs/evaluator.md`` for the model, the contracts and the performance notes.
"""

from polyslot.evaluation.api import evaluate, evaluate_arrays
from polyslot.evaluation.arrays import ArrayResult
from polyslot.evaluation.batch import BATCH_KEYS, Evaluator, evaluate_batch
from polyslot.evaluation.many import evaluate_day, evaluate_many, pooled_wait_quantile
from polyslot.evaluation.result import Envelope, Evaluation

__all__ = [
    "ArrayResult",
    "BATCH_KEYS",
    "Envelope",
    "Evaluation",
    "Evaluator",
    "evaluate",
    "evaluate_arrays",
    "evaluate_batch",
    "evaluate_day",
    "evaluate_many",
    "pooled_wait_quantile",
]

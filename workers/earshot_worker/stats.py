"""Per-token statistics of the worker protocol (`stats` of a result), from logits."""
import numpy as np

RENYI_EPSILON = 1e-10
STAT_NAMES = ["log_prob", "entropy", "expected_log_prob_sq", "renyi_0_5", "renyi_2", "renyi_inf",
              "top1_log_prob", "top2_log_prob"]


class StatisticsError(ValueError):
    """A chosen token has probability zero: its statistics are not finite."""


def token_statistics(logits, chosen):
    """The eight statistics from a [T, V] logits matrix and T chosen ids, in float64.

    Stable log-softmax; entropy and E[(log p)^2] count p = 0 terms as 0; Renyi 0.5 and 2 over
    probabilities clamped to [1e-10, 1 - 1e-10] (VL-MIA's metric_util.py); renyi_inf = -max log p;
    top2 = the largest log p strictly below the maximum (the maximum itself when all are equal). Same
    definitions as EarshotScoring's TokenStatistics. Returns {name: [float] * T}.
    """
    x = np.asarray(logits, dtype=np.float64)
    chosen = np.asarray(chosen, dtype=np.int64)
    if x.ndim != 2 or x.shape[0] != len(chosen):
        raise ValueError(f"logits of shape {x.shape} for {len(chosen)} tokens")
    m = x.max(axis=1, keepdims=True)
    log_p = x - (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)))
    p = np.exp(log_p)
    safe_log_p = np.where(p > 0, log_p, 0.0)
    clamped = np.clip(p, RENYI_EPSILON, 1 - RENYI_EPSILON)
    top1 = log_p.max(axis=1)
    below = np.where(log_p != top1[:, None], log_p, -np.inf).max(axis=1)
    rows = np.arange(len(chosen))
    values = {
        "log_prob": log_p[rows, chosen],
        "entropy": -(p * safe_log_p).sum(axis=1),
        "expected_log_prob_sq": (p * safe_log_p * safe_log_p).sum(axis=1),
        "renyi_0_5": 2.0 * np.log(np.sqrt(clamped).sum(axis=1)),
        "renyi_2": -np.log((clamped * clamped).sum(axis=1)),
        "renyi_inf": -top1,
        "top1_log_prob": top1,
        "top2_log_prob": np.where(np.isfinite(below), below, top1),
    }
    for name in STAT_NAMES:
        finite = np.isfinite(values[name])
        if not finite.all():
            bad = int(np.flatnonzero(~finite)[0])
            raise StatisticsError(f"statistic '{name}' of token {bad} (id {int(chosen[bad])}) is not finite "
                                  f"(the token has probability zero)")
    return {name: [float(v) for v in values[name]] for name in STAT_NAMES}

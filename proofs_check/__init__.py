"""Where theory meets numerics: one module per paper registering its claims (see :mod:`proofs_check.core`),
plus certificate tools (``proofs_check.sdp``) and the command line (``proofs_check.cli``)."""
from .core import (BUDGETS, PAPERS, SOURCES, STATUSES, Claim, Verdict, all_claims, claim, claims_for,
                   get_claim, resolve, verdict_from)

__all__ = ["BUDGETS", "PAPERS", "SOURCES", "STATUSES", "Claim", "Verdict", "all_claims", "claim",
           "claims_for", "get_claim", "resolve", "verdict_from"]

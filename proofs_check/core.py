"""Claim and Verdict types and the claim registry.

A *claim* is one checkable statement of one paper: an id such as ``sam.limit_cycle``, the arXiv id,
the theorem or section it checks, a one-sentence statement, a source tag, and a ``check`` function
that runs the simulation and the closed form and returns a :class:`Verdict`.

Source tags (shown in every listing and report, so a reader sees what is the paper's and what is ours):

``paper``        the statement is the paper's, verified from the paper, its poster or its code;
``paper-order``  the paper's statement at the level of its order (O / Theta), constants not confirmed;
``derived``      a bound or construction this toolkit derives and proves itself (see the docstring);
``empirical``    an observation from simulation, not a theorem.

Every check takes ``budget`` (``"fast"`` for CI, ``"full"`` for paper-scale runs), ``seed`` and
``mutation``. ``mutation=None`` is the real check. A named mutation runs the *mutated twin* of the
claim (the bound halved, the theorem's condition violated, a construction weight perturbed): the
twin must come out ``refuted``, which shows the check can fail.
"""
from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.util
import math
import time
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

__all__ = [
    "BUDGETS", "SOURCES", "SOURCE_WORDS", "SOURCE_LABELS", "STATUSES", "OUTCOMES", "KINDS", "PAPERS", "Claim", "Verdict", "claim",
    "verdict_from", "margin_for", "all_of", "lazy", "deferred_jit",
    "get_claim", "all_claims", "claims_for", "resolve", "UnknownClaimError", "load_all",
]

BUDGETS = ("fast", "full")
SOURCES = ("paper", "paper-order", "derived", "empirical")
#: what each source tag means, in words a reader of the paper recognises (``list``, the report header)
SOURCE_WORDS: dict[str, str] = {
    "paper": "the paper's own result (theorem, proposition, figure or stated setting), confirmed from its "
             "text, poster, slides or official code",
    "paper-order": "the paper's result at the level of its order (O / Theta); its constants are not confirmed",
    "derived": "a bound, construction or reduction derived in this toolkit (the derivation is in "
               "docs/papers/<module>.md), not the paper's statement",
    "empirical": "an observation from this toolkit's own runs, not a theorem of the paper",
}
#: the short form of :data:`SOURCE_WORDS` for table cells
SOURCE_LABELS: dict[str, str] = {"paper": "paper's result", "paper-order": "paper's order",
                                 "derived": "ours: derived", "empirical": "ours: observed"}
#: the scientific verdicts a check may return
STATUSES = ("verified", "refuted", "inconclusive")

#: whether a long check may show a progress bar of its own on stderr (a training run's steps/s and
#: loss): set by :func:`proofs_check.runner.run_jobs` while it runs jobs in this process with its
#: bars shown on a terminal; off otherwise (tests, workers, ``-q``, output to a file)
INNER_PROGRESS = False
#: every outcome a result can have: a scientific verdict, or ``error`` (the check raised: a bug or a
#: broken environment, never a statement about the paper) or ``skipped`` (the claim is decided only at
#: a larger budget than the one run, so it was not run and says nothing)
OUTCOMES = STATUSES + ("error", "skipped")

#: What a verdict's ``bound``, ``observed`` and ``margin`` mean, by the kind of comparison it makes.
#: The table, the report and the JSON print these words, so every row reads the same way.
KINDS: dict[str, str] = {
    "max_violation <= tol": "observed = the largest violation of the bound over every instance and "
                            "step; holds when observed <= bound (the tolerance); margin = bound - observed",
    "value <= bound": "observed = the measured quantity; holds when observed <= bound; "
                      "margin = bound - observed",
    "value >= bound": "observed = the measured quantity; holds when observed >= bound; "
                      "margin = observed - bound",
    "in_interval": "observed must lie in bound = [lo, hi]; margin = the smaller of observed - lo and "
                   "hi - observed",
    "abs_error <= tol": "observed = the largest |measured - predicted| over every instance (in the "
                        "units of the prediction); holds when observed <= bound (the tolerance); "
                        "margin = bound - observed",
    "relative_error <= tol": "observed = |measured - predicted| / |predicted|; holds when observed <= "
                             "bound (the tolerance); margin = bound - observed",
    "ratio >= bar": "observed = a ratio of two measured quantities; holds when observed >= bound (the "
                    "bar); margin = observed - bound",
    "ratio <= bar": "observed = a ratio of two measured quantities; holds when observed <= bound (the "
                    "bar); margin = bound - observed",
    "exact": "an exact comparison (a symbolic identity, integer equality, every case of an "
             "enumeration); bound = what must hold, observed = what was found; margin not meaningful",
    "all_of": "several comparisons that must all hold, listed in details; bound, observed and margin "
              "are those of the tightest one",
}

#: module name -> (arXiv id, the paper's title exactly as published; for 2311.15051 the v1/v2 title,
#: for 2306.10711 the v1 title, the versions this toolkit checks). The order is the order of the README table.
PAPERS: dict[str, tuple[str, str]] = {
    "sam": ("2306.09850", "Practical Sharpness-Aware Minimization Cannot Converge All the Way to Optima"),
    "gda": ("2402.10475", "Fundamental Benefit of Alternating Updates in Minimax Optimization"),
    "eos": ("2307.04204", "Trajectory Alignment: Understanding the Edge of Stability Phenomenon via "
                          "Bifurcation Theory"),
    "catapult": ("2311.15051", "Large Catapults in Momentum Gradient Descent with Warmup: An Empirical Study"),
    "subspace": ("2405.16002", "Does SGD really happen in tiny subspaces?"),
    "linear_attention": ("2310.01082", "Linear attention is (maybe) all you need (to understand Transformer "
                                       "optimization)"),
    "fair_pca": ("2310.18593", "Fair Streaming Principal Component Analysis: Statistical and Algorithmic "
                               "Viewpoint"),
    "plasticity": ("2306.10711", "Enhancing Generalization and Plasticity for Sample Efficient Reinforcement "
                                 "Learning"),
    "position_coupling": ("2405.20671", "Position Coupling: Improving Length Generalization of Arithmetic "
                                        "Transformers Using Task Structure"),
    "multi_operand": ("2410.15787", "Arithmetic Transformers Can Length-Generalize in Both Operand Length "
                                    "and Count"),
}


@dataclass
class Verdict:
    """The outcome of one claim check.

    status    ``verified``, ``refuted`` or ``inconclusive`` (a check's verdict), or, set only by the
              runner, ``error`` (the check raised) or ``skipped`` (not run at this budget).
    kind      the kind of comparison, a key of :data:`KINDS` (``"value <= bound"``, ``"in_interval"``,
              ``"ratio >= bar"``, ...): it says how to read ``bound``, ``observed`` and ``margin``.
    bound     the proven (or predicted) value, tolerance, bar or ``[lo, hi]`` the observation is
              compared with.
    observed  the measured value.
    margin    slack on the safe side, in the units of ``bound`` (positive = the comparison holds with
              room, negative = it fails by that much; for intervals, the smaller of the two slacks).
              Computed from ``kind`` when not given; ``None`` where not meaningful (``exact``).
    message   one line saying what was compared.
    details   JSON-able numbers for the report (tables, fitted slopes, per-instance maxima).
    arrays    numpy arrays a figure needs (not written to ``verdicts.json``).
    seconds   wall time of the check (filled by :meth:`Claim.run`).
    """

    status: str
    kind: str | None = None
    bound: Any = None
    observed: Any = None
    margin: float | None = None
    message: str = ""
    details: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)
    seconds: float = 0.0

    def __post_init__(self):
        if self.status not in OUTCOMES:
            raise ValueError(f"Verdict.status must be one of {OUTCOMES}, got {self.status!r}")
        if self.kind is not None and self.kind not in KINDS:
            raise ValueError(f"Verdict.kind must be one of {sorted(KINDS)}, got {self.kind!r}")
        if self.margin is None and self.kind is not None:
            self.margin = margin_for(self.kind, self.observed, self.bound)

    @property
    def ok(self) -> bool:
        return self.status == "verified"

    def to_json(self) -> dict:
        """The verdict without its arrays, with numpy scalars turned into plain Python values."""
        d = {k: _jsonable(v) for k, v in dataclasses.asdict(self).items() if k != "arrays"}
        d["arrays"] = sorted(self.arrays)
        return d


def margin_for(kind: str, observed, bound) -> float | None:
    """The margin of a comparison of ``kind`` (see :data:`KINDS`): positive when it holds with room,
    negative when it fails; ``None`` for ``exact`` and ``all_of`` or when the values are not numbers."""
    try:
        if kind in ("max_violation <= tol", "value <= bound", "abs_error <= tol", "relative_error <= tol",
                    "ratio <= bar"):
            return float(bound) - float(observed)
        if kind in ("value >= bound", "ratio >= bar"):
            return float(observed) - float(bound)
        if kind == "in_interval":
            lo, hi = bound
            return min(float(observed) - float(lo), float(hi) - float(observed))
    except (TypeError, ValueError):
        return None
    return None


def _holds(kind: str, observed, bound, margin) -> bool:
    if kind == "exact":
        try:
            return bool(np.all(np.asarray(observed) == np.asarray(bound)))
        except (TypeError, ValueError):
            return observed == bound
    return margin is not None and math.isfinite(margin) and margin >= 0


def _relative(kind: str, bound, margin) -> float:
    """A margin in units of its bound (the interval's width), so comparisons of different units can be
    ranked; a failing comparison of kind ``exact`` ranks below every number."""
    if margin is None or not math.isfinite(margin):
        return -math.inf
    try:
        if kind == "in_interval":
            scale = abs(float(bound[1]) - float(bound[0]))
        else:
            scale = abs(float(bound))
    except (TypeError, ValueError, IndexError):
        scale = 0.0
    return margin / scale if scale > 0 else margin


def all_of(checks: Mapping[str, tuple], *, message="", details=None, arrays=None,
           inconclusive: bool = False) -> Verdict:
    """A verdict of kind ``all_of``: every comparison in ``checks`` must hold.

    ``checks`` maps a name to ``(kind, observed, bound)`` with ``kind`` a key of :data:`KINDS` other
    than ``all_of`` (``exact`` holds when observed == bound). The verdict's ``bound``, ``observed`` and
    ``margin`` are those of the tightest comparison (a failing one first, then the one with the
    smallest margin relative to its bound); ``details["checks"]`` lists every comparison and
    ``details["tightest"]`` names the one shown."""
    if not checks:
        raise ValueError("all_of needs at least one comparison")
    table, ranked = {}, []
    for name, (kind, observed, bound) in checks.items():
        if kind not in KINDS or kind == "all_of":
            raise ValueError(f"check {name!r}: kind must be a key of KINDS other than 'all_of', got {kind!r}")
        margin = margin_for(kind, observed, bound)
        holds = _holds(kind, observed, bound, margin)
        table[name] = {"kind": kind, "observed": observed, "bound": bound, "margin": margin,
                       "holds": holds}
        ranked.append((holds, _relative(kind, bound, margin) if kind != "exact" else
                       (math.inf if holds else -math.inf), name))
    _, _, tight = min(ranked)
    passed = all(row["holds"] for row in table.values())
    t = table[tight]
    d = dict(details or {})
    d["checks"] = table
    d["tightest"] = tight
    status = "verified" if passed else ("inconclusive" if inconclusive else "refuted")
    return Verdict(status=status, kind="all_of", bound=t["bound"], observed=t["observed"],
                   margin=t["margin"], message=message, details=d, arrays=arrays or {})


def verdict_from(passed: bool, *, kind: str | None = None, bound=None, observed=None, margin=None,
                 message="", details=None, arrays=None, inconclusive: bool = False) -> Verdict:
    """Build a Verdict from a boolean test: ``verified`` if it passed, else ``refuted``
    (or ``inconclusive`` when the caller says the evidence cannot decide).

    ``kind`` names the comparison (a key of :data:`KINDS`); the margin is computed from it unless
    given."""
    status = "verified" if passed else ("inconclusive" if inconclusive else "refuted")
    return Verdict(status=status, kind=kind, bound=bound, observed=observed, margin=margin,
                   message=message, details=details or {}, arrays=arrays or {})


class _LazyModule(types.ModuleType):
    """A stand-in for a module that imports it on first attribute access (see :func:`lazy`)."""

    def __init__(self, name: str, first: tuple[str, ...] = ()):
        super().__init__(name)
        self.__dict__["_lazy_target"] = name
        self.__dict__["_lazy_first"] = first

    def __getattr__(self, attr):
        for m in self.__dict__["_lazy_first"]:
            importlib.import_module(m)
        mod = importlib.import_module(self.__dict__["_lazy_target"])
        return getattr(mod, attr)

    def __repr__(self):
        return f"<lazy module {self.__dict__['_lazy_target']!r}>"


def lazy(name: str) -> types.ModuleType:
    """``ns = lazy("numerics.sam")`` in a claim module: the module ``name`` (and its package, and
    JAX or sympy behind it) is imported only when a check first uses ``ns.something``, so that
    listing the claims (``theory-verify list``) imports neither JAX nor sympy. ``lazy("jax")`` and
    ``lazy("jax.numpy")`` import :mod:`numerics` first, which switches JAX to float64 before any
    array is made."""
    first = ("numerics",) if name == "jax" or name.startswith("jax.") else ()
    return _LazyModule(name, first)


def jit_now(fn, **jit_kwargs):
    """:func:`numerics.jit.jit` ``(fn, **jit_kwargs)``, importing JAX only when called (inside a
    check function)."""
    from numerics.jit import jit
    return jit(fn, **jit_kwargs)


def deferred_jit(fn=None, **jit_kwargs):
    """:func:`numerics.jit.jit` ``(fn, **jit_kwargs)`` (``jax.jit`` with the toolkit's compiler
    options), built on the first call instead of at import (a claim module's top level must not
    import JAX). Usable as ``@deferred_jit(static_argnames=...)``."""
    if fn is None:
        return lambda f: deferred_jit(f, **jit_kwargs)
    compiled = None

    @functools.wraps(fn)
    def call(*args, **kwargs):
        nonlocal compiled
        if compiled is None:
            from numerics.jit import jit
            compiled = jit(fn, **jit_kwargs)
        return compiled(*args, **kwargs)

    return call


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if math.isfinite(f) else str(f)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if hasattr(v, "__array__"):  # jax arrays
        return _jsonable(np.asarray(v))
    return str(v)


@dataclass(frozen=True)
class Claim:
    """One registered claim. ``fn(budget, seed, mutation)`` returns a :class:`Verdict`."""

    id: str
    paper: str
    theorem: str
    statement: str
    source: str
    fn: Callable[..., Verdict] = field(repr=False, compare=False)
    mutations: tuple[str, ...] = ()
    expected: str = "verified"
    expected_full: str | None = None
    slow: bool = False
    decides_at: str = "fast"
    #: optional sharding (see :func:`claim`): ``shards(budget, seed, mutation)`` -> list of keys or
    #: ``None`` (not sharded at this budget), ``shard(budget, key)`` -> dict of numpy arrays
    shards: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
    shard: Callable[..., Any] | None = field(default=None, repr=False, compare=False)

    def shard_keys(self, budget: str, seed: int, mutation: str | None) -> list | None:
        """The shard keys of a run, or ``None`` when this run is not split (no ``shards`` declared,
        or the claim's ``shards`` returns ``None`` at this budget)."""
        if self.shards is None:
            return None
        keys = self.shards(budget, seed, mutation)
        return None if keys is None else list(keys)

    def run_shard(self, budget: str, key) -> dict:
        """Compute one shard (a dict of numpy arrays); the same call serially and on a worker."""
        out = self.shard(budget, key)
        if not isinstance(out, dict):
            raise TypeError(f"claim {self.id}: shard {key!r} returned {type(out).__name__}, not dict")
        return out

    def combine(self, budget: str, seed: int, mutation: str | None, shard_results: list) -> Verdict:
        """The verdict from the shard results (in the order of :meth:`shard_keys`)."""
        v = self.fn(budget=budget, seed=seed, mutation=mutation, shard_results=list(shard_results))
        if not isinstance(v, Verdict):
            raise TypeError(f"claim {self.id} returned {type(v).__name__}, not Verdict")
        return v

    def decided_at(self, budget: str) -> bool:
        """Whether a run at ``budget`` decides this claim (a claim with ``decides_at="full"`` says
        nothing at ``fast``: the runner skips it there)."""
        return BUDGETS.index(budget) >= BUDGETS.index(self.decides_at)

    def expected_for(self, budget: str) -> str:
        """The status the toolkit records for this claim at ``budget`` (``expected_full`` at
        ``full`` when given, else ``expected``)."""
        return self.expected_full if (budget == "full" and self.expected_full) else self.expected

    @property
    def module(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip()

    def run(self, budget: str = "fast", seed: int = 0, mutation: str | None = None) -> Verdict:
        """Run the check and time it. Raises ``ValueError`` for a bad budget or mutation name."""
        if budget not in BUDGETS:
            raise ValueError(f"budget must be one of {BUDGETS}, got {budget!r}")
        if mutation is not None and mutation not in self.mutations:
            raise ValueError(f"claim {self.id} has no mutation {mutation!r}; "
                             f"known: {', '.join(self.mutations) or 'none'}")
        t0 = time.perf_counter()
        keys = self.shard_keys(budget, seed, mutation)
        if keys is None:
            v = self.fn(budget=budget, seed=seed, mutation=mutation)
        else:  # serially: every shard in key order, then the combine step (what the runner splits)
            v = self.combine(budget, seed, mutation, [self.run_shard(budget, k) for k in keys])
        if not isinstance(v, Verdict):
            raise TypeError(f"claim {self.id} returned {type(v).__name__}, not Verdict")
        v.seconds = time.perf_counter() - t0
        return v

    def to_json(self) -> dict:
        return {"id": self.id, "paper": self.paper, "theorem": self.theorem,
                "statement": self.statement, "source": self.source,
                "source_words": SOURCE_WORDS[self.source],
                "mutations": list(self.mutations), "expected": self.expected,
                "expected_full": self.expected_full or self.expected,
                "decides_at": self.decides_at, "doc": self.doc}


_REGISTRY: dict[str, Claim] = {}


def claim(*, id: str, paper: str, theorem: str, statement: str, source: str,
          mutations: tuple[str, ...] = (), expected: str = "verified",
          expected_full: str | None = None, slow: bool = False, decides_at: str = "fast",
          shards: Callable | None = None, shard: Callable | None = None):
    """Decorator registering ``fn(budget, seed, mutation) -> Verdict`` as a claim.

    ``mutations`` names the mutated twins the function implements (each must come out refuted);
    ``expected`` is the status the toolkit records for this claim: ``verified`` for claims that
    hold, or ``refuted``/``inconclusive`` for a documented finding; ``expected_full`` overrides it
    at the ``full`` budget (a paper-scale run that did not reproduce, say). ``decides_at`` is the
    smallest budget whose run decides the statement: a claim with ``decides_at="full"`` is skipped
    (status ``skipped``, never ``verified``) when run at ``fast``.

    Sharding (optional, for sweeps large enough to spread over workers): ``shards(budget, seed,
    mutation)`` returns a list of JSON-able keys (tuples of str/int/float), or ``None`` where the run
    is not split; ``shard(budget, key)`` computes one key's part and returns a dict of numpy arrays
    (it depends on the key and budget only, so a claim and its twins can share shards); the decorated
    function is then called as ``fn(budget, seed, mutation, shard_results=[...])`` with the results
    in key order (it takes ``shard_results=None`` as its default: where ``shards`` returns ``None``
    it is called as an ordinary check). Run serially
    or through an executor, the combine step sees the same arrays, so the verdict is the same.
    """
    if (shards is None) != (shard is None):
        raise ValueError(f"claim {id}: shards= and shard= go together")
    if decides_at not in BUDGETS:
        raise ValueError(f"claim {id}: decides_at must be one of {BUDGETS}, got {decides_at!r}")
    if source not in SOURCES:
        raise ValueError(f"claim {id}: source must be one of {SOURCES}, got {source!r}")
    for name, val in (("expected", expected), ("expected_full", expected_full or expected)):
        if val not in STATUSES:
            raise ValueError(f"claim {id}: {name} must be one of {STATUSES}, got {val!r}")
    if "." not in id or id.split(".", 1)[0] not in PAPERS:
        raise ValueError(f"claim id {id!r} must look like '<paper module>.<name>' with a module in "
                         f"{sorted(PAPERS)}")

    def deco(fn):
        @functools.wraps(fn)
        def wrapped(budget: str = "fast", seed: int = 0, mutation: str | None = None, **kw):
            return fn(budget=budget, seed=seed, mutation=mutation, **kw)

        c = Claim(id=id, paper=paper, theorem=theorem, statement=statement, source=source,
                  fn=wrapped, mutations=tuple(mutations), expected=expected,
                  expected_full=expected_full, slow=slow, decides_at=decides_at,
                  shards=shards, shard=shard)
        if id in _REGISTRY and _REGISTRY[id].fn.__qualname__ != fn.__qualname__:
            raise ValueError(f"claim id {id!r} registered twice")
        _REGISTRY[id] = c
        wrapped.claim = c
        return wrapped

    return deco


class UnknownClaimError(KeyError):
    """An unknown paper or claim id. ``valid_papers``/``valid_claims`` list what exists, ``suggestions``
    the closest names (difflib); for a paper of :data:`PAPERS` that has no claims yet the message says
    so instead of calling it unknown."""

    def __init__(self, name: str, valid_papers: list[str], valid_claims: list[str]):
        import difflib

        self.name, self.valid_papers, self.valid_claims = name, valid_papers, valid_claims
        by_arxiv = {v[0]: k for k, v in PAPERS.items()}
        self.unimplemented = by_arxiv.get(name, name) if by_arxiv.get(name, name) in PAPERS else None
        pool = list(valid_papers) + list(valid_claims)
        # a bare claim name ("limit_cycle") matches the part after the dot
        short = {c.split(".", 1)[1]: c for c in valid_claims if "." in c}
        sugg = difflib.get_close_matches(name, pool, n=3, cutoff=0.6)
        sugg += [short[s] for s in difflib.get_close_matches(name, list(short), n=3, cutoff=0.6)]
        self.suggestions = list(dict.fromkeys(sugg))[:3]
        super().__init__(name)

    def __str__(self):
        if self.unimplemented:
            m = self.unimplemented
            return (f"paper {m} (arXiv {PAPERS[m][0]}) is known but has no claims implemented yet; "
                    f"papers with claims: {', '.join(self.valid_papers)}")
        hint = (f"; did you mean {' or '.join(self.suggestions)}?" if self.suggestions
                else f". Papers: {', '.join(self.valid_papers)}")
        return f"unknown paper or claim {self.name!r}{hint} (theory-verify list shows every claim)"


#: modules of ``proofs_check`` that hold infrastructure, not claims
_INFRA = {"core", "cli", "report", "testing", "sdp", "runner", "executor", "cache", "provenance",
          "outputs", "__main__"}
_loaded = False


def load_all() -> None:
    """Import every claim module of ``proofs_check`` (any module not in the infrastructure set), so
    that its claims register. A claim's paper is the prefix of its id, not the file it lives in."""
    global _loaded
    if _loaded:
        return
    import pkgutil

    import proofs_check

    for info in pkgutil.iter_modules(proofs_check.__path__):
        if info.name not in _INFRA and not info.name.startswith("_"):
            importlib.import_module(f"proofs_check.{info.name}")
    _loaded = True


def available_modules() -> list[str]:
    """Paper modules that have at least one registered claim (in README order)."""
    load_all()
    have = {c.split(".", 1)[0] for c in _REGISTRY}
    return [m for m in PAPERS if m in have]


def all_claims() -> list[Claim]:
    load_all()
    order = {m: i for i, m in enumerate(PAPERS)}
    return sorted(_REGISTRY.values(), key=lambda c: (order[c.module], _decl_index(c)))


def _decl_index(c: Claim) -> int:
    return list(_REGISTRY).index(c.id)


def claims_for(module: str) -> list[Claim]:
    """The claims of one paper module (e.g. ``"sam"``), in declaration order."""
    return [c for c in all_claims() if c.module == module]


def get_claim(claim_id: str) -> Claim:
    load_all()
    try:
        return _REGISTRY[claim_id]
    except KeyError:
        raise UnknownClaimError(claim_id, available_modules(), sorted(_REGISTRY)) from None


def resolve(names: list[str] | tuple[str, ...]) -> list[Claim]:
    """Turn a list of paper modules, arXiv ids or claim ids into claims (all when empty).

    Raises :class:`UnknownClaimError` naming the valid ones for anything unknown."""
    claims = all_claims()
    if not names:
        return claims
    by_arxiv = {v[0]: k for k, v in PAPERS.items()}
    out: list[Claim] = []
    mods = available_modules()
    for n in names:
        n = by_arxiv.get(n, n)
        if n in mods:
            sel = [c for c in claims if c.module == n]
        elif n in _REGISTRY:
            sel = [_REGISTRY[n]]
        else:
            raise UnknownClaimError(n, mods, sorted(_REGISTRY))
        out.extend(c for c in sel if c not in out)
    return out

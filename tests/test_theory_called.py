"""Every public function of the theory modules not covered by tests/test_theory_formulas.py's
registry (the four slices added later: subspace, linear_attention, fair_pca, plasticity) is called by
at least one test or claim: its name followed by "(" appears in tests/, proofs_check/ or figures/.
A new public function that nothing calls fails this test. (The six original slices are held to the
stronger rule of test_theory_formulas.py: each function checked at random asymmetric parameters
against an independent computation.)"""
import importlib
import inspect
import pathlib
import pkgutil
import re

import theory
from tests.test_theory_formulas import MODULES as CHECKED_INDEPENDENTLY

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _callers_text() -> str:
    parts = []
    for folder in ("tests", "proofs_check", "figures"):
        for p in sorted((ROOT / folder).glob("*.py")):
            if p.name != "test_theory_called.py":
                parts.append(p.read_text())
    return "\n".join(parts)


def _public_functions(modname: str) -> list[str]:
    mod = importlib.import_module(f"theory.{modname}")
    return sorted(name for name, obj in vars(mod).items()
                  if not name.startswith("_") and callable(obj) and not inspect.isclass(obj)
                  and getattr(obj, "__module__", None) == mod.__name__)


def test_every_public_theory_function_is_called_by_a_test_or_claim():
    others = [m.name for m in pkgutil.iter_modules(theory.__path__)
              if not m.name.startswith("_") and m.name not in CHECKED_INDEPENDENTLY]
    assert {"subspace", "linear_attention", "fair_pca", "plasticity"} <= set(others)
    text = _callers_text()
    uncalled = [f"{m}.{f}" for m in others for f in _public_functions(m)
                if not re.search(rf"\b{re.escape(f)}\s*\(", text)]
    assert not uncalled, f"public theory functions no test or claim calls: {uncalled}"

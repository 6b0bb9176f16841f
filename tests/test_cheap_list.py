"""``theory-verify list`` reads the claim registry without importing JAX, sympy, cvxpy, matplotlib,
numerics or theory: claim modules import those inside their checks (``proofs_check.core.lazy``)."""
from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEAVY = ("jax", "sympy", "cvxpy", "matplotlib", "numerics", "theory", "figures", "PEPit")

CODE = f"""
import sys, time
t0 = time.perf_counter()
from proofs_check import cli
rc = cli.main(['list'])
wall = time.perf_counter() - t0
print('RC', rc)
print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))
print('WALL', f'{{wall:.2f}}')
"""


def test_list_imports_no_jax_or_sympy():
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, cwd=ROOT, env=env,
                       timeout=300)
    tail = dict(line.split(" ", 1) for line in r.stdout.splitlines()[-3:])
    print(f"theory-verify list: {tail.get('WALL')} s in a fresh interpreter (imports included)")
    assert r.returncode == 0 and tail["RC"] == "0", r.stderr
    assert tail["HEAVY"] == "[]", f"list imported {tail['HEAVY']}"
    assert "sam.limit_cycle" in r.stdout and "position_coupling.length_generalization" in r.stdout


def test_claim_modules_touch_no_heavy_module_at_import():
    """Importing every claim module (the registry) pulls in none of the heavy modules either."""
    code = ("import sys; from proofs_check import core; core.load_all(); "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"

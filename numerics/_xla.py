"""XLA CPU settings applied before JAX starts its backend (imported first by ``numerics`` and
``proofs_check``).

``--xla_cpu_multi_thread_eigen=false``: XLA's multi-threaded Eigen pool on CPU can wedge, every
worker parked and the caller waiting forever in ``block_until_ready``, on vmapped graphs (seen
twice in this project with jax 0.10.2: a vmapped scan with an in-graph ``eigvalsh``; the same
failure and workaround are reported publicly for other vmapped JAX workloads). Single-threaded
Eigen costs little here: the toolkit's graphs are small and vmapped. Set ``XLA_FLAGS`` yourself
before importing to override; the flag only takes effect if the backend has not started yet.
"""
import os

_FLAG = "--xla_cpu_multi_thread_eigen"

if _FLAG not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + f" {_FLAG}=false").strip()

"""The render pool: Ray actors, each supervising one sandboxed persistent Blender process.

Public surface (docs/architecture.md): RenderPool, RenderJob, RenderSettings, RenderResult, JobFailure.
Names are loaded lazily so that the worker process, which imports render_pool.worker_main, stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["RenderPool", "RenderJob", "RenderSettings", "RenderResult", "JobFailure"]

if TYPE_CHECKING:
    from render_pool.pool import RenderPool
    from render_pool.types import JobFailure, RenderJob, RenderResult, RenderSettings


def __getattr__(name: str) -> Any:
    if name == "RenderPool":
        from render_pool.pool import RenderPool

        return RenderPool
    if name in __all__:
        from render_pool import types

        return getattr(types, name)
    raise AttributeError(f"module 'render_pool' has no attribute {name!r}")

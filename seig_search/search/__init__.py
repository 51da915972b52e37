"""Staged beam search over scene programs: the engine, its render/score cache and log, and one full run.

Entry points: :func:`seig_search.search.run.reconstruct` (image to output folder) and
:func:`seig_search.search.engine.run_search` (the loop itself, over any renderer and scorer).
"""

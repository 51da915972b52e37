"""Procedural ground-truth scenes: samplers (`sample_spec`) and the renderer-backed generator (`generate`)."""

from seig_search.dataset.generate import GenerateOptions, case_seed, generate, mask_stats
from seig_search.dataset.suites import SUITES, color_name, material_label, sample_spec

__all__ = ["SUITES", "GenerateOptions", "case_seed", "color_name", "generate", "mask_stats", "material_label",
           "sample_spec"]

"""The VLM proposer: a vision-language model (OpenAI-compatible or Anthropic) writes the scene program.

Build it with :func:`build_vlm_proposer`; the search treats it like any other Proposer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seig_search.proposers.base import Proposer
from seig_search.proposers.vlm.config import VLMConfig, parse_vlm_config

__all__ = ["VLMConfig", "build_vlm_proposer", "parse_vlm_config"]


def build_vlm_proposer(
    vlm_config: dict[str, Any],
    record_dir: Path | None = None,
    replay_dir: Path | None = None,
    embedded: Proposer | None = None,
) -> Proposer:
    """A VLMProposer, or with ``hybrid.enabled`` a HybridProposer over it and ``embedded`` (default: a new
    EmbeddedProposer).

    ``replay_dir`` answers every call from a recorded run, with no server and no API key;
    ``record_dir`` saves every request and reply. Both raise ConfigError on unusable folders.
    """
    from seig_search.proposers.vlm.backends import make_backend, max_n, sampling_params
    from seig_search.proposers.vlm.client import VLMClient
    from seig_search.proposers.vlm.hybrid import HybridProposer
    from seig_search.proposers.vlm.proposer import VLMProposer
    from seig_search.proposers.vlm.recording import Recorder, ReplayBackend, ResumingBackend, has_calls

    config = parse_vlm_config(vlm_config)
    if replay_dir is not None:
        backend: Any = ReplayBackend(Path(replay_dir), sampling_params(config), max_n(config))
    elif record_dir is not None and has_calls(Path(record_dir)):
        # a resumed run (or a rerun) into an existing recording reuses its answers before asking the server
        recorded = ReplayBackend(Path(record_dir), sampling_params(config), max_n(config))
        backend = ResumingBackend(recorded, make_backend(config))
    else:
        backend = make_backend(config)
    recorder = Recorder(Path(record_dir)) if record_dir is not None else None
    proposer = VLMProposer(VLMClient(backend, config, recorder))
    if not config.hybrid.enabled:
        return proposer
    if embedded is None:
        from seig_search.proposers.embedded import EmbeddedProposer

        embedded = EmbeddedProposer()
    return HybridProposer(proposer, embedded, config.hybrid.share, config.hybrid.vlm_rounds)

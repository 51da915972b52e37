"""Proposers: where candidate scene programs come from (the embedded agent, or a VLM)."""

from seig_search.proposers.base import Candidate, Proposal, Proposer, StageContext, TargetImage

__all__ = ["Candidate", "Proposal", "Proposer", "StageContext", "TargetImage"]

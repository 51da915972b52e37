"""Prompt templates (Jinja, Markdown) and stage goals for the VLM proposer, shipped as package data."""

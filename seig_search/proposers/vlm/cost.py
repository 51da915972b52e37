"""Token totals and a cost estimate from a `--record` folder: what a run asked of the model, in dollars.

    python -m seig_search.proposers.vlm.cost RECORD_DIR [--model NAME | --input-per-mtok X --output-per-mtok Y]

The estimate is recorded token counts times a per-token price; the server reports the counts (a scripted
server estimates them). Prices move: check the provider's page, or pass your own.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from seig_search.errors import ConfigError

# US dollars per million tokens (input, output), from the providers' published price pages (2025).
PUBLISHED_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "claude-sonnet-4-5": (3.00, 15.00),
    "claude-haiku-4-5": (1.00, 5.00),
}


def _kind(label: str) -> str:
    if label.startswith("verify/"):
        return "verify"
    if "/fix" in label:
        return "repair"
    return label.split("/", 1)[0]  # initial, or the stage name


def summarise(record_dir: Path) -> dict[str, Any]:
    """Calls and token counts of a recording, in total and per kind (initial, each stage, repair, verify)."""
    calls = sorted((Path(record_dir) / "calls").glob("*.json"))
    if not calls:
        raise ConfigError(f"{record_dir}: no recorded calls (expected calls/*.json from --record)")
    total: dict[str, int] = defaultdict(int)
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for path in calls:
        record = json.loads(path.read_text(encoding="utf-8"))
        reply = record.get("reply") or {}
        for bucket in (total, kinds[_kind(record["label"])]):
            bucket["calls"] += 1
            bucket["faults"] += 1 if record.get("fault") else 0
            bucket["completions"] += len(reply.get("texts", []))
            bucket["input_tokens"] += int(reply.get("input_tokens") or 0)
            bucket["output_tokens"] += int(reply.get("output_tokens") or 0)
    return {"total": dict(total), "by_kind": {k: dict(v) for k, v in sorted(kinds.items())}}


def cost(summary: dict[str, Any], input_per_mtok: float, output_per_mtok: float) -> float:
    t = summary["total"]
    return (t["input_tokens"] * input_per_mtok + t["output_tokens"] * output_per_mtok) / 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("record_dir", type=Path)
    parser.add_argument("--model", choices=sorted(PUBLISHED_PRICES), default=None)
    parser.add_argument("--input-per-mtok", type=float, default=None)
    parser.add_argument("--output-per-mtok", type=float, default=None)
    args = parser.parse_args(argv)
    try:
        summary = summarise(args.record_dir)
    except ConfigError as error:
        parser.exit(2, f"error: {error}\n")
    print(json.dumps(summary, indent=1))
    prices = dict(PUBLISHED_PRICES)
    if args.input_per_mtok is not None and args.output_per_mtok is not None:
        prices = {"given": (args.input_per_mtok, args.output_per_mtok)}
    elif args.model:
        prices = {args.model: PUBLISHED_PRICES[args.model]}
    for name, (price_in, price_out) in prices.items():
        print(f"{name:>18}: ${cost(summary, price_in, price_out):.4f} (estimate: recorded tokens x "
              f"${price_in}/M in, ${price_out}/M out)")


if __name__ == "__main__":
    main()

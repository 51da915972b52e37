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

# US dollars per million tokens from the providers' published price pages (2025):
# (input, output, cache write, cache read); Anthropic bills cache writes at 1.25x and reads at 0.1x input.
PUBLISHED_PRICES: dict[str, tuple[float, float, float, float]] = {
    "gpt-4o": (2.50, 10.00, 2.50, 2.50),
    "gpt-4o-mini": (0.15, 0.60, 0.15, 0.15),
    "claude-sonnet-4-5": (3.00, 15.00, 3.75, 0.30),
    "claude-haiku-4-5": (1.00, 5.00, 1.25, 0.10),
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
            bucket["cache_write_tokens"] += int(reply.get("cache_write_tokens") or 0)
            bucket["cache_read_tokens"] += int(reply.get("cache_read_tokens") or 0)
    return {"total": dict(total), "by_kind": {k: dict(v) for k, v in sorted(kinds.items())}}


def cost(summary: dict[str, Any], prices: tuple[float, float, float, float]) -> float:
    """Dollars for the recorded tokens at (input, output, cache write, cache read) prices per million."""
    t = summary["total"]
    price_in, price_out, price_write, price_read = prices
    return (t["input_tokens"] * price_in + t["output_tokens"] * price_out
            + t.get("cache_write_tokens", 0) * price_write + t.get("cache_read_tokens", 0) * price_read) / 1e6


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
        prices = {"given": (args.input_per_mtok, args.output_per_mtok, args.input_per_mtok, args.input_per_mtok)}
    elif args.model:
        prices = {args.model: PUBLISHED_PRICES[args.model]}
    for name, price in prices.items():
        print(f"{name:>18}: ${cost(summary, price):.4f} (estimate: recorded tokens x ${price[0]}/M in, "
              f"${price[1]}/M out, cache ${price[2]}/M write, ${price[3]}/M read)")


if __name__ == "__main__":
    main()

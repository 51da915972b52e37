"""``seig weights status`` / ``seig weights fetch``: where the scorer's neural weights are, and getting them.

Scoring never downloads; ``fetch`` is the one explicit way to fill the standard caches on a machine with
internet (torch hub's cache for the LPIPS trunk, the Hugging Face cache for CLIP).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from seig_search.cli.app import app, fail
from seig_search.errors import ConfigError, SeigError

weights_app = typer.Typer(help="Neural weights of the score (LPIPS, CLIP): where they are, fetching them.",
                          no_args_is_help=True)
app.add_typer(weights_app, name="weights")


def _config(lpips_net: str, clip_model: str, clip_pretrained: str, lpips_backbone: Optional[Path],
            clip_weights: Optional[Path]):
    from scoring.scorer import parse_config

    return parse_config({"lpips_net": lpips_net, "clip_model": clip_model, "clip_pretrained": clip_pretrained,
                         "lpips_backbone_path": lpips_backbone, "clip_weights_path": clip_weights})


def _show(locations: dict, console: Console, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps({k: {"name": w.name, "found": w.found,
                                           "path": None if w.path is None else str(w.path),
                                           "looked": list(w.looked)} for k, w in locations.items()}))
        return
    table = Table(title="seig score weights")
    for col in ("weights", "status", "where"):
        table.add_column(col, overflow="fold")
    for w in locations.values():
        where = str(w.path) if w.found else "looked in: " + "; ".join(w.looked)
        table.add_row(escape(w.name), "[green]found[/]" if w.found else "[red]missing[/]", escape(where))
    console.print(table)
    if not all(w.found for w in locations.values()):
        console.print("Missing weights: scoring uses the offline score (see docs/scoring.md). "
                      "`seig weights fetch` downloads them on a machine with internet.")


_NET = typer.Option("alex", "--lpips-net", help="LPIPS trunk: alex, vgg or squeeze.")
_CLIP = typer.Option("ViT-B-32", "--clip-model", help="open_clip model name.")
_TAG = typer.Option("laion2b_s34b_b79k", "--clip-pretrained", help="open_clip pretrained tag.")
_TRUNK = typer.Option(None, "--lpips-backbone", help="A torchvision checkpoint file for the LPIPS trunk.")
_CLIPW = typer.Option(None, "--clip-weights", help="An open_clip checkpoint file.")


@weights_app.command("status")
def status_command(lpips_net: str = _NET, clip_model: str = _CLIP, clip_pretrained: str = _TAG,
                   lpips_backbone: Optional[Path] = _TRUNK, clip_weights: Optional[Path] = _CLIPW,
                   as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Show which neural weights are found, and where (nothing is downloaded)."""
    from scoring.weights import locate_all

    try:
        config = _config(lpips_net, clip_model, clip_pretrained, lpips_backbone, clip_weights)
        _show(locate_all(config), Console(), as_json)
    except SeigError as error:
        raise fail(error) from None


@weights_app.command("fetch")
def fetch_command(lpips_net: str = _NET, clip_model: str = _CLIP, clip_pretrained: str = _TAG,
                  lpips: bool = typer.Option(True, "--lpips/--no-lpips", help="Fetch the LPIPS trunk."),
                  clip: bool = typer.Option(True, "--clip/--no-clip", help="Fetch the CLIP checkpoint.")) -> None:
    """Download missing weights into the standard caches (needs internet)."""
    from scoring.weights import fetch

    try:
        if not (lpips or clip):
            raise ConfigError("nothing to fetch: both --no-lpips and --no-clip given")
        config = _config(lpips_net, clip_model, clip_pretrained, None, None)
        _show(fetch(config, lpips=lpips, clip=clip), Console(), as_json=False)
    except SeigError as error:
        raise fail(error) from None

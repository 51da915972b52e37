"""Entry point of the ``seig`` console script: imports every command module, then runs the app."""

from __future__ import annotations

import sys

from seig_search.cli.app import app, err_console
from seig_search.errors import SeigError

# Command modules register themselves on `app` when imported: one line per module.
import seig_search.cli.report_cmd  # noqa: F401  (seig report)
import seig_search.cli.check_cmd  # noqa: F401  (seig check)
import seig_search.cli.weights_cmd  # noqa: F401  (seig weights status|fetch)
import seig_search.cli.dataset_cmd  # noqa: F401  (seig dataset generate)
import seig_search.cli.reconstruct_cmd  # noqa: F401  (seig reconstruct)
import seig_search.cli.jobs_cmd  # noqa: F401  (seig bench, seig batch, seig tune)
import seig_search.cli.render_cmd  # noqa: F401  (seig render)


def main() -> None:
    try:
        app()
    except SeigError as error:  # errors raised outside a command's own handling
        err_console.print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()

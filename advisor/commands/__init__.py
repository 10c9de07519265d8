"""One module per CLI verb, imported only when that verb runs (see advisor.cli.COMMANDS)."""

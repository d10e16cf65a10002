"""``python -m archive`` runs the `sigillo` command."""

from archive.cli import main

main()

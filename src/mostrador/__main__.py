"""`python -m mostrador …`: the same command line as the `mostrador` script (for a checkout without the
script on PATH, or a helper running with its own sources first on PYTHONPATH)."""

from mostrador.cli.main import main

main()

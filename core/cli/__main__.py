"""``python -m careline.cli``: the same as the ``careline`` command."""

from careline.cli.main import main

main()

"""``python -m lanshou``: the same command line as the installed ``lanshou`` script."""

from lanshou.entrypoints.cli.app import main

if __name__ == "__main__":
    main()

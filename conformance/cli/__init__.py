"""The front door: how a user's command line becomes a run, and nothing past that.

    main.py           the `conformance` command: each subcommand delegates to its folder's `main(argv)`
    runner.py         `conformance run`: the suite through `pytest.main`, pytest's exit codes mapped to ours
    run_help.py       `conformance run --help`: the run's own options first, pytest's after
    pytest_entry.py   the installed pytest plugin (`pytest11`), loading `plugin` only for the suite
    plugin.py         the pytest plugin: builds the run, drives it from pytest's hooks, its fixtures
    options.py        the run's options on pytest's command line and the `RunConfig` they make
    config.py         `RunConfig`: every option validated and normalised once; knows no parser
    option_values.py  each option's value on its own: parsed, checked, refused in one line
    arguments.py      what `serve` and `network` share in parsing their options (argparse)

Kept light on purpose: importing this package imports none of its modules.
"""

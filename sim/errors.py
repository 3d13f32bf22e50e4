"""The one error type for bad input: a message a user can act on, shown without a traceback."""


class InputError(Exception):
    """Bad input (a missing file, a scenario error, a bad option): the CLI prints it and exits with code 2."""

"""The errors lifq reports to its users.

Every error a user can cause or meet is a :class:`LifqError`; the CLI turns
it into one line on standard error and exit status 2, never a traceback.
"""

__all__ = ["LifqError", "InputError", "ToolError"]


class LifqError(Exception):
    """An error with a one-line message meant for the user."""


class InputError(LifqError, ValueError):
    """Bad user input: a parameter, a value or a file that breaks the contract.

    The message is one line that names what is wrong and the allowed range.

    Parameters
    ----------
    message : str
    key : str, optional
        The parameter the error is about (e.g. ``"threshold"``), so that a
        caller that merged parameters from several files can name the right
        one.

    Attributes
    ----------
    key : str or None
    """

    def __init__(self, message, *, key=None):
        super().__init__(message)
        self.key = key


class ToolError(LifqError, RuntimeError):
    """An external tool (simulator, synthesis, solver) is missing or failed.

    The message is one line that names the tool, what failed and where its
    log is.
    """

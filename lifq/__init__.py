"""The ``lifq`` command line: a thin layer over golden/, hdl/, sim/ and boards/."""

"""The ``greenhouse`` command's groups, one module each: it adds its parsers and names each one's runner with
``set_defaults(run=...)``; ``common`` holds the options they share as parent parsers, ``types`` the argument types.
Heavy imports wait inside the runners, so that ``greenhouse --help`` and the demo start fast."""

"""``esgcheck serve``: esgcheck as an HTTP service over the library and the
results store. ``app.py`` has the routes, ``problems.py`` the error answers,
``uploads.py`` what is accepted of an upload, ``batches.py`` the background
checking into the store, ``command.py`` the command."""

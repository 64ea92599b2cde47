"""``esgcheck serve``: esgcheck as an HTTP service over the library and the
results store. ``app.py`` makes the application, ``core.py`` has what the
routes share (the checker, the store, the parameters), ``routes.py`` the check
and batch routes, ``problems.py`` the error answers,
``uploads.py`` what is accepted of an upload, ``batches.py`` the background
checking into the store, ``catalogue.py`` the rule routes, ``handlers.py`` the
error handlers, ``auth.py`` tokens, tenants and sessions, ``access.py`` what a
request may do and the session routes,
``middleware.py`` what every request passes (who it is, its size, the security
headers), ``pages.py`` and ``static/`` the web page, ``command.py`` the
command."""

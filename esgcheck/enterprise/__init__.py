"""One enterprise's filings checked against each other (``esgcheck enterprise``).

Filings of one unified social credit code and one year are grouped from their
own identifiers and checked together by the rule base ``cn-enterprise``, over
one group document whose places are the member files' places.

The modules sit on the project's floors, each importing only below it:
``schema``, ``grouping`` and ``check`` beside the checker (engine and filings),
``run`` over them, ``stored`` and ``on_dask`` on the store and batch floors,
``command`` on the command line's. Nothing outside this package imports it
but the command line's registration of ``enterprise``.
"""

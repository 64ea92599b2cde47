"""Many filings: checking on a Dask cluster (``cluster``) and showing progress
(``progress``)."""

"""esgcheck: a rules-engine compliance checker for ESG and environmental disclosure filings."""

__version__ = "0.1.0"

"""Readers of filings (JSON, XML), filing-type detection and structural validation."""

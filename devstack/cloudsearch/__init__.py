"""A local server speaking CloudSearch's 2013-01-01 document, search and configuration APIs (moto has none)."""

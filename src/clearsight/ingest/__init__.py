"""Ingest: declarative mappings from CSV, JSON, Excel and SQL sources into the ontology."""

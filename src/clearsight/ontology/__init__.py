"""The ontology: schemata of entities and links, and normalisers per property type."""

from clearsight.ontology.model import (
    Model,
    Property,
    Schema,
    load_model,
    load_model_file,
    parse_model,
)
from clearsight.ontology.types import PropertyType, get_type, normalise

__all__ = [
    "Model",
    "Property",
    "PropertyType",
    "Schema",
    "get_type",
    "load_model",
    "load_model_file",
    "normalise",
    "parse_model",
]

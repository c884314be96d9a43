"""One module per source system; each writes its export, its mapping and its ground truth."""

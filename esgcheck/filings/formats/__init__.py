"""One module per industry format a reader takes as received."""

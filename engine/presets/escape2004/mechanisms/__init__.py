"""One module per biological mechanism of the escape2004 preset (docs/design.md section 3)."""

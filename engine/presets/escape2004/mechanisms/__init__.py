"""One module per biological mechanism of the escape2004 preset (DESIGN.md section 3)."""

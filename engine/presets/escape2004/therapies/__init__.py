"""One module per therapy of the escape2004 preset (DESIGN.md section 4)."""

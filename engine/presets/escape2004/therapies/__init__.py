"""One module per therapy of the escape2004 preset (docs/design.md section 4)."""

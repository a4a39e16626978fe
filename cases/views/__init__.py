"""Browser pages of the cases app, one module per area; thin: forms validate, services write,
selectors and hotline.access read."""

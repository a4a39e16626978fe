"""Forms of the cases app's pages, one module per area (intake, casework)."""

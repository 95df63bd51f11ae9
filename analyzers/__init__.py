"""Reports computed from the journal: execution quality, tear sheets, divergence."""

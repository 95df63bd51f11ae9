"""Reports computed from the journal: execution quality, tear sheets, divergence; and the
statistics and report of parameter sweeps (overfitting, sweep report)."""

"""MMEngine hooks, loops and optimizer pieces of mmdenoise."""

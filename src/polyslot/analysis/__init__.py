"""Analysis: current vs recommended comparison and sensitivity sweeps."""

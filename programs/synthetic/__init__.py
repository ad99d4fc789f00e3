"""Generated demo data for scale tests and benchmarks."""

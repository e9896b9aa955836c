"""The runsteps benchmark: `make bench` (or `.venv/bin/python benchmarks/run_all.py`). See docs/benchmarks.md."""

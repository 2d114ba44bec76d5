"""debtplan's benchmarks: `python -m bench` (see bench/run.py). Timings never go in the tests."""

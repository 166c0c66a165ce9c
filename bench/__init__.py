"""Benchmarks behind `make bench` (`python -m bench`). They print figures; they are not tests."""

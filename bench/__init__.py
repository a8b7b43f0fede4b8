"""Benchmarks: the server measured against a floor measured in the same run (`python -m bench`).

Every figure is a ratio of medians: ours over a floor that does the least work the same job needs, the two
run interleaved so that drift (CPU frequency, other load) hits both alike. See docs/benchmarks.md.
"""

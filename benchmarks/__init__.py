"""Start-up and import benchmarks: whole fresh processes, interleaved, medians."""

"""Other loaders the benchmarks compare against (benchmark only; README.md says where each comes from)."""

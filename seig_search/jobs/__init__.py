"""Many reconstructions at once: benchmark suites, cluster batch jobs and budget tuning."""

"""The run report: figures from the stats table, rendered to report.json, languages.csv,
report.md and a self-contained report.html (see docs/report.md)."""

"""Analytics: the log as tables for analysts (the Parquet export)."""

"""Where media and renders are kept: one interface, the local filesystem or an S3 store."""

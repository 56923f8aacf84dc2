"""Clips made rather than uploaded: what a generation asks for (spec), the interface every
provider implements (provider), the offline `local` provider (local), the remote ones, and
the table that names them all (registry)."""

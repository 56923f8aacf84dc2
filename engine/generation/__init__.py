"""Clips made rather than uploaded: what a generation asks for (spec) and the offline
`local` provider that renders one (local)."""

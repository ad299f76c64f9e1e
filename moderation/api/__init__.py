"""HTTP handlers, grouped by audience; each module registers its endpoints with `endpoint`."""

"""Threads: one article's comments as a whole, its title and address, closed or open."""

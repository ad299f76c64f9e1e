"""Readers' votes on comments: up or down, one per reader, counted on the comment for sort=best."""

"""Live threads: Server-Sent Events of what changes in a thread, fanned out by LISTEN/NOTIFY."""

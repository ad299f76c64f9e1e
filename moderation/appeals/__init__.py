"""What a reader learns when their comment is removed (the statement of reasons) and how they
contest it (appeals, decided by another moderator)."""

"""The only write path for digests and their links: tasks, views, admin and commands call these."""

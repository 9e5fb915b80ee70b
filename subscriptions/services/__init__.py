"""The only write path for subscriptions: views, tasks, admin and commands call these."""

"""What the bot sends unasked: alert notices, due digests and keyword-watch notices, each turned
into outbox rows (rendered, keyed, written with its cursor in one transaction) for the sender."""

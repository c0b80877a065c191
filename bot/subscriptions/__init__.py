"""What each chat asked for: subscription settings, digest schedules, the digest's contents,
keyword watches, and whether a chat can be reached at all."""

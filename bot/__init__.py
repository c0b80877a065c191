"""newsbrief: Chinese local-newspaper briefings for Telegram."""

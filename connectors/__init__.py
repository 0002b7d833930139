"""Input and output channels: how shoppers' messages reach the bot and replies get back."""

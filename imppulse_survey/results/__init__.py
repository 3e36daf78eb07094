"""Published results: the releases a city shows to everyone, on a public page, in JSON and as CSV."""

"""Pilot projects: what a city does to improve relations, how it is measured, and what came of it."""

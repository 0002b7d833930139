"""Trainers' tools: the review inbox, and comparing, promoting and rolling back models."""

"""Consultation notes (the practitioner's structured record of each visit): app/notes/service.py."""

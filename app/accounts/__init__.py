"""Accounts: registration, passwords, reset tokens. Views call these; these never import views."""

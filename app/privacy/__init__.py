"""Patients' rights and the practice's accountability: the audit log viewer (and the guard that keeps
the log append-only), the portable export (GDPR Art. 20) and erasure (GDPR Art. 17).

Like every service package here, these run inside the caller's transaction and leave the commit, and
anything that must follow it (Stripe refunds, deleting files), to the route."""

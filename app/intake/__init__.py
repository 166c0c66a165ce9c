"""The MCAS intake: the versioned questionnaire, answers, red flags, scoring, uploads and check-ins."""

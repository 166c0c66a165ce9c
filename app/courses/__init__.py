"""The Histamine Intolerance Course: enrolment, lessons, progress, the editor's rules, and its purchase."""

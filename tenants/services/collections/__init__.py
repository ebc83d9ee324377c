"""Chasing what is overdue: ladders, cases, the sweep, letters and the letterhead they carry."""

"""Referral data lives on users.User (inviter, activation time, count): one row per person.

Keeping it on the user row lets the database hold every invariant with CHECK constraints
and lets a profile be read with a single indexed query.
"""
